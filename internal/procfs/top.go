package procfs

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrUnknownDescriptor is returned for a top descriptor Selkie does not know.
var ErrUnknownDescriptor = errors.New("unknown descriptor")

// DefaultDescriptors are Podman's (ps -ef compatible) top columns.
var DefaultDescriptors = []string{"user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args"}

// TopContext carries what the descriptors need besides the process itself.
type TopContext struct {
	// Users and Groups name IDs as the container's /etc/passwd and /etc/group do.
	Users, Groups Names
	// HostUsers and HostGroups name IDs as the host's files do (huser, hgroup).
	HostUsers, HostGroups Names
	// Now and Boot anchor elapsed and start times.
	Now, Boot time.Time
	// CapLast is the highest capability number the kernel knows.
	CapLast int
	// byHostPID finds a parent inside the set being listed.
	byHostPID map[int]*Process
}

type descriptor struct {
	code, normal, header string
	fn                   func(p *Process, c *TopContext) string
}

// descriptors follow psgo's table (what Podman's top accepts): AIX codes,
// long names and headers.
var descriptors = []descriptor{
	{"%C", "pcpu", "%CPU", func(p *Process, c *TopContext) string {
		el := elapsed(p, c).Seconds()
		if el <= 0 {
			return "0.000"
		}
		return strconv.FormatFloat(100*cpuTime(p).Seconds()/el, 'f', 3, 64)
	}},
	{"%G", "group", "GROUP", func(p *Process, c *TopContext) string { return c.Groups.Lookup(p.GIDs[1]) }},
	{"", "groups", "GROUPS", func(p *Process, c *TopContext) string { return lookupAll(c.Groups, p.Groups) }},
	{"%P", "ppid", "PPID", func(p *Process, c *TopContext) string { return strconv.Itoa(ppid(p, c)) }},
	{"%U", "user", "USER", func(p *Process, c *TopContext) string { return c.Users.Lookup(p.UIDs[1]) }},
	{"", "uid", "UID", func(p *Process, c *TopContext) string { return p.UIDs[1] }},
	{"", "gid", "GID", func(p *Process, c *TopContext) string { return p.GIDs[1] }},
	{"%a", "args", "COMMAND", func(p *Process, c *TopContext) string {
		if len(p.Args) == 0 || p.Args[0] == "" {
			return "[" + p.Comm + "]"
		}
		return strings.Join(p.Args, " ")
	}},
	{"%c", "comm", "COMMAND", func(p *Process, c *TopContext) string { return p.Comm }},
	{"%g", "rgroup", "RGROUP", func(p *Process, c *TopContext) string { return c.Groups.Lookup(p.GIDs[0]) }},
	{"%n", "nice", "NI", func(p *Process, c *TopContext) string { return strconv.Itoa(p.Nice) }},
	{"%p", "pid", "PID", func(p *Process, c *TopContext) string { return strconv.Itoa(p.PID()) }},
	{"%r", "pgid", "PGID", func(p *Process, c *TopContext) string { return strconv.Itoa(p.Pgrp) }},
	{"%t", "etime", "ELAPSED", func(p *Process, c *TopContext) string { return elapsed(p, c).String() }},
	{"%u", "ruser", "RUSER", func(p *Process, c *TopContext) string { return c.Users.Lookup(p.UIDs[0]) }},
	{"%x", "time", "TIME", func(p *Process, c *TopContext) string { return cpuTime(p).String() }},
	{"%y", "tty", "TTY", func(p *Process, c *TopContext) string { return ttyName(p.TtyNr) }},
	{"%z", "vsz", "VSZ", func(p *Process, c *TopContext) string { return strconv.FormatUint(p.Vsize/1024, 10) }},
	{"", "capamb", "AMBIENT CAPS", func(p *Process, c *TopContext) string { return capNames(p.CapAmb, c.CapLast) }},
	{"", "capinh", "INHERITED CAPS", func(p *Process, c *TopContext) string { return capNames(p.CapInh, c.CapLast) }},
	{"", "capprm", "PERMITTED CAPS", func(p *Process, c *TopContext) string { return capNames(p.CapPrm, c.CapLast) }},
	{"", "capeff", "EFFECTIVE CAPS", func(p *Process, c *TopContext) string { return capNames(p.CapEff, c.CapLast) }},
	{"", "capbnd", "BOUNDING CAPS", func(p *Process, c *TopContext) string { return capNames(p.CapBnd, c.CapLast) }},
	{"", "seccomp", "SECCOMP", func(p *Process, c *TopContext) string {
		switch p.Seccomp {
		case "0":
			return "disabled"
		case "1":
			return "strict"
		case "2":
			return "filter"
		}
		return "?"
	}},
	{"", "label", "LABEL", func(p *Process, c *TopContext) string { return "?" }},
	{"", "hpid", "HPID", func(p *Process, c *TopContext) string { return strconv.Itoa(p.HostPID) }},
	{"", "huser", "HUSER", func(p *Process, c *TopContext) string { return c.HostUsers.Lookup(p.UIDs[1]) }},
	{"", "huid", "HUID", func(p *Process, c *TopContext) string { return p.UIDs[1] }},
	{"", "hgroup", "HGROUP", func(p *Process, c *TopContext) string { return c.HostGroups.Lookup(p.GIDs[1]) }},
	{"", "hgroups", "HGROUPS", func(p *Process, c *TopContext) string { return strings.Join(p.Groups, ",") }},
	{"", "rss", "RSS", func(p *Process, c *TopContext) string {
		if p.VMRSS == "" {
			return "0"
		}
		return p.VMRSS
	}},
	{"", "state", "STATE", func(p *Process, c *TopContext) string { return p.State }},
	{"", "stime", "STIME", func(p *Process, c *TopContext) string { return startTime(p, c).String() }},
}

// Descriptors lists the long names of every supported descriptor, sorted.
func Descriptors() []string {
	out := make([]string, 0, len(descriptors))
	for _, d := range descriptors {
		out = append(out, d.normal)
	}
	sort.Strings(out)
	return out
}

// translate maps user descriptors (long names or AIX codes; commas split
// one argument into several, as Podman accepts both forms) to the table.
func translate(in []string) ([]descriptor, error) {
	var names []string
	for _, a := range in {
		for _, s := range strings.Split(a, ",") {
			if s = strings.TrimSpace(s); s != "" {
				names = append(names, s)
			}
		}
	}
	if len(names) == 0 {
		names = DefaultDescriptors
	}
	out := make([]descriptor, 0, len(names))
	for _, n := range names {
		found := false
		for _, d := range descriptors {
			if n == d.normal || (d.code != "" && n == d.code) {
				out = append(out, d)
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("'%s': %w", n, ErrUnknownDescriptor)
		}
	}
	return out, nil
}

// Top renders procs with the descriptors: a header row, then one row per process.
func Top(procs []*Process, descs []string, c TopContext) ([][]string, error) {
	ds, err := translate(descs)
	if err != nil {
		return nil, err
	}
	c.byHostPID = make(map[int]*Process, len(procs))
	for _, p := range procs {
		c.byHostPID[p.HostPID] = p
	}
	hdr := make([]string, len(ds))
	for i, d := range ds {
		hdr[i] = d.header
	}
	rows := [][]string{hdr}
	for _, p := range procs {
		row := make([]string, len(ds))
		for i, d := range ds {
			row[i] = d.fn(p, &c)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// ppid is the parent's PID as the container sees it: 0 when the parent is
// outside the listed set (conmon or runc on the host).
func ppid(p *Process, c *TopContext) int {
	if parent, ok := c.byHostPID[p.HostPPID]; ok {
		return parent.PID()
	}
	return 0
}

// startTime has second resolution, as psgo computes it.
func startTime(p *Process, c *TopContext) time.Time {
	return c.Boot.Add(time.Duration(p.StartTicks/clockTicks) * time.Second)
}

func elapsed(p *Process, c *TopContext) time.Duration {
	return c.Now.Sub(startTime(p, c))
}

// cpuTime is user+system time, truncated to seconds as psgo prints it.
func cpuTime(p *Process) time.Duration {
	return time.Duration((p.Utime+p.Stime)/clockTicks) * time.Second
}

func lookupAll(n Names, ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = n.Lookup(id)
	}
	return strings.Join(out, ",")
}

// ttyName decodes tty_nr (proc(5)) without scanning /dev: pts devices are
// major 136-143, virtual consoles major 4, /dev/console 5:1.
func ttyName(nr uint64) string {
	if nr == 0 {
		return "?"
	}
	major := (nr >> 8) & 0xfff
	minor := (nr & 0xff) | ((nr >> 12) & 0xfff00)
	switch {
	case major >= 136 && major <= 143:
		return fmt.Sprintf("pts/%d", (major-136)*256+minor)
	case major == 4 && minor < 64:
		return fmt.Sprintf("tty%d", minor)
	case major == 4:
		return fmt.Sprintf("ttyS%d", minor-64)
	case major == 5 && minor == 1:
		return "console"
	}
	return "?"
}

// BootTime reads btime from procRoot/stat.
func BootTime(procRoot string) (time.Time, error) {
	b, err := os.ReadFile(procRoot + "/stat")
	if err != nil {
		return time.Time{}, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, err
			}
			return time.Unix(n, 0), nil
		}
	}
	return time.Time{}, fmt.Errorf("no btime in %s/stat", procRoot)
}

// CapLast reads the highest capability number the kernel knows.
func CapLast(procRoot string) int {
	b, err := os.ReadFile(procRoot + "/sys/kernel/cap_last_cap")
	if err != nil {
		return len(capNameList) - 1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return len(capNameList) - 1
	}
	return n
}
