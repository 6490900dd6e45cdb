package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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
	// A member's own setting of the same option wins over the pod's.
	prof := filepath.Join(t.TempDir(), "allow.json")
	if err := os.WriteFile(prof, []byte(`{"defaultAction":"SCMP_ACT_ALLOW"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := c.Must(t, "run", "--rm", "--pod", "inh", "--security-opt", "seccomp="+prof, "bb", "grep", "^Seccomp:", "/proc/self/status"); strings.Join(strings.Fields(out), " ") != "Seccomp: 2" {
		t.Errorf("member --security-opt seccomp=PROFILE in a seccomp=unconfined pod: %q", out)
	}
	if h, _ := os.Hostname(); h != host {
		t.Fatalf("the host was renamed to %q", h)
	}
	if out := c.Must(t, "pod", "inspect", "--format", "{{.InfraConfig.PidNS}} {{.InfraConfig.UtsNS}} {{.SecurityOpts}} {{len .Devices}} {{len .VolumesFrom}}", "inh"); strings.TrimSpace(out) != "host host [seccomp=unconfined] 1 1" {
		t.Errorf("pod inspect: %q", out)
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
		{[]string{"--pid", "ns:/nonexistent"}, "cannot find specified PID namespace path: stat /nonexistent: no such file or directory"},
		{[]string{"--security-opt", "bogus"}, `invalid --security-opt 1: "bogus"`},
		{[]string{"--security-opt", "seccomp=/nonexistent.json"}, "opening seccomp profile failed: open /nonexistent.json: no such file or directory"},
		{[]string{"--device", "/etc/passwd"}, "/etc/passwd is not a device"},
		{[]string{"--volumes-from", "inhsrc:bogus"}, "volumes from another container can only use z,ro,rw options"},
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

// podTestBlockDevice is a block device of the host for I/O limits ("" when
// there is none).
func podTestBlockDevice() string {
	ents, _ := os.ReadDir("/sys/block")
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "loop") || strings.HasPrefix(n, "ram") {
			continue
		}
		if fi, err := os.Stat("/dev/" + n); err == nil && fi.Mode()&os.ModeDevice != 0 && fi.Mode()&os.ModeCharDevice == 0 {
			return "/dev/" + n
		}
	}
	return ""
}

// pod create --device-read-bps/--device-write-bps throttle the pod cgroup
// (which holds the members'); --blkio-weight-device sets a device weight
// where the kernel offers one and is refused cleanly where it does not.
func TestPodCreateIOLimits(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root (pod cgroups are rootful)")
	}
	c := newPodCLI(t)
	dev := podTestBlockDevice()
	if dev == "" {
		t.Skip("no block device on this host")
	}
	t.Cleanup(func() { c.Run("pod", "rm", "-f", "-t", "0", "iol") })
	var st unix.Stat_t
	if err := unix.Stat(dev, &st); err != nil {
		t.Fatal(err)
	}
	num := fmt.Sprintf("%d:%d", unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev)))
	id := strings.TrimSpace(c.Must(t, "pod", "create", "--name", "iol", "--device-read-bps", dev+":1mb", "--device-write-bps", dev+":2mb"))
	m := podInspect(t, c, "iol")
	if r, _ := m["device_read_bps"].([]any); len(r) != 1 || fmt.Sprint(r[0]) != fmt.Sprintf("map[Path:%s Rate:%v]", dev, float64(1<<20)) {
		t.Errorf("pod inspect device_read_bps: %v", m["device_read_bps"])
	}
	cg, _ := m["CgroupPath"].(string)
	read := func(v1, v2 string) string {
		if b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/blkio", cg, v1)); err == nil {
			return string(b)
		}
		b, _ := os.ReadFile(filepath.Join("/sys/fs/cgroup", cg, v2))
		return string(b)
	}
	if got := read("blkio.throttle.read_bps_device", "io.max"); !strings.Contains(got, num+" 1048576") && !strings.Contains(got, num+" rbps=1048576") {
		t.Errorf("pod cgroup read throttle: %q (want %s 1048576)", got, num)
	}
	if got := read("blkio.throttle.write_bps_device", "io.max"); !strings.Contains(got, num+" 2097152") && !strings.Contains(got, "wbps=2097152") {
		t.Errorf("pod cgroup write throttle: %q (want %s 2097152)", got, num)
	}
	// A member lives under that cgroup.
	c.Must(t, "run", "-d", "--pod", "iol", "--name", "iolm", "bb", "sleep", "600")
	if out := c.Must(t, "exec", "iolm", "cat", "/proc/self/cgroup"); !strings.Contains(out, id) {
		t.Errorf("member not in the pod cgroup: %q", out)
	}

	if r := c.Run("pod", "create", "--name", "iolw", "--blkio-weight-device", dev+":500"); r.ExitCode == 0 {
		if w, _ := podInspect(t, c, "iolw")["blkio_weight_device"].([]any); len(w) != 1 {
			t.Errorf("blkio_weight_device: %v", w)
		}
		c.Must(t, "pod", "rm", "-f", "iolw")
	} else if r.ExitCode != 125 || !strings.Contains(r.Stderr, "weight") {
		t.Errorf("--blkio-weight-device without a weight file: %s", r)
	} else if e := c.Run("pod", "exists", "iolw"); e.ExitCode != 1 {
		t.Errorf("a refused --blkio-weight-device pod exists: %s", e)
	}

	before := c.Must(t, "pod", "ps", "-q")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--device-read-bps", "bad"}, "bad format: bad"},
		{[]string{"--device-read-bps", "/tmp/x:1mb"}, "bad format for device path: /tmp/x:1mb"},
		{[]string{"--device-write-bps", dev + ":fast"}, "invalid rate for device: " + dev + ":fast. The correct format is <device-path>:<number>[<unit>]"},
		{[]string{"--device-read-bps", "/dev/nonexistent-blk:1mb"}, "stat /dev/nonexistent-blk: no such file or directory"},
		{[]string{"--device-read-bps", "/dev/null:1mb"}, "/dev/null is not a block device"},
		{[]string{"--blkio-weight-device", dev + ":5"}, "invalid weight for device: " + dev + ":5"},
		{[]string{"--blkio-weight-device", dev}, "bad format: " + dev},
	} {
		args := append([]string{"pod", "create", "--name", "badio"}, tc.args...)
		if r := c.Run(args...); r.ExitCode != 125 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v: want 125 and %q, got %s", tc.args, tc.want, r)
		}
	}
	if after := c.Must(t, "pod", "ps", "-q"); after != before {
		t.Errorf("refused pod creates left pods: %q, was %q", after, before)
	}
}

// pod create --infra-conmon-pidfile: each start of the infra (pod start,
// or a member's start) writes its conmon's PID there.
func TestPodInfraConmonPidfile(t *testing.T) {
	c := newPodCLI(t)
	pidfile := filepath.Join(t.TempDir(), "infra-conmon.pid")
	t.Cleanup(func() { c.Run("pod", "rm", "-f", "-t", "0", "icp") })
	c.Must(t, "pod", "create", "--name", "icp", "--infra-conmon-pidfile", pidfile)
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pid file before the infra started: %v", err)
	}
	infra := strings.TrimSpace(c.Must(t, "pod", "inspect", "--format", "{{.InfraContainerID}}", "icp"))
	check := func(how string) {
		t.Helper()
		b, err := os.ReadFile(pidfile)
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		pid := strings.TrimSpace(string(b))
		comm, _ := os.ReadFile("/proc/" + pid + "/comm")
		cmdline, _ := os.ReadFile("/proc/" + pid + "/cmdline")
		if strings.TrimSpace(string(comm)) != "conmon" || !strings.Contains(string(cmdline), infra) {
			t.Errorf("%s: pid file holds %q, not the infra's conmon (comm %q)", how, pid, comm)
		}
	}
	c.Must(t, "pod", "start", "icp")
	check("pod start")
	c.Must(t, "pod", "stop", "-t", "0", "icp")
	if err := os.Remove(pidfile); err != nil {
		t.Fatal(err)
	}
	c.Must(t, "run", "--rm", "--pod", "icp", "bb", "true")
	check("a member's start")
	c.Must(t, "pod", "stop", "-t", "0", "icp")
	if err := os.Remove(pidfile); err != nil {
		t.Fatal(err)
	}
	c.Must(t, "start", infra)
	check("start of the infra container itself")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--infra=false", "--infra-conmon-pidfile", pidfile}, "needs an infra container"},
		{[]string{"--infra-conmon-pidfile", "/nonexistent/dir/pid"}, "directory /nonexistent/dir does not exist"},
	} {
		args := append([]string{"pod", "create", "--name", "badicp"}, tc.args...)
		if r := c.Run(args...); r.ExitCode != 125 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v: want 125 and %q, got %s", tc.args, tc.want, r)
		}
		if r := c.Run("pod", "exists", "badicp"); r.ExitCode != 1 {
			t.Errorf("%v: the refused pod exists: %s", tc.args, r)
		}
	}
}

// pod create --cgroup-parent: the pod cgroup (its limits, the members'
// cgroups) is made under that parent, nested levels included; pod rm
// removes the pod's own cgroup.
func TestPodCgroupParent(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root (pod cgroups are rootful)")
	}
	c := newPodCLI(t)
	top := fmt.Sprintf("selkie-e2e-%d", time.Now().UnixNano())
	parent := "/" + top + "/nested"
	t.Cleanup(func() {
		c.Run("pod", "rm", "-f", "-t", "0", "cgp")
		for _, root := range append(mustGlob("/sys/fs/cgroup/*/"+top), mustGlob("/sys/fs/cgroup/"+top)...) {
			_ = os.Remove(filepath.Join(root, "nested"))
			_ = os.Remove(root)
		}
	})
	id := strings.TrimSpace(c.Must(t, "pod", "create", "--name", "cgp", "--cgroup-parent", top+"/nested", "--memory", "64m"))
	m := podInspect(t, c, "cgp")
	if m["CgroupParent"] != parent || m["CgroupPath"] != parent+"/"+id {
		t.Errorf("pod inspect CgroupParent %v CgroupPath %v", m["CgroupParent"], m["CgroupPath"])
	}
	c.Must(t, "run", "-d", "--pod", "cgp", "--name", "cgpm", "bb", "sleep", "600")
	ctr := strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.Id}}", "cgpm"))
	if out := c.Must(t, "exec", "cgpm", "cat", "/proc/self/cgroup"); !strings.Contains(out, parent+"/"+id+"/libpod-"+ctr) {
		t.Errorf("member cgroup not under the pod's parent %s: %q", parent, out)
	}
	if b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory", parent, id, "memory.limit_in_bytes")); err == nil {
		if strings.TrimSpace(string(b)) != fmt.Sprint(64<<20) {
			t.Errorf("pod memory limit under the parent: %s", b)
		}
	} else if b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", parent, id, "memory.max")); err != nil || strings.TrimSpace(string(b)) != fmt.Sprint(64<<20) {
		t.Errorf("pod memory limit under the parent: %q %v", b, err)
	}
	c.Must(t, "pod", "rm", "-f", "-t", "0", "cgp")
	if left := append(mustGlob("/sys/fs/cgroup/*/"+top+"/nested/"+id), mustGlob("/sys/fs/cgroup/"+top+"/nested/"+id)...); len(left) > 0 {
		t.Errorf("pod rm left its cgroup: %v", left)
	}
	for _, tc := range []struct {
		parent, want string
	}{
		{"machine.slice", "systemd slice received as cgroup parent when using cgroupfs"},
		{"/a/../../x", `invalid cgroup parent "/a/../../x"`},
		{"/", `invalid cgroup parent "/"`},
	} {
		if r := c.Run("pod", "create", "--name", "badcgp", "--cgroup-parent", tc.parent); r.ExitCode != 125 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("--cgroup-parent %s: want 125 and %q, got %s", tc.parent, tc.want, r)
		}
		if r := c.Run("pod", "exists", "badcgp"); r.ExitCode != 1 {
			t.Errorf("--cgroup-parent %s: the refused pod exists: %s", tc.parent, r)
		}
	}
}

func mustGlob(pattern string) []string {
	m, _ := filepath.Glob(pattern)
	return m
}

// The infra's own settings: --infra-name, --infra-image, --infra-command
// (a JSON array, as Podman's entrypoint), --dns/--dns-search/--dns-option
// for the members sharing its network, --no-hosts; pod ps --ctr-ids and
// --filter ctr-ids.
func TestPodInfraSettings(t *testing.T) {
	c := newPodCLI(t)
	t.Cleanup(func() {
		c.Run("pod", "rm", "-f", "-t", "0", "ist")
		c.Run("pod", "rm", "-f", "-t", "0", "isn")
	})
	c.Must(t, "pod", "create", "--name", "ist", "--infra-name", "ist-infra", "--infra-image", "bb",
		"--infra-command", `["sleep","1000"]`, "--dns", "10.11.12.13", "--dns-search", "example.test", "--dns-option", "ndots:3")
	out := c.Must(t, "run", "--rm", "--pod", "ist", "bb", "cat", "/etc/resolv.conf")
	for _, want := range []string{"nameserver 10.11.12.13", "search example.test", "options ndots:3"} {
		if !strings.Contains(out, want) {
			t.Errorf("member resolv.conf lacks %q: %q", want, out)
		}
	}
	if out := c.Must(t, "inspect", "--format", "{{.Name}} {{.State.Running}} {{.Config.Cmd}}", "ist-infra"); strings.TrimSpace(out) != "ist-infra true [sleep 1000]" {
		t.Errorf("infra container: %q", out)
	}
	if out := c.Must(t, "top", "ist-infra", "args"); !strings.Contains(out, "sleep 1000") {
		t.Errorf("infra process: %q", out)
	}
	infra := strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.Id}}", "ist-infra"))
	if out := c.Must(t, "pod", "ps", "--ctr-ids", "--filter", "name=^ist$", "--format", "{{.Name}} {{.ContainerIds}}"); strings.TrimSpace(out) != "ist "+infra[:12] {
		t.Errorf("pod ps --ctr-ids: %q, want ist %s", out, infra[:12])
	}
	if out := c.Must(t, "pod", "ps", "-q", "--filter", "ctr-ids="+infra[:12]); strings.TrimSpace(out) == "" {
		t.Errorf("pod ps --filter ctr-ids=%s found nothing", infra[:12])
	}
	// --no-hosts: the members' /etc/hosts is not made by the engine.
	c.Must(t, "pod", "create", "--name", "isn", "--no-hosts")
	if out := c.Must(t, "run", "--rm", "--pod", "isn", "bb", "sh", "-c", "cat /etc/hosts 2>/dev/null; true"); strings.Contains(out, "isn") {
		t.Errorf("--no-hosts member /etc/hosts names the pod: %q", out)
	}
	if out := c.Must(t, "run", "--rm", "--pod", "ist", "bb", "cat", "/etc/hosts"); !strings.Contains(out, "ist") {
		t.Errorf("member /etc/hosts without --no-hosts does not name the pod: %q", out)
	}
	// Podman's shorthands on pod create: -h is --hostname, -c --cpu-shares.
	t.Cleanup(func() { c.Run("pod", "rm", "-f", "-t", "0", "ish") })
	// -p takes a comma-separated list, as Podman's.
	c.Must(t, "pod", "create", "--name", "ish", "-h", "shorthost", "-c", "512", "-p", "18090:80,18091:81")
	if out := c.Must(t, "pod", "inspect", "--format", "{{.Hostname}} {{.CPUShares}} {{len .InfraConfig.PortBindings}}", "ish"); strings.TrimSpace(out) != "shorthost 512 2" {
		t.Errorf("pod create -h shorthost -c 512 -p 18090:80,18091:81: %q", out)
	}
	if out := c.Must(t, "pod", "create", "--help"); !strings.Contains(out, "--infra-conmon-pidfile") {
		t.Errorf("pod create --help: %q", out)
	}
}
