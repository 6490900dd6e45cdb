package cgroups

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseHybrid(t *testing.T) {
	mounts := []*mountinfo.Info{
		{Mountpoint: "/sys/fs/cgroup/cpu", FSType: "cgroup", Root: "/", VFSOptions: "rw,cpu"},
		{Mountpoint: "/sys/fs/cgroup/cpu,cpuacct", FSType: "cgroup", Root: "/", VFSOptions: "rw,cpuacct"},
		{Mountpoint: "/sys/fs/cgroup/memory", FSType: "cgroup", Root: "/", VFSOptions: "rw,memory"},
		{Mountpoint: "/sys/fs/cgroup/systemd", FSType: "cgroup", Root: "/", VFSOptions: "rw,name=systemd"},
		{Mountpoint: "/sys/fs/cgroup/unified", FSType: "cgroup2", Root: "/", VFSOptions: "rw"},
	}
	data := "4:memory:/libpod_parent/libpod-abc\n2:cpuacct:/libpod_parent/libpod-abc\n1:cpu:/x/../libpod_parent/libpod-abc\n9:name=systemd:/s\n0::/libpod_parent/libpod-abc\n"
	c := parse([]byte(data), mounts)
	want := map[string]string{
		"memory":  "/sys/fs/cgroup/memory/libpod_parent/libpod-abc",
		"cpuacct": "/sys/fs/cgroup/cpu,cpuacct/libpod_parent/libpod-abc",
		"cpu":     "/sys/fs/cgroup/cpu/libpod_parent/libpod-abc",
		"systemd": "/sys/fs/cgroup/systemd/s",
	}
	for k, v := range want {
		if c.V1[k] != v {
			t.Errorf("V1[%s] = %q, want %q", k, c.V1[k], v)
		}
	}
	if c.V2 != "/sys/fs/cgroup/unified/libpod_parent/libpod-abc" || c.IsV2() {
		t.Errorf("V2 %q IsV2 %v", c.V2, c.IsV2())
	}
	// A hostile path cannot climb out of the mount.
	c = parse([]byte("0::/../../../etc\n"), mounts)
	if c.V2 != "/sys/fs/cgroup/unified/etc" {
		t.Errorf("V2 = %q", c.V2)
	}
}

func TestParsePureV2(t *testing.T) {
	mounts := []*mountinfo.Info{{Mountpoint: "/sys/fs/cgroup", FSType: "cgroup2", Root: "/"}}
	c := parse([]byte("0::/machine.slice/libpod-abc.scope\n"), mounts)
	if !c.IsV2() || c.V2 != "/sys/fs/cgroup/machine.slice/libpod-abc.scope" {
		t.Fatalf("%+v", c)
	}
}

// TestRealCgroup puts a busy process in a fresh cgroup (v1 or v2, whichever
// this host uses for memory), samples it, applies limits and reads them back.
func TestRealCgroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create cgroups")
	}
	self, err := ForPID(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("selkie-test-%d", os.Getpid())
	var dirs []string
	if self.IsV2() {
		dirs = append(dirs, filepath.Join(filepath.Dir(self.V2), name))
	} else {
		for _, ctrl := range []string{"memory", "cpu", "cpuacct", "pids"} {
			if _, ok := self.V1[ctrl]; !ok {
				t.Skipf("no v1 %s controller", ctrl)
			}
			root := filepath.Join("/sys/fs/cgroup", ctrl)
			dirs = append(dirs, filepath.Join(root, name))
		}
	}
	cmd := exec.Command("/bin/sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		for _, d := range dirs {
			// The shell's children are in the cgroup too.
			for _, p := range strings.Fields(readString(d, "cgroup.procs")) {
				if n, err := strconv.Atoi(p); err == nil {
					syscall.Kill(n, syscall.SIGKILL)
				}
			}
		}
		for _, d := range dirs {
			for i := 0; i < 100 && os.Remove(d) != nil; i++ {
				time.Sleep(10 * time.Millisecond)
			}
		}
	})
	for _, d := range dirs {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Skipf("cannot create cgroup: %v", err)
		}
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			t.Fatal(err)
		}
	}
	cg, err := ForPID(pid)
	if err != nil {
		t.Fatal(err)
	}
	var st *Stats
	for i := 0; i < 50; i++ {
		if st, err = cg.Stats(); err != nil {
			t.Fatal(err)
		}
		if st.CPUNano > 0 && st.MemUsage > 0 {
			break
		}
		exec.Command("sleep", "0.02").Run()
	}
	if st.CPUNano == 0 || st.MemUsage == 0 || st.PIDs < 1 || st.MemLimit == 0 {
		t.Fatalf("implausible stats %+v", st)
	}
	if st.MemLimit != hostMemory() {
		t.Errorf("unlimited cgroup limit %d, want host memory %d", st.MemLimit, hostMemory())
	}
	lim, quota, period, pids := int64(64<<20), int64(50000), uint64(100000), int64(77)
	if err := cg.Apply(&specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &lim},
		CPU:    &specs.LinuxCPU{Quota: &quota, Period: &period},
		Pids:   &specs.LinuxPids{Limit: &pids},
	}); err != nil {
		t.Fatal(err)
	}
	st, _ = cg.Stats()
	if st.MemLimit != uint64(lim) {
		t.Errorf("limit after apply %d, want %d", st.MemLimit, lim)
	}
	if cg.IsV2() {
		if got := readString(cg.V2, "cpu.max"); got != "50000 100000" {
			t.Errorf("cpu.max %q", got)
		}
	} else if got := readString(cg.V1["cpu"], "cpu.cfs_quota_us"); got != "50000" {
		t.Errorf("cfs_quota %q", got)
	}
	pd := cg.V2
	if !cg.IsV2() {
		pd = cg.V1["pids"]
	}
	if got := readString(pd, "pids.max"); strings.TrimSpace(got) != "77" {
		t.Errorf("pids.max %q", got)
	}
}
