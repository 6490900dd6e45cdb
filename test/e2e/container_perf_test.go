package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// cgroupLines is /proc/PID/cgroup as "hierarchy:path" lines.
func cgroupLines(t *testing.T, pid string) []string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%s/cgroup", pid))
	if err != nil {
		t.Fatalf("cgroup of %s: %v", pid, err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if f := strings.SplitN(l, ":", 3); len(f) == 3 {
			out = append(out, f[1]+":"+f[2])
		}
	}
	return out
}

// conmon is moved to libpod_parent/conmon while runc creates the container
// (no longer before the start returns): it must still end up there, never
// in the container's cgroup (security.md R8), for run -d, for a start after
// a stop, and the container's own cgroup stays libpod-ID.
func TestContainerConmonCgroup(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	id := c.Must(t, "run", "-d", "--memory", "64m", "bb", "sleep", "1000")
	check := func(when string) {
		t.Helper()
		pids := strings.Fields(c.Must(t, "inspect", "--format", "{{.State.ConmonPid}} {{.State.Pid}}", id))
		if len(pids) != 2 || pids[0] == "0" || pids[1] == "0" {
			t.Fatalf("%s: pids %q", when, pids)
		}
		conmon, ctr := cgroupLines(t, pids[0]), cgroupLines(t, pids[1])
		inConmon := false
		for _, l := range conmon {
			if strings.HasSuffix(l, "/libpod_parent/conmon") {
				inConmon = true
			}
			if strings.Contains(l, id) {
				t.Fatalf("%s: conmon in the container's cgroup: %v", when, conmon)
			}
		}
		if !inConmon {
			t.Fatalf("%s: conmon not in libpod_parent/conmon: %v", when, conmon)
		}
		inCtr := false
		for _, l := range ctr {
			if strings.HasSuffix(l, "/libpod_parent/libpod-"+id) {
				inCtr = true
			}
		}
		if !inCtr {
			t.Fatalf("%s: container not in libpod_parent/libpod-%s: %v", when, id, ctr)
		}
	}
	check("run -d")
	if out := c.Must(t, "exec", id, "echo", "ok"); out != "ok" {
		t.Fatalf("exec: %q", out)
	}
	c.Must(t, "stop", "-t", "0", id)
	c.Must(t, "start", id)
	check("start after stop")
	c.Must(t, "rm", "-f", "-t", "0", id)
}
