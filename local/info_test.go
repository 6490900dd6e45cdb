package local

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestUptime(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                               "0h 0m 0.00s",
		15*time.Minute + 54*time.Second: "0h 15m 54.00s",
		26*time.Hour + 3*time.Minute + time.Second: "26h 3m 1.00s (Approximately 1.08 days)",
	} {
		if got := uptime(d); got != want {
			t.Errorf("uptime(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestGraphOptionsAndIDMap(t *testing.T) {
	m := graphOptions([]string{"overlay.mountopt=nodev", "overlay.ignore_chown_errors"})
	if m["overlay.mountopt"] != "nodev" || m["overlay.ignore_chown_errors"] != "" || len(m) != 2 {
		t.Errorf("graphOptions = %v", m)
	}
	got := readIDMap("/proc/self/uid_map")
	if len(got) == 0 || got[0].Size == 0 {
		t.Errorf("readIDMap(/proc/self/uid_map) = %+v", got)
	}
	if readIDMap("/nonexistent") != nil {
		t.Error("missing map file should give nil (Podman prints null)")
	}
}

// The version and package probes run the real binaries (info is the only
// caller); skipped where conmon or dpkg are absent.
func TestProgramProbes(t *testing.T) {
	conmon, err := exec.LookPath("conmon")
	if err != nil {
		t.Skip("conmon not installed")
	}
	ctx := context.Background()
	v := programVersion(ctx, conmon, true)
	if !strings.HasPrefix(v, "conmon version ") || strings.Contains(v, "\n") {
		t.Errorf("conmon version %q", v)
	}
	if programVersion(ctx, "/bin/false", false) != "" {
		t.Error("a failing binary must give an empty version")
	}
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("dpkg-query not installed")
	}
	pkgs := packagesOf(ctx, conmon, "/nonexistent/bin")
	if !strings.HasPrefix(pkgs[conmon], "conmon_") {
		t.Errorf("package of %s = %q (all: %v)", conmon, pkgs[conmon], pkgs)
	}
	if pkgName(pkgs, "/nonexistent/bin") != "Unknown" {
		t.Error("unowned path should be Unknown")
	}
}

func TestHostProbes(t *testing.T) {
	if v := cgroupVersion(); v != "v1" && v != "v2" {
		t.Errorf("cgroupVersion %q", v)
	}
	if len(cgroupControllers()) == 0 {
		t.Error("no cgroup controllers found")
	}
	if d := distribution(); d.Distribution == "" {
		t.Errorf("distribution %+v", d)
	}
	if s := remoteSocket(true, "/run/user/7"); s.Path != "/run/user/7/selkie/selkie.sock" {
		t.Errorf("rootless socket %q", s.Path)
	}
}
