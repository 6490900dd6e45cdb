package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pod create --userns: the infra container gets the mode and members join
// its user namespace; host keeps everyone in the host's; hostile or
// unsupported modes are refused before anything is made.
func TestPodUserNS(t *testing.T) {
	c := newPodCLI(t)
	hostNS, err := os.Readlink("/proc/self/ns/user")
	if err != nil {
		t.Skip(err)
	}
	c.Must(t, "pod", "create", "--name", "uh", "--userns", "host")
	if got := strings.TrimSpace(c.Must(t, "run", "--rm", "--pod", "uh", "bb", "readlink", "/proc/self/ns/user")); got != hostNS {
		t.Errorf("--userns host member userns %s, host %s", got, hostNS)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"pod", "create", "--name", "bad", "--userns", "container:x"}, "pods presently do not support user namespace mode container:x"},
		{[]string{"pod", "create", "--name", "bad", "--userns", "bogus"}, "bogus"},
		{[]string{"pod", "create", "--name", "bad", "--infra=false", "--userns", "auto"}, "needs an infra container"},
	} {
		if r := c.Run(tc.args...); r.ExitCode != 125 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v: want exit 125 with %q, got %s", tc.args, tc.want, r)
		}
	}
	if r := c.Run("pod", "exists", "bad"); r.ExitCode != 1 {
		t.Errorf("a refused pod exists: %s", r)
	}
	// Rootful auto takes its IDs from the subuid ranges of storage.conf's
	// root-auto-userns-user ("containers" by default): use a user this
	// host has ranges for, in a private storage.conf.
	sub, _ := os.ReadFile("/etc/subuid")
	autoUser := ""
	for _, l := range strings.Split(string(sub), "\n") {
		if name, _, ok := strings.Cut(l, ":"); ok && name != "" {
			autoUser = name
			break
		}
	}
	if autoUser == "" {
		t.Skip("auto part: no /etc/subuid ranges for rootful --userns=auto")
	}
	conf := filepath.Join(t.TempDir(), "storage.conf")
	if err := os.WriteFile(conf, []byte("[storage]\ndriver = \"overlay\"\n[storage.options]\nroot-auto-userns-user = \""+autoUser+"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.Env = append(c.Env, "CONTAINERS_STORAGE_CONF="+conf)
	// With the default bridge: the infra's network namespace is made by
	// runc inside its user namespace and configured after create (Podman's
	// PostConfigureNetNS), so sysfs mounts there and members can join it.
	port := strconv.Itoa(freePort(t, "tcp"))
	c.Must(t, "pod", "create", "--name", "ua", "--userns", "auto:size=65536", "-p", port+":8080")
	if m := podInspect(t, c, "ua"); m["InfraConfig"].(map[string]any)["userns"] != "auto:size=65536" {
		t.Errorf("inspect InfraConfig.userns: %v", m["InfraConfig"])
	}
	c.Must(t, "run", "-d", "--pod", "ua", "--name", "um", "bb", "httpd", "-f", "-p", "8080", "-h", "/etc")
	infra := podInspect(t, c, "ua")["InfraContainerID"].(string)
	infraPid := strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.State.Pid}}", infra))
	infraNS, _ := os.Readlink("/proc/" + infraPid + "/ns/user")
	got := strings.TrimSpace(c.Must(t, "exec", "um", "readlink", "/proc/self/ns/user"))
	if got != infraNS || got == hostNS {
		t.Errorf("member userns %s, infra %s, host %s", got, infraNS, hostNS)
	}
	if m := strings.Fields(c.Must(t, "exec", "um", "cat", "/proc/self/uid_map")); len(m) < 3 || m[1] == "0" || m[2] != "65536" {
		t.Errorf("member uid_map not a private mapping of 65536 IDs: %v", m)
	}
	// A real sysfs of the pod's own network namespace, not the host's /sys.
	if nets := strings.Fields(c.Must(t, "exec", "um", "ls", "/sys/class/net")); strings.Join(nets, " ") != "eth0 lo" {
		t.Errorf("member /sys/class/net: %v", nets)
	}
	if hosts := c.Must(t, "exec", "um", "cat", "/etc/hosts"); !strings.Contains(hosts, "host.containers.internal") {
		t.Errorf("member /etc/hosts without the network's entries: %q", hosts)
	}
	var body string
	cl := &http.Client{Timeout: 2 * time.Second}
	waitFor(t, "the published port", 60*time.Second, func() bool {
		resp, err := cl.Get("http://127.0.0.1:" + port + "/hostname")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return true
	})
	if strings.TrimSpace(body) != "ua" {
		t.Errorf("published port answered %q", body)
	}
	// Stop and start again: the namespace is made and configured anew.
	c.Must(t, "pod", "stop", "-t", "1", "ua")
	c.Must(t, "pod", "start", "ua")
	if nets := strings.Fields(c.Must(t, "exec", "um", "ls", "/sys/class/net")); strings.Join(nets, " ") != "eth0 lo" {
		t.Errorf("after restart, member /sys/class/net: %v", nets)
	}
	c.Must(t, "pod", "rm", "-f", "-t", "1", "ua")
	// --uidmap/--gidmap on the pod: the members use the infra's mapping.
	c.Must(t, "pod", "create", "--name", "um", "--uidmap", "0:300000:5000", "--gidmap", "0:300000:5000")
	if out := c.Must(t, "run", "--rm", "--pod", "um", "bb", "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; ls /sys/class/net"); strings.Join(strings.Fields(out), " ") != "0 300000 5000 0 300000 5000 eth0 lo" {
		t.Errorf("member of a --uidmap pod: %q", out)
	}
	c.Must(t, "pod", "rm", "-f", "-t", "0", "um")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--uidmap", "bogus"}, `invalid uidmap "bogus"`},
		{[]string{"--infra=false", "--uidmap", "0:1:10"}, "need an infra container"},
	} {
		if r := c.Run(append([]string{"pod", "create", "--name", "bad"}, tc.args...)...); r.ExitCode != 125 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("pod create %v: want 125 with %q, got %s", tc.args, tc.want, r)
		}
	}
	// --pod new:NAME --userns: the new pod gets the mode, the container joins it.
	out := c.Must(t, "run", "--rm", "--pod", "new:un", "--userns", "auto:size=2048", "bb", "cat", "/proc/self/uid_map")
	if f := strings.Fields(out); len(f) < 3 || f[1] == "0" || f[2] != "2048" {
		t.Errorf("run --pod new: --userns auto:size=2048: uid_map %q", out)
	}
	if m := podInspect(t, c, "un"); m["InfraConfig"].(map[string]any)["userns"] != "auto:size=2048" {
		t.Errorf("pod new: inspect userns: %v", m["InfraConfig"])
	}
	c.Must(t, "pod", "rm", "-f", "un")
	// A plain container with its own user namespace on the bridge as well.
	out = c.Must(t, "run", "--rm", "--userns", "auto", "bb", "sh", "-c", "ls /sys/class/net; cat /proc/self/uid_map")
	if f := strings.Fields(out); len(f) < 5 || f[0] != "eth0" || f[1] != "lo" || f[3] == "0" {
		t.Errorf("run --userns=auto on the bridge: %q", out)
	}
}
