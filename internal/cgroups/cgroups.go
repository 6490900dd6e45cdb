// Package cgroups reads resource use from a container's cgroup and writes
// resource limits to it, on cgroup v1, v2 and the hybrid layout (v1
// controllers plus a cgroup2 mount at /sys/fs/cgroup/unified). The cgroup is
// found from a process's /proc/PID/cgroup, so it works whatever cgroup path
// the runtime chose.
package cgroups

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"
)

// Cgroup is where one process's cgroup lives on this host.
type Cgroup struct {
	// V1 maps a v1 controller name (cpu, cpuacct, memory, pids, blkio,
	// cpuset, freezer …) to the cgroup's directory for it.
	V1 map[string]string
	// V2 is the cgroup's directory in the cgroup2 hierarchy, if one is mounted.
	V2 string
}

// ForPID finds the cgroup of host process pid.
func ForPID(pid int) (*Cgroup, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return nil, err
	}
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		return nil, fmt.Errorf("reading cgroup mounts: %w", err)
	}
	return parse(data, mounts), nil
}

// parse combines /proc/PID/cgroup lines (id:controllers:path) with the
// cgroup mounts. A mount's Root is subtracted from the path, which matters
// when the caller itself runs in a cgroup namespace.
func parse(procCgroup []byte, mounts []*mountinfo.Info) *Cgroup {
	c := &Cgroup{V1: map[string]string{}}
	v1mnt := map[string]*mountinfo.Info{}
	var v2mnt *mountinfo.Info
	for _, m := range mounts {
		if m.FSType == "cgroup2" {
			if v2mnt == nil {
				v2mnt = m
			}
			continue
		}
		for _, opt := range strings.Split(m.VFSOptions, ",") {
			if _, seen := v1mnt[opt]; !seen {
				v1mnt[opt] = m
			}
		}
	}
	s := bufio.NewScanner(bytes.NewReader(procCgroup))
	for s.Scan() {
		f := strings.SplitN(s.Text(), ":", 3)
		if len(f) != 3 {
			continue
		}
		if f[0] == "0" && f[1] == "" {
			if v2mnt != nil {
				c.V2 = join(v2mnt, f[2])
			}
			continue
		}
		for _, ctrl := range strings.Split(f[1], ",") {
			if m, ok := v1mnt[ctrl]; ok {
				c.V1[strings.TrimPrefix(ctrl, "name=")] = join(m, f[2])
			}
		}
	}
	return c
}

func join(m *mountinfo.Info, p string) string {
	rel := p
	if m.Root != "/" && m.Root != "" {
		rel = strings.TrimPrefix(p, m.Root)
	}
	return filepath.Join(m.Mountpoint, filepath.Clean("/"+rel))
}

// hasV1 reports whether the v1 hierarchy carries controller for this cgroup;
// when it does not, the v2 files are used (pure v2 hosts).
func (c *Cgroup) hasV1(ctrl string) bool {
	_, ok := c.V1[ctrl]
	return ok
}

// IsV2 reports whether the memory controller is on cgroup2 (a unified host).
func (c *Cgroup) IsV2() bool { return !c.hasV1("memory") && c.V2 != "" }
