package local

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// warmCgroupMigration writes this process's own PID to the cgroup.procs of
// the cgroup it is already in (a no-op move), in the background.
//
// Why: every move of a process between cgroups (conmon to
// libpod_parent/conmon, runc putting the container's init in its cgroup)
// takes the kernel's cgroup_threadgroup_rwsem for writing, and the first
// writer after a quiet spell waits for an RCU grace period (10-25 ms on
// this host). Later writers within about one grace period pass at once. A
// no-op move made when a start begins overlaps that wait with the spec,
// bundle and conmon work, so runc's join no longer waits on the critical
// path. The returned channel is closed when the write is done.
func warmCgroupMigration() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if p := ownCgroupProcs(); p != "" {
			_ = os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())), 0)
		}
	}()
	return done
}

// ownCgroupProcs is the cgroup.procs file of this process's cgroup in one
// hierarchy: the cgroup2 one when /sys/fs/cgroup is cgroup2 (or the hybrid
// unified mount), else the v1 pids controller; "" when none is found.
func ownCgroupProcs() string {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	var st unix.Statfs_t
	v2root := ""
	if unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		v2root = "/sys/fs/cgroup"
	} else if unix.Statfs("/sys/fs/cgroup/unified", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		v2root = "/sys/fs/cgroup/unified"
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 || strings.Contains(f[2], "..") {
			continue
		}
		var dir string
		switch {
		case f[0] == "0" && f[1] == "" && v2root != "":
			dir = filepath.Join(v2root, f[2])
		case f[1] == "pids" && v2root != "/sys/fs/cgroup":
			dir = filepath.Join("/sys/fs/cgroup/pids", f[2])
		default:
			continue
		}
		p := filepath.Join(dir, "cgroup.procs")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}
