package oci

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func fakeRuntime(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDetect(t *testing.T) {
	dir := t.TempDir()
	crun := fakeRuntime(t, dir, "crun")
	runc := fakeRuntime(t, dir, "runc")
	rts := map[string][]string{"crun": {crun}, "runc": {runc}}

	r, err := Detect(DetectOptions{Runtimes: rts, CgroupMode: CgroupV2})
	if err != nil || r.Name() != "crun" {
		t.Fatalf("v2 prefers crun: %v %v", r, err)
	}
	r, err = Detect(DetectOptions{Runtimes: rts, CgroupMode: CgroupHybrid})
	if err != nil || r.Name() != "runc" || r.Path() != runc {
		t.Fatalf("hybrid skips crun: %v %v", r, err)
	}
	_, err = Detect(DetectOptions{Name: "crun", Runtimes: rts, CgroupMode: CgroupHybrid})
	if !errors.Is(err, ErrNoRuntime) || !strings.Contains(err.Error(), "--runtime runc") {
		t.Fatalf("explicit crun on hybrid: %v", err)
	}
	r, err = Detect(DetectOptions{Name: runc, CgroupMode: CgroupHybrid, StateDir: "/x"})
	if err != nil || r.Name() != "runc" || strings.Join(r.GlobalArgs(), " ") != "--root /x" {
		t.Fatalf("by path: %v %v", r, err)
	}
	t.Setenv("PATH", t.TempDir())
	_, err = Detect(DetectOptions{Runtimes: map[string][]string{"crun": {crun}, "runc": {filepath.Join(dir, "nope")}}, CgroupMode: CgroupHybrid})
	if !errors.Is(err, ErrNoRuntime) || !strings.Contains(err.Error(), "install runc") {
		t.Fatalf("none usable: %v", err)
	}
	if _, err := Detect(DetectOptions{Name: "/etc/passwd"}); err == nil {
		t.Fatal("non-executable accepted")
	}
}

func TestStartError(t *testing.T) {
	for msg, want := range map[string]error{
		`runc create failed: unable to start container process: exec: "foo": executable file not found in $PATH`: ErrNotFound,
		`runc create failed: unable to start container process: exec: "/etc": permission denied`:                 ErrPermissionDenied,
		`something else`: ErrRuntime,
	} {
		if err := StartError("runc", msg); !errors.Is(err, want) {
			t.Errorf("%q: %v", msg, err)
		}
	}
}

// The real runc answers state/kill/delete for an unknown container with
// errors we classify.
func TestRuncUnknownContainer(t *testing.T) {
	p, err := exec.LookPath("runc")
	if err != nil {
		t.Skip("runc not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	r := NewCLI("runc", p, t.TempDir())
	ctx := context.Background()
	if _, err := r.State(ctx, "nope"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("state: %v", err)
	}
	if err := r.Delete(ctx, "nope", true); err != nil {
		t.Fatalf("delete of unknown must succeed: %v", err)
	}
	if err := r.Kill(ctx, "nope", 9, false); !errors.Is(err, ErrNotExist) {
		t.Fatalf("kill: %v", err)
	}
}

// The in-process fast paths only act on runc state they recognise.
func TestFastPathsDecline(t *testing.T) {
	dir := t.TempDir()
	for _, r := range []*CLI{NewCLI("crun", "/usr/bin/crun", dir), NewCLI("runc", "/usr/sbin/runc", "")} {
		if done, err := r.StartCreated("x"); done || err != nil {
			t.Fatalf("%s StartCreated: %v %v", r.Name(), done, err)
		}
		if done, err := r.DeleteStopped("x"); done || err != nil {
			t.Fatalf("%s DeleteStopped: %v %v", r.Name(), done, err)
		}
	}
	r := NewCLI("runc", "/usr/sbin/runc", dir)
	if done, _ := r.StartCreated("../etc"); done {
		t.Fatal("path in ID accepted")
	}
	// No state at all: nothing to delete, reported as done.
	if done, err := r.DeleteStopped("gone"); !done || err != nil {
		t.Fatalf("DeleteStopped of unknown: %v %v", done, err)
	}
	// A live init (this test process) is never deleted behind runc's back.
	if err := os.MkdirAll(filepath.Join(dir, "live"), 0o700); err != nil {
		t.Fatal(err)
	}
	start := procStart(t, os.Getpid())
	state := fmt.Sprintf(`{"init_process_pid": %d, "init_process_start": %d, "cgroup_paths": {}}`, os.Getpid(), start)
	if err := os.WriteFile(filepath.Join(dir, "live", "state.json"), []byte(state), 0o600); err != nil {
		t.Fatal(err)
	}
	if done, _ := r.DeleteStopped("live"); done {
		t.Fatal("deleted the state of a live container")
	}
	if _, err := os.Stat(filepath.Join(dir, "live")); err != nil {
		t.Fatal(err)
	}
}

func procStart(t *testing.T, pid int) uint64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	v, _ := strconv.ParseUint(f[19], 10, 64)
	return v
}

// killDirect signals a live runc init only when state.json proves it is
// that process and the container is not paused; otherwise it declines
// (and Kill runs runc).
func TestKillDirect(t *testing.T) {
	if fd, err := unix.PidfdOpen(os.Getpid(), 0); err != nil {
		t.Skipf("no pidfd on this kernel (%v): killDirect always declines", err)
	} else {
		unix.Close(fd)
	}
	dir := t.TempDir()
	freezer := t.TempDir()
	r := NewCLI("runc", "/usr/sbin/runc", dir)
	spawn := func() *exec.Cmd {
		cmd := exec.Command("sleep", "100")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	write := func(id string, pid int, start uint64, pidns, frozen string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, id), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(freezer, "freezer.state"), []byte(frozen+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		state := fmt.Sprintf(`{"init_process_pid": %d, "init_process_start": %d, "cgroup_paths": {"freezer": %q},
			"config": {"namespaces": [{"type": "NEWPID", "path": %q}]}}`, pid, start, freezer, pidns)
		if err := os.WriteFile(filepath.Join(dir, id, "state.json"), []byte(state), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	alive := func(cmd *exec.Cmd) bool { return cmd.Process.Signal(syscall.Signal(0)) == nil }

	cmd := spawn()
	start := procStart(t, cmd.Process.Pid)
	// A recycled PID (other start time), a paused container, --all with a
	// signal other than SIGKILL or without a PID namespace of its own.
	declines := []struct {
		name   string
		start  uint64
		pidns  string
		frozen string
		sig    syscall.Signal
		all    bool
	}{
		{"recycled pid", start + 1, "", "THAWED", syscall.SIGTERM, false},
		{"paused", start, "", "FROZEN", syscall.SIGKILL, false},
		{"all with SIGTERM", start, "", "THAWED", syscall.SIGTERM, true},
		{"all in a shared PID namespace", start, "/proc/1/ns/pid", "THAWED", syscall.SIGKILL, true},
	}
	for _, d := range declines {
		write("c", cmd.Process.Pid, d.start, d.pidns, d.frozen)
		if r.killDirect("c", d.sig, d.all) {
			t.Fatalf("%s: signalled", d.name)
		}
	}
	if !alive(cmd) {
		t.Fatal("process signalled by a declined kill")
	}
	if NewCLI("crun", "/usr/bin/crun", dir).killDirect("c", syscall.SIGTERM, false) {
		t.Fatal("crun container signalled in process")
	}
	// The real thing: SIGTERM to the init, SIGKILL --all with its own PID namespace.
	write("c", cmd.Process.Pid, start, "", "THAWED")
	if !r.killDirect("c", syscall.SIGTERM, false) {
		t.Fatal("running init not signalled")
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "terminated") {
		t.Fatalf("want death by SIGTERM, got %v", err)
	}
	cmd2 := spawn()
	write("c2", cmd2.Process.Pid, procStart(t, cmd2.Process.Pid), "", "THAWED")
	if !r.killDirect("c2", syscall.SIGKILL, true) {
		t.Fatal("SIGKILL --all not sent")
	}
	if err := cmd2.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("want death by SIGKILL, got %v", err)
	}
	// Exited: declines (runc then reports the container as not running).
	if r.killDirect("c", syscall.SIGTERM, false) {
		t.Fatal("exited init signalled")
	}
}
