package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// TestAPIBuild builds through the service: the docker CLI's classic builder
// (POST /build) and `selkie --url … build` (libpod /build).
func TestAPIBuild(t *testing.T) {
	c := newAPICLI(t)
	c.SeedImage(t, apiImage, testenv.ImageSpec{})
	s := startService(t, c)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+apiImage+"\nCOPY msg.txt /msg.txt\nRUN echo built-by-run > /run.txt\nCMD [\"cat\", \"/msg.txt\", \"/run.txt\"]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "msg.txt"), []byte("from-context\n"), 0o644)

	t.Run("Docker", func(t *testing.T) {
		if _, err := exec.LookPath("docker"); err != nil {
			t.Skip("docker CLI not installed")
		}
		r := s.docker(t, "", "build", "-t", "localhost/apibuilt:docker", "--network", "none", dir)
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "Successfully tagged localhost/apibuilt:docker") {
			t.Fatalf("docker build: %s", r)
		}
		if out := s.dockerOK(t, "run", "--rm", "--network", "none", "localhost/apibuilt:docker"); out != "from-context\nbuilt-by-run\n" {
			t.Fatalf("built image runs: %q", out)
		}
		os.WriteFile(filepath.Join(dir, "Bad"), []byte("FROM "+apiImage+"\nRUN exit 7\n"), 0o644)
		if r := s.docker(t, "", "build", "-f", filepath.Join(dir, "Bad"), "--network", "none", dir); r.ExitCode == 0 {
			t.Fatalf("failing build succeeded: %s", r)
		}
	})
	t.Run("DockerParams", func(t *testing.T) {
		// POST /build's buildargs, target, dockerfile, labels, nocache and q
		if _, err := exec.LookPath("docker"); err != nil {
			t.Skip("docker CLI not installed")
		}
		os.WriteFile(filepath.Join(dir, "Multi.dockerfile"), []byte("FROM "+apiImage+" AS first\nARG MSG=default\nRUN echo $MSG > /arg.txt\n"+
			"FROM "+apiImage+" AS second\nRUN echo second > /second.txt\n"), 0o644)
		r := s.docker(t, "", "build", "-q", "--no-cache", "--target", "first", "--build-arg", "MSG=from-buildargs",
			"--label", "apibuild=params", "-f", filepath.Join(dir, "Multi.dockerfile"), "-t", "localhost/apibuilt:params", "--network", "none", dir)
		if r.ExitCode != 0 || !strings.HasPrefix(strings.TrimSpace(r.Stdout), "sha256:") || strings.Contains(r.Stdout, "Step") {
			t.Fatalf("docker build -q: %s", r)
		}
		if out := s.dockerOK(t, "run", "--rm", "--network", "none", "localhost/apibuilt:params", "sh", "-c", "cat /arg.txt; if test -e /second.txt; then echo second-stage-built; fi"); out != "from-buildargs\n" {
			t.Fatalf("target/buildargs: %q", out)
		}
		if out := s.dockerOK(t, "inspect", "-f", "{{.Config.Labels.apibuild}}", "localhost/apibuilt:params"); out != "params\n" {
			t.Fatalf("labels: %q", out)
		}
	})
	t.Run("Remote", func(t *testing.T) {
		iid := filepath.Join(t.TempDir(), "iid")
		r := s.remote(t, "build", "-t", "localhost/apibuilt:remote", "--network", "none", "--iidfile", iid, dir)
		if r.ExitCode != 0 {
			t.Fatalf("selkie --url build: %s", r)
		}
		id, err := os.ReadFile(iid)
		if err != nil || len(strings.TrimPrefix(string(id), "sha256:")) != 64 {
			t.Fatalf("iidfile: %q %v", id, err)
		}
		if out := c.Must(t, "run", "--rm", "--network", "none", "localhost/apibuilt:remote"); out != "from-context\nbuilt-by-run" {
			t.Fatalf("remotely built image runs: %q", out)
		}
	})
}
