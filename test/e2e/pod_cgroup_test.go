package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pod create --memory/--cpus makes the pod's cgroup (/libpod_parent/<pod>)
// with the limits; members' cgroups go under it, so a member is held by the
// pod's memory limit; pod rm removes the cgroup.
func TestPodCgroupLimits(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (pod cgroups are rootful)")
	}
	memDir := "/sys/fs/cgroup/memory"
	if _, err := os.Stat(filepath.Join(memDir, "memory.limit_in_bytes")); err != nil {
		t.Skip("no cgroup v1 memory controller")
	}
	c := newPodCLI(t)
	id := strings.TrimSpace(c.Must(t, "pod", "create", "--name", "lim", "--memory", "64m", "--cpus", "1.5", "--cpu-shares", "512"))
	podDir := filepath.Join(memDir, "libpod_parent", id)
	t.Cleanup(func() { c.Run("pod", "rm", "-f", "lim"); os.Remove(podDir) })
	data, err := os.ReadFile(filepath.Join(podDir, "memory.limit_in_bytes"))
	if err != nil || strings.TrimSpace(string(data)) != "67108864" {
		t.Fatalf("pod memory limit: %q %v", data, err)
	}
	if q, _ := os.ReadFile(filepath.Join("/sys/fs/cgroup/cpu/libpod_parent", id, "cpu.cfs_quota_us")); strings.TrimSpace(string(q)) != "150000" {
		t.Errorf("pod cpu quota %q", q)
	}
	m := podInspect(t, c, "lim")
	if m["CreateCgroup"] != true || m["CgroupParent"] != "/libpod_parent" || m["CgroupPath"] != "/libpod_parent/"+id ||
		m["memory_limit"] != float64(67108864) || m["memory_swap"] != float64(134217728) ||
		m["cpu_period"] != float64(100000) || m["cpu_quota"] != float64(150000) || m["cpu_shares"] != float64(512) {
		t.Errorf("pod inspect: %v", m)
	}
	if ic := m["InfraConfig"].(map[string]any); ic["cpu_quota"] != float64(150000) || ic["cpu_period"] != float64(100000) {
		t.Errorf("pod inspect InfraConfig cpu: %v", ic)
	}
	c.Must(t, "run", "-d", "--pod", "lim", "--name", "mem", "bb", "sleep", "1000")
	if _, err := os.Stat(filepath.Join(c.RunRoot, "selkie", "locks", "pod-"+id)); err != nil {
		t.Fatalf("pod lock file not where the test looks: %v", err)
	}
	// The member's cgroup is a child of the pod's: the limit holds it.
	pid := strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.State.Pid}}", "mem"))
	cg, _ := os.ReadFile("/proc/" + pid + "/cgroup")
	if !strings.Contains(string(cg), ":memory:/libpod_parent/"+id+"/libpod-") {
		t.Fatalf("member not under the pod cgroup: %s", cg)
	}
	if p := strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.State.CgroupPath}}", "mem")); !strings.HasPrefix(p, "/libpod_parent/"+id+"/libpod-") {
		t.Errorf("member CgroupPath %q", p)
	}
	// Seen from the host, the member's hierarchical limit is the pod's.
	var rel string
	for _, l := range strings.Split(string(cg), "\n") {
		if f := strings.SplitN(l, ":", 3); len(f) == 3 && f[1] == "memory" {
			rel = f[2]
		}
	}
	stat, _ := os.ReadFile(filepath.Join(memDir, rel, "memory.stat"))
	if !strings.Contains(string(stat), "hierarchical_memory_limit 67108864\n") {
		t.Errorf("member's hierarchical memory limit is not the pod's:\n%s", stat)
	}
	c.Must(t, "pod", "rm", "-f", "lim")
	if _, err := os.Stat(podDir); !os.IsNotExist(err) {
		t.Fatalf("pod cgroup left after pod rm: %v", err)
	}
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/unified/libpod_parent", id)); err == nil {
		t.Fatalf("unified pod cgroup left after pod rm")
	}
	// The pod's lock file goes with it (internal/lock RemovePod).
	if _, err := os.Stat(filepath.Join(c.RunRoot, "selkie", "locks", "pod-"+id)); !os.IsNotExist(err) {
		t.Fatalf("pod lock file left after pod rm: %v", err)
	}

	// --share-parent=false: no pod cgroup, members under /libpod_parent.
	id2 := strings.TrimSpace(c.Must(t, "pod", "create", "--name", "flat", "--share-parent=false"))
	t.Cleanup(func() { c.Run("pod", "rm", "-f", "flat") })
	if _, err := os.Stat(filepath.Join(memDir, "libpod_parent", id2)); err == nil {
		t.Errorf("--share-parent=false made a pod cgroup")
	}
	if m := podInspect(t, c, "flat"); m["CreateCgroup"] != false {
		t.Errorf("--share-parent=false inspect CreateCgroup %v", m["CreateCgroup"])
	}
	c.Must(t, "run", "-d", "--pod", "flat", "--name", "flatm", "bb", "sleep", "1000")
	pid = strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.State.Pid}}", "flatm"))
	cg, _ = os.ReadFile("/proc/" + pid + "/cgroup")
	if strings.Contains(string(cg), id2) || !strings.Contains(string(cg), ":memory:/libpod_parent/libpod-") {
		t.Errorf("--share-parent=false member cgroup: %s", cg)
	}
	// Hostile input: a bad size is refused before anything is made.
	if r := c.Run("pod", "create", "--name", "bad", "--memory", "lots"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "invalid size") {
		t.Errorf("bad --memory: %s", r)
	}
	if r := c.Run("pod", "create", "--name", "bad", "--memory", "1m"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "minimum memory limit") {
		t.Errorf("tiny --memory: %s", r)
	}
	if r := c.Run("pod", "exists", "bad"); r.ExitCode != 1 {
		t.Errorf("a refused pod exists: %s", r)
	}
}
