// Package procfs reads processes from the host's /proc for `top`: it never
// joins a container's namespaces and never executes anything found in a
// container root (security.md R6, B4). User and group names come from files
// parsed in Go (see users.go).
package procfs

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, fixed at 100 on every Linux architecture Selkie
// supports (sysconf(_SC_CLK_TCK) would need cgo for the same answer).
const clockTicks = 100

// Process is one process as the host's /proc shows it.
type Process struct {
	HostPID  int
	HostPPID int
	// NSpid lists the process's PID in each nested PID namespace, outermost
	// (host) first; the last entry is the PID the container sees.
	NSpid []int
	// PIDNS identifies the PID namespace (the /proc/PID/ns/pid link).
	PIDNS string

	Comm       string
	Args       []string // /proc/PID/cmdline split on NUL, as psgo does
	State      string
	Pgrp       int
	TtyNr      uint64
	Nice       int
	Utime      uint64 // clock ticks
	Stime      uint64 // clock ticks
	StartTicks uint64 // clock ticks after boot
	Vsize      uint64 // bytes
	VMRSS      string // kB, empty for kernel threads

	UIDs    [4]string // real, effective, saved, filesystem
	GIDs    [4]string
	Groups  []string
	CapInh  string
	CapPrm  string
	CapEff  string
	CapBnd  string
	CapAmb  string
	Seccomp string
}

// PID is the process's PID inside its own (innermost) PID namespace.
func (p *Process) PID() int {
	if len(p.NSpid) == 0 {
		return p.HostPID
	}
	return p.NSpid[len(p.NSpid)-1]
}

// Read reads /proc/<pid>/{stat,status,cmdline} under procRoot (normally "/proc").
func Read(procRoot string, pid int) (*Process, error) {
	dir := fmt.Sprintf("%s/%d", procRoot, pid)
	p := &Process{HostPID: pid}
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return nil, err
	}
	if err := p.parseStat(stat); err != nil {
		return nil, fmt.Errorf("parsing %s/stat: %w", dir, err)
	}
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return nil, err
	}
	p.parseStatus(status)
	cmdline, err := os.ReadFile(dir + "/cmdline")
	if err != nil {
		return nil, err
	}
	// Under load the kernel can hand out an empty cmdline for a live user
	// process (reading another process's memory failed): try again briefly.
	for i := 0; len(cmdline) == 0 && p.State != "Z" && p.Vsize > 0 && i < 3; i++ {
		time.Sleep(time.Millisecond)
		if cmdline, err = os.ReadFile(dir + "/cmdline"); err != nil {
			return nil, err
		}
	}
	p.Args = strings.Split(string(cmdline), "\x00")
	p.PIDNS, _ = os.Readlink(dir + "/ns/pid")
	return p, nil
}

// parseStat parses /proc/PID/stat. comm is enclosed in parentheses and may
// itself contain spaces and parentheses, so fields are counted from the last ')'.
func (p *Process) parseStat(b []byte) error {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return fmt.Errorf("malformed stat line")
	}
	p.Comm = string(b[open+1 : end])
	f := strings.Fields(string(b[end+1:]))
	// f[0] is field 3 (state) of proc(5).
	if len(f) < 22 {
		return fmt.Errorf("short stat line (%d fields)", len(f))
	}
	num := func(i int) uint64 { v, _ := strconv.ParseUint(f[i-3], 10, 64); return v }
	p.State = f[0]
	p.HostPPID = int(num(4))
	p.Pgrp = int(num(5))
	p.TtyNr = num(7)
	p.Utime = num(14)
	p.Stime = num(15)
	p.Nice, _ = strconv.Atoi(f[19-3])
	p.StartTicks = num(22)
	p.Vsize = num(23)
	return nil
}

func (p *Process) parseStatus(b []byte) {
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "State":
			if s, _, ok := strings.Cut(v, " "); ok {
				v = s
			}
			p.State = v
		case "Uid":
			copy(p.UIDs[:], strings.Fields(v))
		case "Gid":
			copy(p.GIDs[:], strings.Fields(v))
		case "Groups":
			p.Groups = strings.Fields(v)
		case "NSpid":
			p.NSpid = p.NSpid[:0]
			for _, s := range strings.Fields(v) {
				n, err := strconv.Atoi(s)
				if err == nil {
					p.NSpid = append(p.NSpid, n)
				}
			}
		case "VmRSS":
			p.VMRSS = strings.TrimSuffix(v, " kB")
		case "CapInh":
			p.CapInh = v
		case "CapPrm":
			p.CapPrm = v
		case "CapEff":
			p.CapEff = v
		case "CapBnd":
			p.CapBnd = v
		case "CapAmb":
			p.CapAmb = v
		case "Seccomp":
			p.Seccomp = v
		}
	}
}

// PIDs lists the numeric entries of procRoot.
func PIDs(procRoot string) ([]int, error) {
	ents, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, err
	}
	pids := make([]int, 0, len(ents))
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, n)
		}
	}
	return pids, nil
}

// InPIDNamespace lists the host PIDs of every process whose PID namespace is
// the one of host PID init (the container's main process), init first.
func InPIDNamespace(procRoot string, init int) ([]int, error) {
	ns, err := os.Readlink(fmt.Sprintf("%s/%d/ns/pid", procRoot, init))
	if err != nil {
		return nil, err
	}
	all, err := PIDs(procRoot)
	if err != nil {
		return nil, err
	}
	out := []int{init}
	for _, pid := range all {
		if pid == init {
			continue
		}
		if l, err := os.Readlink(fmt.Sprintf("%s/%d/ns/pid", procRoot, pid)); err == nil && l == ns {
			out = append(out, pid)
		}
	}
	return out, nil
}

// SameNamespace reports whether host PID pid shares the namespace kind
// ("pid", "mnt", "net" …) with the calling process.
func SameNamespace(procRoot string, pid int, kind string) bool {
	a, err1 := os.Readlink(fmt.Sprintf("%s/self/ns/%s", procRoot, kind))
	b, err2 := os.Readlink(fmt.Sprintf("%s/%d/ns/%s", procRoot, pid, kind))
	return err1 == nil && err2 == nil && a == b
}
