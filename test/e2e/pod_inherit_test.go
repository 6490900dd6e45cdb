package e2e

import (
	"os"
	"strings"
	"testing"
	"time"
)

// pod create --device, --security-opt and --volumes-from: set on the infra
// and inherited by every member (Podman's InfraInherit); --uts host and
// --pid host: the infra in the host's namespaces, members sharing them
// join the host's (and never rename the host). Bad values are refused
// with Podman's texts, leaving nothing behind.
func TestPodCreateInheritedOptions(t *testing.T) {
	c := newPodCLI(t)
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	hostUTS, _ := os.Readlink("/proc/self/ns/uts")
	hostPID, _ := os.Readlink("/proc/self/ns/pid")
	c.Must(t, "run", "--rm", "-v", "inhvol:/data", "bb", "sh", "-c", "echo fromvol > /data/f")
	c.Must(t, "create", "--name", "inhsrc", "-v", "inhvol:/data", "bb", "true")
	t.Cleanup(func() {
		c.Run("pod", "rm", "-f", "-t", "0", "inh")
		c.Run("pod", "rm", "-f", "-t", "0", "inh-clone")
		c.Run("rm", "-f", "inhsrc")
		c.Run("volume", "rm", "-f", "inhvol")
	})
	c.Must(t, "pod", "create", "--name", "inh", "--device", "/dev/null:/dev/podnull", "--security-opt", "seccomp=unconfined",
		"--volumes-from", "inhsrc", "--uts", "host", "--pid", "host", "--share", "+pid")
	out := c.Must(t, "run", "--rm", "--pod", "inh", "bb", "sh", "-c",
		"test -c /dev/podnull && echo dev; cat /data/f; hostname; grep '^Seccomp:' /proc/self/status; readlink /proc/self/ns/uts; readlink /proc/self/ns/pid")
	want := []string{"dev", "fromvol", host, "Seccomp:", "0", hostUTS, hostPID}
	if got := strings.Fields(out); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("member of the pod:\n got %q\nwant %q", got, want)
	}
	if h, _ := os.Hostname(); h != host {
		t.Fatalf("the host was renamed to %q", h)
	}
	// The infra holds them too.
	infra := strings.TrimSpace(c.Must(t, "pod", "inspect", "--format", "{{.InfraContainerID}}", "inh"))
	if out := c.Must(t, "inspect", "--format", "{{.HostConfig.UTSMode}} {{.HostConfig.PidMode}} {{.HostConfig.SecurityOpt}}", infra); !strings.Contains(out, "host host") || !strings.Contains(out, "seccomp=unconfined") {
		t.Errorf("infra inspect: %q", out)
	}

	// pod clone takes the user namespace flags: the clone's members use the
	// new mapping; the original keeps the host's.
	c.Must(t, "create", "--pod", "inh", "--name", "inhm", "bb", "cat", "/proc/self/uid_map")
	c.Must(t, "pod", "clone", "--uidmap", "0:400000:5000", "--gidmap", "0:400000:5000", "--uts", "private", "--pid", "private", "--hostname", "clonehost", "inh")
	c.Must(t, "pod", "start", "inh-clone")
	waitFor(t, "the cloned member to exit", 2*time.Minute, func() bool {
		return strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.State.Status}}", "inhm-clone")) == "exited"
	})
	if m := strings.Fields(c.Must(t, "logs", "inhm-clone")); len(m) != 3 || m[0] != "0" || m[1] != "400000" || m[2] != "5000" {
		t.Errorf("clone member uid_map: %v", m)
	}
	if out := strings.TrimSpace(c.Must(t, "run", "--rm", "--pod", "inh-clone", "bb", "hostname")); out != "clonehost" {
		t.Errorf("clone --uts private --hostname: member hostname %q", out)
	}

	before := strings.TrimSpace(c.Must(t, "ps", "-aq"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--pid", "bogus"}, "unrecognized namespace mode bogus passed"},
		{[]string{"--uts", "container:inhsrc"}, "unrecognized namespace mode container:inhsrc passed"},
		{[]string{"--uts", "host", "--hostname", "x"}, "cannot set hostname when running in the host UTS namespace"},
		{[]string{"--volumes-from", "nosuch"}, `no container with name or ID "nosuch" found`},
		{[]string{"--device", "/nonexistent/dev"}, "/nonexistent/dev"},
		{[]string{"--infra=false", "--pid", "host"}, "need an infra container"},
	} {
		args := append([]string{"pod", "create", "--name", "badinh"}, tc.args...)
		if r := c.Run(args...); r.ExitCode != 125 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v: want 125 and %q, got %s", tc.args, tc.want, r)
		}
		if r := c.Run("pod", "exists", "badinh"); r.ExitCode != 1 {
			t.Errorf("%v: the refused pod exists: %s", tc.args, r)
		}
	}
	if after := strings.TrimSpace(c.Must(t, "ps", "-aq")); after != before {
		t.Errorf("refused pod creates left containers:\n%s\nwas\n%s", after, before)
	}
}
