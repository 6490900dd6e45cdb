package procfs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadSelf(t *testing.T) {
	p, err := Read("/proc", os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if p.HostPPID != os.Getppid() {
		t.Errorf("ppid %d, want %d", p.HostPPID, os.Getppid())
	}
	if p.UIDs[1] != strconv.Itoa(os.Geteuid()) {
		t.Errorf("euid %q, want %d", p.UIDs[1], os.Geteuid())
	}
	if p.PID() != os.Getpid() {
		t.Errorf("PID() %d, want %d (same namespace)", p.PID(), os.Getpid())
	}
	if p.Args[0] != os.Args[0] {
		t.Errorf("args[0] %q, want %q", p.Args[0], os.Args[0])
	}
}

func TestParseStatHostileComm(t *testing.T) {
	var p Process
	line := "42 (a) b (c) S 1 42 42 34816 42 4194560 100 0 0 0 250 150 0 0 20 5 1 0 900 1048576 200 18446744073709551615"
	if err := p.parseStat([]byte(line)); err != nil {
		t.Fatal(err)
	}
	if p.Comm != "a) b (c" || p.State != "S" || p.HostPPID != 1 || p.Utime != 250 || p.Stime != 150 || p.Nice != 5 || p.StartTicks != 900 || p.Vsize != 1048576 || p.TtyNr != 34816 {
		t.Fatalf("parsed %+v", p)
	}
	if err := p.parseStat([]byte("garbage")); err == nil {
		t.Fatal("garbage stat parsed")
	}
	if err := p.parseStat([]byte("1 (x) S 1 2")); err == nil {
		t.Fatal("short stat parsed")
	}
}

func TestTTYName(t *testing.T) {
	for nr, want := range map[uint64]string{0: "?", 136<<8 | 3: "pts/3", 34816: "pts/0", 4<<8 | 1: "tty1", 5<<8 | 1: "console"} {
		if got := ttyName(nr); got != want {
			t.Errorf("ttyName(%d) = %q, want %q", nr, got, want)
		}
	}
}

func TestCapNames(t *testing.T) {
	if got := capNames("0000000000000000", 40); got != "none" {
		t.Errorf("none: %q", got)
	}
	if got := capNames("000001ffffffffff", 40); got != "full" {
		t.Errorf("full: %q", got)
	}
	if got := capNames("0000000000000003", 40); got != "CHOWN,DAC_OVERRIDE" {
		t.Errorf("two: %q", got)
	}
}

// TestTopPIDNamespace starts a process tree in a new PID namespace and checks
// that top sees it as the container would: PID 1, the child's PPID 1, and
// the init's parent (outside) as 0.
func TestTopPIDNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for CLONE_NEWPID")
	}
	cmd := exec.Command("/bin/sh", "-c", "sleep 30 & wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	init := cmd.Process.Pid
	var pids []int
	for i := 0; i < 100; i++ {
		var err error
		if pids, err = InPIDNamespace("/proc", init); err != nil {
			t.Fatal(err)
		}
		if len(pids) == 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(pids) != 2 || pids[0] != init {
		t.Fatalf("pids in namespace: %v (init %d)", pids, init)
	}
	var procs []*Process
	for _, pid := range pids {
		p, err := Read("/proc", pid)
		if err != nil {
			t.Fatal(err)
		}
		procs = append(procs, p)
	}
	boot, err := BootTime("/proc")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Top(procs, []string{"pid,ppid", "hpid", "user", "args"}, TopContext{Users: Names{"0": "root"}, Now: time.Now(), Boot: boot})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"PID", "PPID", "HPID", "USER", "COMMAND"},
		{"1", "0", strconv.Itoa(init), "root", "/bin/sh -c sleep 30 & wait "},
		{"2", "1", strconv.Itoa(pids[1]), "root", "sleep 30 "},
	}
	if strings.Join(flatten(rows), "|") != strings.Join(flatten(want), "|") {
		t.Fatalf("top rows\n got %q\nwant %q", rows, want)
	}
	def, err := Top(procs[:1], nil, TopContext{Users: Names{}, Now: time.Now(), Boot: boot})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(def[0], " ") != "USER PID PPID %CPU ELAPSED TTY TIME COMMAND" {
		t.Fatalf("default header %q", def[0])
	}
	if def[1][0] != "0" || def[1][5] != "?" || def[1][6] != "0s" {
		t.Fatalf("default row %q", def[1])
	}
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func TestUnknownDescriptor(t *testing.T) {
	if _, err := Top(nil, []string{"pid", "bogus"}, TopContext{}); err == nil || !strings.Contains(err.Error(), "'bogus': unknown descriptor") {
		t.Fatalf("err = %v", err)
	}
}

// TestNamesInRootHostile: a container's /etc/passwd that is a FIFO, a
// symlink out of the root, or huge must neither block, escape nor blow up.
func TestNamesInRootHostile(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "passwd"), []byte("hostsecret:x:0:0::/:/bin/sh\n"), 0o644)
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)

	os.Symlink(filepath.Join(outside, "passwd"), filepath.Join(root, "etc/passwd"))
	n, err := ReadNamesInRoot(root, "/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	if n.Lookup("0") == "hostsecret" {
		t.Fatal("symlink escaped the root")
	}

	os.Remove(filepath.Join(root, "etc/passwd"))
	if err := syscall.Mkfifo(filepath.Join(root, "etc/passwd"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadNamesInRoot(root, "/etc/passwd"); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading a FIFO passwd blocked")
	}

	os.Remove(filepath.Join(root, "etc/passwd"))
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("# c\nroot:x:0:0::/root:/bin/sh\nbad\n:x:5:5\ntester:x:1000:1000::/:/bin/sh\nroot2:x:0:0::/:/bin/sh\n"), 0o644)
	n, err = ReadNamesInRoot(root, "/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	if n.Lookup("0") != "root" || n.Lookup("1000") != "tester" || n.Lookup("5") != "5" || n.Lookup("7") != "7" {
		t.Fatalf("names %v", n)
	}
	if n, err := ReadNamesInRoot(root, "/etc/group"); err != nil || len(n) != 0 {
		t.Fatalf("missing group file: %v %v", n, err)
	}
}
