package e2e

import (
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// TestAPIRemoteCLI runs selkie itself as a remote client (--url) of the service.
func TestAPIRemoteCLI(t *testing.T) {
	c := newAPICLI(t)
	c.SeedImage(t, apiImage, testenv.ImageSpec{})
	s := startService(t, c)
	r := s.remote(t, "images", "--format", "{{.Repository}}:{{.Tag}}")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, apiImage) {
		t.Fatalf("remote images: %s", r)
	}
	r = s.remote(t, "run", "--rm", "--network", "none", apiImage, "echo", "via-remote")
	if r.ExitCode != 0 || r.Stdout != "via-remote\n" {
		t.Fatalf("remote run --rm: %s", r)
	}
	r = s.remote(t, "run", "--rm", "--network", "none", apiImage, "sh", "-c", "exit 4")
	if r.ExitCode != 4 {
		t.Fatalf("remote exit code: %s", r)
	}
	r = s.remote(t, "stop", "nonexistent")
	if r.ExitCode != 125 || !strings.Contains(r.Stderr, "no container with name or ID") {
		t.Fatalf("remote stop nonexistent: %s", r)
	}
	r = s.remote(t, "ps", "-a", "--format", "{{.ID}}")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "" {
		t.Fatalf("remote ps -a: %s", r)
	}
	for _, args := range [][]string{
		{"volume", "create", "rvol"}, {"volume", "inspect", "rvol"}, {"volume", "rm", "rvol"},
		{"network", "create", "--subnet", "10.231.77.0/24", "--interface-name", "slkremote0", "rnet"}, {"network", "ls"}, {"network", "rm", "rnet"},
		{"pod", "create", "--infra=false", "--name", "rpod"}, {"pod", "ps"}, {"pod", "rm", "rpod"},
		{"create", "--name", "rctr", "--network", "none", apiImage, "true"}, {"start", "-a", "rctr"}, {"logs", "rctr"}, {"rm", "rctr"},
	} {
		if r := s.remote(t, args...); r.ExitCode != 0 {
			t.Fatalf("remote %v: %s", args, r)
		}
	}
	if r := s.remote(t, "volume", "inspect", "rvol"); r.ExitCode != 125 {
		t.Fatalf("remote inspect of a removed volume: %s", r)
	}
	if local := c.Run("ps", "-a", "-q"); strings.TrimSpace(local.Stdout) != "" {
		t.Fatalf("--rm through the service left containers: %s", local)
	}
}
