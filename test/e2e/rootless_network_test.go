package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// User networks as a rootless user (issue #5): the definition lands in the
// user's storage, netavark runs in the per-user rootless network namespace,
// two containers reach each other by name through aardvark-dns, and -p on a
// user network is reachable from the host and released on rm.
func TestRootlessUserNetwork(t *testing.T) {
	u := newRootless(t, "selkie-rl2", true)
	testenv.RequiresBinary(t, "slirp4netns", "nsenter", "unshare")
	if testenv.LookPath("/usr/lib/podman/netavark") == "" && testenv.LookPath("netavark") == "" {
		t.Skip("netavark is not installed")
	}
	if st, err := os.Stat("/dev/net/tun"); err != nil || st.Mode().Perm()&0o006 != 0o006 {
		t.Skip("/dev/net/tun is not 0666 on this host")
	}
	u.pullBusybox(t)
	u.Must(t, "network", "create", "rlnet")
	def := filepath.Join(u.Home, ".local/share/containers/storage/networks/rlnet.json")
	if _, err := os.Stat(def); err != nil {
		t.Fatalf("network definition not in the user's storage: %v", err)
	}
	u.Must(t, "run", "-d", "--name", "web", "--network", "rlnet", "bb", "sh", "-c",
		"echo by-name > /tmp/index.html; exec httpd -f -p 80 -h /tmp")
	// busybox-static's wget cannot resolve names (static glibc NSS): the
	// name goes through nslookup (aardvark-dns in the rootless namespace).
	script := `for i in 1 2 3 4 5 6 7 8 9 10; do
	  a=$(nslookup web 2>/dev/null | awk '/^Address: /{print $2}' | tail -1)
	  [ -n "$a" ] && timeout 3 wget -q -O- "http://$a/index.html" && exit 0
	  sleep 0.3
	done; exit 1`
	out := u.Must(t, "run", "--rm", "--network", "rlnet", "bb", "sh", "-c", script)
	if out != "by-name" {
		t.Fatalf("container by name on the user network: %q", out)
	}
	// Outbound through slirp4netns: a server on the host's own non-loopback
	// address (slirp4netns keeps host loopback closed).
	if hostIP := hostAddress(); hostIP != "" {
		l, err := net.Listen("tcp", hostIP+":0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "outbound-ok") })}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Close() })
		out := u.Must(t, "run", "--rm", "--network", "rlnet", "bb", "sh", "-c", "timeout 5 wget -q -O- http://"+l.Addr().String()+"/")
		if out != "outbound-ok" {
			t.Fatalf("outbound from a rootless user network to %s: %q", l.Addr(), out)
		}
	}
	// The container's address is on the user network, not slirp's 10.0.2.x.
	if ip := u.Must(t, "inspect", "-f", "{{(index .NetworkSettings.Networks \"rlnet\").IPAddress}}", "web"); !strings.HasPrefix(ip, "10.89.") {
		t.Fatalf("web's address on rlnet: %q", ip)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	id := u.Must(t, "run", "-d", "-p", fmt.Sprintf("%d:80", port), "--network", "rlnet", "bb", "sh", "-c",
		"echo published > /tmp/index.html; exec httpd -f -p 80 -h /tmp")
	get := func() (string, error) {
		c := http.Client{Timeout: 3 * time.Second}
		resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/index.html", port))
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(b)), err
	}
	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if body, err = get(); err == nil {
			break
		}
	}
	if body != "published" {
		t.Fatalf("-p %d:80 on a rootless user network: %q, %v", port, body, err)
	}
	// stop releases the host port; start publishes it again.
	u.Must(t, "stop", "-t", "0", id)
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
		c.Close()
		t.Fatalf("port %d still forwarded after stop", port)
	}
	u.Must(t, "start", id)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if body, err = get(); err == nil {
			break
		}
	}
	if body != "published" {
		t.Fatalf("after restart: %q, %v", body, err)
	}
	// unshare --rootless-netns runs in the namespace where the user
	// network's bridge and slirp4netns's tap0 live.
	bridge := u.Must(t, "network", "inspect", "--format", "{{.NetworkInterface}}", "rlnet")
	links := u.Must(t, "unshare", "--rootless-netns", "ip", "-o", "link")
	if !strings.Contains(links, " tap0:") || !strings.Contains(links, " "+bridge+":") {
		t.Fatalf("unshare --rootless-netns: no tap0 or %s in:\n%s", bridge, links)
	}
	nsFile := filepath.Join(u.Runtime, "containers/networks/rootless-netns")
	slirp := rootlessNetnsSlirp(t, u)
	// The namespace lives while a container uses it: rm of the last one
	// ends slirp4netns and removes the namespace, as in Podman.
	u.Must(t, "rm", "-f", "-t", "0", id)
	if _, err := os.Stat(nsFile); err != nil || !processRunning(slirp) {
		t.Fatalf("rootless network namespace gone while web still uses it: %v", err)
	}
	u.Must(t, "rm", "-f", "-t", "0", "web")
	waitRootlessNetnsGone(t, nsFile, slirp)
	// unshare --rootless-netns with no container: created for the command,
	// removed after it.
	links = u.Must(t, "unshare", "--rootless-netns", "ip", "-o", "link")
	if !strings.Contains(links, " tap0:") {
		t.Fatalf("unshare --rootless-netns without containers: no tap0 in:\n%s", links)
	}
	if _, err := os.Stat(nsFile); !os.IsNotExist(err) {
		t.Fatalf("rootless network namespace left after unshare --rootless-netns: %v", err)
	}
	// A container with the namespace, then a crash-free --rm: gone again.
	if out := u.Must(t, "run", "--rm", "--network", "rlnet", "bb", "true"); out != "" {
		t.Fatalf("run --rm: %q", out)
	}
	if _, err := os.Stat(nsFile); !os.IsNotExist(err) {
		t.Fatalf("rootless network namespace left after run --rm: %v", err)
	}
	u.Must(t, "network", "rm", "rlnet")
	// As root, there is no rootless namespace to join (Podman's text).
	if r := testenv.NewCLI(t).Run("unshare", "--rootless-netns", "true"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "please use unshare with rootless") {
		t.Fatalf("unshare --rootless-netns as root: %s", r)
	}
}

// rootlessNetnsSlirp is the PID of the user's rootless netns slirp4netns.
func rootlessNetnsSlirp(t *testing.T, u *rlUser) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(u.Runtime, "containers/networks/rootless-netns-slirp4netns.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || !processRunning(pid) {
		t.Fatalf("rootless netns slirp4netns %q not running (%v)", data, err)
	}
	return pid
}

// waitRootlessNetnsGone waits (bounded) for slirp4netns to exit after the
// namespace file is gone.
func waitRootlessNetnsGone(t *testing.T, nsFile string, slirp int) {
	t.Helper()
	if _, err := os.Stat(nsFile); !os.IsNotExist(err) {
		t.Fatalf("rootless network namespace kept after its last container: %v", err)
	}
	for deadline := time.Now().Add(10 * time.Second); processRunning(slirp) && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	if processRunning(slirp) {
		t.Fatalf("rootless netns slirp4netns %d still running after its last container", slirp)
	}
}

// hostAddress is a non-loopback IPv4 address of this host ("" if none).
func hostAddress() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}
