package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pod create options held by the infra for its members: --shm-size (the
// shared /dev/shm), --sysctl (in the shared namespaces), --label-file,
// --memory-swap and --cpuset-mems on the pod cgroup; bad values refused
// before anything is made.
func TestPodCreateInfraOptions(t *testing.T) {
	c := newPodCLI(t)
	lf := filepath.Join(t.TempDir(), "labels")
	if err := os.WriteFile(lf, []byte("from=file\n# comment\nother=two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.Must(t, "pod", "create", "--name", "io", "--label-file", lf, "--label", "other=flag", "--shm-size", "2m",
		"--sysctl", "net.ipv4.ip_unprivileged_port_start=80", "--memory", "64m", "--memory-swap", "128m", "--cpuset-mems", "0")
	out := c.Must(t, "run", "--rm", "--pod", "io", "bb", "sh", "-c", "df -k /dev/shm | tail -1; cat /proc/sys/net/ipv4/ip_unprivileged_port_start")
	if f := strings.Fields(out); len(f) < 7 || f[1] != "2048" || f[len(f)-1] != "80" {
		t.Errorf("member /dev/shm size and sysctl: %q", out)
	}
	m := podInspect(t, c, "io")
	labels, _ := m["Labels"].(map[string]any)
	if labels["from"] != "file" || labels["other"] != "flag" {
		t.Errorf("--label-file then --label: %v", labels)
	}
	if m["memory_swap"] != float64(128<<20) || m["cpuset_mems"] != "0" {
		t.Errorf("pod inspect memory_swap / cpuset_mems: %v %v", m["memory_swap"], m["cpuset_mems"])
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--shm-size", "x"}, "unable to translate --shm-size: invalid size: 'x'"},
		{[]string{"--sysctl", "foo"}, "foo is invalid, sysctl values must be in the form of KEY=VALUE"},
		{[]string{"--memory", "64m", "--memory-swap", "32m"}, "minimum memoryswap limit should be larger than memory limit"},
		{[]string{"--label-file", "/nonexistent/labels"}, "unable to process labels"},
		{[]string{"--blkio-weight", "5"}, `invalid blkio weight "5": must be between 10 and 1000`},
	} {
		args := append([]string{"pod", "create", "--name", "bad"}, tc.args...)
		if r := c.Run(args...); r.ExitCode != 125 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v: want 125 and %q, got %s", tc.args, tc.want, r)
		}
	}
	if r := c.Run("pod", "exists", "bad"); r.ExitCode != 1 {
		t.Errorf("a refused pod exists: %s", r)
	}
	c.Must(t, "pod", "rm", "-f", "-t", "0", "io")
}
