package cgroups

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStatsV2Files reads a unified (cgroup v2) directory as a pure-v2 host
// lays it out; this host is hybrid, so the files are fabricated.
func TestStatsV2Files(t *testing.T) {
	d := t.TempDir()
	writeFiles(t, d, map[string]string{
		"cpu.stat":       "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n",
		"memory.current": "1000000\n",
		"memory.max":     "2000000\n",
		"memory.stat":    "anon 1\ninactive_file 200000\n",
		"io.stat":        "8:0 rbytes=100 wbytes=200 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n",
		"pids.current":   "3\n",
	})
	s, err := (&Cgroup{V1: map[string]string{}, V2: d}).Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{CPUNano: 2500000, CPUUserNano: 2000000, CPUSystemNano: 500000, MemUsage: 800000, MemLimit: 2000000, BlockRead: 101, BlockWrite: 202, PIDs: 3}
	if s.CPUNano != want.CPUNano || s.CPUUserNano != want.CPUUserNano || s.CPUSystemNano != want.CPUSystemNano ||
		s.MemUsage != want.MemUsage || s.MemLimit != want.MemLimit || s.BlockRead != want.BlockRead || s.BlockWrite != want.BlockWrite || s.PIDs != want.PIDs {
		t.Fatalf("got %+v\nwant %+v", *s, want)
	}
	writeFiles(t, d, map[string]string{"memory.max": "max\n"})
	if s, _ := (&Cgroup{V2: d}).Stats(); s.MemLimit != hostMemory() {
		t.Fatalf("unlimited v2 memory shows %d, want host %d", s.MemLimit, hostMemory())
	}
}

func TestStatsV1Files(t *testing.T) {
	root := t.TempDir()
	dirs := map[string]string{}
	for _, c := range []string{"cpuacct", "memory", "blkio", "pids"} {
		dirs[c] = filepath.Join(root, c)
		os.Mkdir(dirs[c], 0o755)
	}
	writeFiles(t, dirs["cpuacct"], map[string]string{"cpuacct.usage": "3000\n", "cpuacct.usage_percpu": "1000 2000\n", "cpuacct.stat": "user 3\nsystem 1\n"})
	writeFiles(t, dirs["memory"], map[string]string{"memory.usage_in_bytes": "5000\n", "memory.limit_in_bytes": "9000\n", "memory.stat": "total_inactive_file 1000\n"})
	writeFiles(t, dirs["blkio"], map[string]string{"blkio.throttle.io_service_bytes": "8:0 Read 10\n8:0 Write 20\n8:0 Sync 30\n8:0 Total 30\nTotal 30\n"})
	writeFiles(t, dirs["pids"], map[string]string{"pids.current": "2\n"})
	s, err := (&Cgroup{V1: dirs}).Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.CPUNano != 3000 || len(s.PerCPU) != 2 || s.CPUUserNano != 30000000 || s.CPUSystemNano != 10000000 ||
		s.MemUsage != 4000 || s.MemLimit != 9000 || s.BlockRead != 10 || s.BlockWrite != 20 || s.PIDs != 2 {
		t.Fatalf("got %+v", *s)
	}
}

func TestApplyV2Files(t *testing.T) {
	d := t.TempDir()
	lim, swap, quota, period, pids, shares := int64(64<<20), int64(96<<20), int64(50000), uint64(100000), int64(-1), uint64(1024)
	err := (&Cgroup{V2: d}).Apply(&specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &lim, Swap: &swap},
		CPU:    &specs.LinuxCPU{Quota: &quota, Period: &period, Shares: &shares, Cpus: "0"},
		Pids:   &specs.LinuxPids{Limit: &pids},
	})
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{"memory.max": "67108864", "memory.swap.max": "33554432", "cpu.max": "50000 100000", "cpu.weight": "39", "cpuset.cpus": "0", "pids.max": "max"} {
		if got := readString(d, file); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
}
