package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// TestAPIDockerPy runs a docker-py script (Debian's python3-docker) against the service.
func TestAPIDockerPy(t *testing.T) {
	if err := exec.Command("python3", "-c", "import docker").Run(); err != nil {
		t.Skip("python3-docker not installed")
	}
	c := newAPICLI(t)
	c.SeedImage(t, apiImage, testenv.ImageSpec{})
	s := startService(t, c)
	script, err := filepath.Abs("testdata/api_dockerpy.py")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", script)
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+s.sock, "IMAGE="+apiImage, "PYTHONFAULTHANDLER=1")
	// on timeout, SIGABRT makes Python print where it was stuck
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGABRT) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker-py script: %v\n%s", err, out)
	}
}
