package oci

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
