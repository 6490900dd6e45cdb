package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/internal/testenv"
)

const apiImage = "localhost/apibox:latest"

// TestAPIDockerCLI drives the real docker CLI against `selkie system service`.
func TestAPIDockerCLI(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("docker CLI not installed")
	}
	c := newAPICLI(t)
	c.SeedImage(t, apiImage, testenv.ImageSpec{Config: v1.ImageConfig{Labels: map[string]string{"api.test": "yes"}}})
	s := startService(t, c)

	t.Run("SocketMode", func(t *testing.T) {
		fi, err := os.Stat(s.sock)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("socket %v mode %v, want 0600", err, fi.Mode())
		}
	})
	t.Run("Version", func(t *testing.T) {
		out := s.dockerOK(t, "version", "--format", "{{.Server.APIVersion}} {{.Client.APIVersion}}")
		if f := strings.Fields(out); len(f) != 2 || f[0] != "1.44" || f[1] != "1.44" {
			t.Fatalf("negotiated versions %q, want server and client at 1.44", out)
		}
	})
	t.Run("Info", func(t *testing.T) {
		out := s.dockerOK(t, "info", "--format", "{{.Driver}} {{.Images}}")
		if strings.TrimSpace(out) != "overlay 1" {
			t.Fatalf("docker info: %q", out)
		}
	})
	t.Run("Images", func(t *testing.T) {
		out := s.dockerOK(t, "images", "--format", "{{.Repository}}:{{.Tag}}")
		if !strings.Contains(out, apiImage) {
			t.Fatalf("docker images: %q", out)
		}
		out = s.dockerOK(t, "image", "inspect", "--format", "{{index .Config.Labels \"api.test\"}}", apiImage)
		if strings.TrimSpace(out) != "yes" {
			t.Fatalf("image inspect label: %q", out)
		}
	})
	t.Run("RunRm", func(t *testing.T) {
		out := s.dockerOK(t, "run", "--rm", "--network", "none", apiImage, "echo", "hello")
		if out != "hello\n" {
			t.Fatalf("docker run --rm: %q", out)
		}
		r := s.docker(t, "", "run", "--rm", "--network", "none", apiImage, "sh", "-c", "echo oops >&2; exit 3")
		if r.ExitCode != 3 || !strings.Contains(r.Stderr, "oops") {
			t.Fatalf("exit code propagation: %s", r)
		}
		if out := s.dockerOK(t, "ps", "-aq"); strings.TrimSpace(out) != "" {
			t.Fatalf("--rm left containers: %q", out)
		}
	})
	t.Run("RunStdin", func(t *testing.T) {
		r := s.docker(t, "piped input\n", "run", "--rm", "-i", "--network", "none", apiImage, "cat")
		if r.ExitCode != 0 || r.Stdout != "piped input\n" {
			t.Fatalf("docker run -i: %s", r)
		}
	})
	t.Run("DetachedLifecycle", func(t *testing.T) {
		id := strings.TrimSpace(s.dockerOK(t, "run", "-d", "--name", "web", "--network", "none", "-l", "role=web", apiImage, "sh", "-c", "echo started; exec sleep 1000"))
		if len(id) != 64 {
			t.Fatalf("docker run -d printed %q", id)
		}
		out := s.dockerOK(t, "ps", "--filter", "label=role=web", "--format", "{{.Names}} {{.State}}")
		if strings.TrimSpace(out) != "web running" {
			t.Fatalf("docker ps: %q", out)
		}
		if out := s.dockerOK(t, "exec", "web", "sh", "-c", "echo in-$HOSTNAME-x"); !strings.HasPrefix(out, "in-") {
			t.Fatalf("docker exec: %q", out)
		}
		if r := s.docker(t, "", "exec", "web", "sh", "-c", "exit 5"); r.ExitCode != 5 {
			t.Fatalf("docker exec exit code: %s", r)
		}
		if r := s.docker(t, "abc\n", "exec", "-i", "web", "cat"); r.Stdout != "abc\n" {
			t.Fatalf("docker exec -i: %s", r)
		}
		if out := s.dockerOK(t, "top", "web"); !strings.Contains(out, "sleep 1000") {
			t.Fatalf("docker top: %q", out)
		}
		if out := s.dockerOK(t, "stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "web"); strings.TrimSpace(out) != "web 1" {
			t.Fatalf("docker stats --no-stream: %q", out)
		}
		s.dockerOK(t, "pause", "web")
		if out := s.dockerOK(t, "inspect", "--format", "{{.State.Status}}", "web"); strings.TrimSpace(out) != "paused" {
			t.Fatalf("after pause: %q", out)
		}
		s.dockerOK(t, "unpause", "web")
		s.dockerOK(t, "rename", "web", "web2")
		s.dockerOK(t, "rename", "web2", "web")
		if out := s.dockerOK(t, "logs", "web"); out != "started\n" {
			t.Fatalf("docker logs: %q", out)
		}
		out = s.dockerOK(t, "inspect", "--format", "{{.Name}} {{.State.Status}} {{.Config.Image}}", "web")
		if strings.TrimSpace(out) != "/web running "+apiImage {
			t.Fatalf("docker inspect: %q", out)
		}
		s.dockerOK(t, "stop", "-t", "0", "web")
		out = s.dockerOK(t, "ps", "-a", "--filter", "name=web", "--format", "{{.State}}")
		if strings.TrimSpace(out) != "exited" {
			t.Fatalf("state after stop: %q", out)
		}
		s.dockerOK(t, "rm", "web")
		if r := s.docker(t, "", "inspect", "web"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "No such") && !strings.Contains(r.Stderr, "no such") {
			t.Fatalf("inspect after rm: %s", r)
		}
	})
	t.Run("TTY", func(t *testing.T) {
		if _, err := exec.LookPath("script"); err != nil {
			t.Skip("script (util-linux) not installed")
		}
		// script gives docker a PTY; the shell reads our line from it
		// Bounded: a hung attach must fail this test, not stall the suite.
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "script", "-q", "-e", "-c", "docker run -it --rm --network none "+apiImage+" sh", "/dev/null")
		cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+s.sock, "DOCKER_CONFIG="+t.TempDir())
		in, _ := cmd.StdinPipe()
		go func() {
			time.Sleep(time.Second)
			in.Write([]byte("echo inside-$((6*7)); exit 5\n"))
			// keep stdin open until the shell has answered: closing it early
			// would end the session before the command ran
			<-ctx.Done()
			in.Close()
		}()
		out, err := cmd.Output()
		ee, _ := err.(*exec.ExitError)
		if ee == nil || ee.ExitCode() != 5 || !strings.Contains(string(out), "inside-42") {
			t.Fatalf("docker run -it: %v\n%q", err, out)
		}
	})
	t.Run("LogsFollow", func(t *testing.T) {
		s.dockerOK(t, "run", "-d", "--name", "ticker", "--network", "none", apiImage, "sh", "-c", "for i in 1 2 3; do echo tick$i; sleep 0.3; done")
		out := s.dockerOK(t, "logs", "-f", "ticker")
		if out != "tick1\ntick2\ntick3\n" {
			t.Fatalf("docker logs -f: %q", out)
		}
		if code := strings.TrimSpace(s.dockerOK(t, "wait", "ticker")); code != "0" {
			t.Fatalf("docker wait: %q", code)
		}
		s.dockerOK(t, "rm", "ticker")
	})
	t.Run("Networks", func(t *testing.T) {
		id := strings.TrimSpace(s.dockerOK(t, "network", "create", "--label", "api.test=net", "apinet"))
		if len(id) != 64 {
			t.Fatalf("docker network create printed %q", id)
		}
		out := s.dockerOK(t, "network", "ls", "--filter", "label=api.test=net", "--format", "{{.Name}} {{.Driver}}")
		if strings.TrimSpace(out) != "apinet bridge" {
			t.Fatalf("docker network ls: %q", out)
		}
		out = s.dockerOK(t, "network", "inspect", "--format", "{{.Name}} {{len .IPAM.Config}}", "apinet")
		if strings.TrimSpace(out) != "apinet 1" {
			t.Fatalf("docker network inspect: %q", out)
		}
		if r := s.docker(t, "", "network", "create", "apinet"); r.ExitCode == 0 {
			t.Fatalf("duplicate network create succeeded: %s", r)
		}
		s.dockerOK(t, "network", "rm", "apinet")
		if r := s.docker(t, "", "network", "inspect", "apinet"); r.ExitCode == 0 {
			t.Fatalf("network inspect after rm: %s", r)
		}
	})
	t.Run("VolumesAndCp", func(t *testing.T) {
		s.dockerOK(t, "volume", "create", "--label", "api.test=vol", "apivol")
		out := s.dockerOK(t, "volume", "ls", "--filter", "label=api.test=vol", "--format", "{{.Name}} {{.Driver}}")
		if strings.TrimSpace(out) != "apivol local" {
			t.Fatalf("docker volume ls: %q", out)
		}
		s.dockerOK(t, "run", "--rm", "--network", "none", "-v", "apivol:/data", apiImage, "sh", "-c", "echo persisted > /data/f")
		out = s.dockerOK(t, "run", "--rm", "--network", "none", "-v", "apivol:/data", apiImage, "cat", "/data/f")
		if out != "persisted\n" {
			t.Fatalf("volume content: %q", out)
		}
		s.dockerOK(t, "create", "--name", "cpbox", "--network", "none", apiImage, "true")
		dir := t.TempDir()
		src := filepath.Join(dir, "in.txt")
		os.WriteFile(src, []byte("copied-in\n"), 0o644)
		s.dockerOK(t, "cp", src, "cpbox:/tmp/in.txt")
		s.dockerOK(t, "cp", "cpbox:/tmp/in.txt", filepath.Join(dir, "back.txt"))
		if b, err := os.ReadFile(filepath.Join(dir, "back.txt")); err != nil || string(b) != "copied-in\n" {
			t.Fatalf("docker cp round trip: %q %v", b, err)
		}
		if r := s.docker(t, "", "cp", "cpbox:/no/such/file", dir); r.ExitCode == 0 {
			t.Fatalf("docker cp of a missing path succeeded: %s", r)
		}
		s.dockerOK(t, "rm", "cpbox")
		s.dockerOK(t, "volume", "rm", "apivol")
	})
	t.Run("Errors", func(t *testing.T) {
		r := s.docker(t, "", "stop", "nonexistent")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "no container with name or ID") {
			t.Fatalf("docker stop nonexistent: %s", r)
		}
		r = s.docker(t, "", "run", "--rm", "--pull", "never", "--network", "none", "localhost/nonexistent:latest", "true")
		if r.ExitCode != 125 || !strings.Contains(strings.ToLower(r.Stderr), "no such image") {
			t.Fatalf("docker run of a missing image: %s", r)
		}
	})
}

// TestAPIDockerRegistry pulls and pushes through the service with docker.
func TestAPIDockerRegistry(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("docker CLI not installed")
	}
	c := newAPICLI(t)
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	c.RegistriesConf = reg.RegistriesConf
	c.SeedImage(t, apiImage, testenv.ImageSpec{})
	s := startService(t, c)
	ref := reg.Ref("api/box:v1")
	s.dockerOK(t, "tag", apiImage, ref)
	out := s.dockerOK(t, "push", ref)
	if !strings.Contains(out, "Pushed") && !strings.Contains(out, "digest") {
		t.Logf("docker push output: %q", out)
	}
	s.dockerOK(t, "rmi", ref)
	if r := s.docker(t, "", "image", "inspect", ref); r.ExitCode == 0 {
		t.Fatalf("image still present after rmi: %s", r)
	}
	s.dockerOK(t, "pull", ref)
	out = s.dockerOK(t, "images", "--format", "{{.Repository}}:{{.Tag}}")
	if !strings.Contains(out, ref) {
		t.Fatalf("pulled image not listed: %q", out)
	}
	r := s.docker(t, "", "pull", reg.Ref("api/missing:v1"))
	if r.ExitCode == 0 {
		t.Fatalf("pull of a missing image succeeded: %s", r)
	}
}

// TestAPIDockerLogin: docker login through POST /auth, then an
// authenticated push with the client's X-Registry-Auth.
func TestAPIDockerLogin(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("docker CLI not installed")
	}
	c := newAPICLI(t)
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{Auth: true})
	c.RegistriesConf = reg.RegistriesConf
	c.Env = append(c.Env, "REGISTRY_AUTH_FILE="+filepath.Join(t.TempDir(), "auth.json"))
	c.SeedImage(t, apiImage, testenv.ImageSpec{})
	s := startService(t, c)
	if r := s.docker(t, "", "login", "-u", reg.User, "-p", "wrong", reg.Addr); r.ExitCode == 0 {
		t.Fatalf("login with a wrong password succeeded: %s", r)
	}
	if r := s.docker(t, "", "login", "-u", reg.User, "-p", reg.Password, reg.Addr); r.ExitCode != 0 || !strings.Contains(r.Stdout, "Login Succeeded") {
		t.Fatalf("docker login: %s", r)
	}
	ref := reg.Ref("api/authbox:v1")
	s.dockerOK(t, "tag", apiImage, ref)
	s.dockerOK(t, "push", ref)
	s.dockerOK(t, "rmi", ref)
	s.dockerOK(t, "pull", ref)
}

// TestAPIDockerRunConcurrent: docker sends start as soon as its attach is
// upgraded; concurrent `docker run`s (with and without -i) must each get
// their output and exit code. A start that overtook the attach's
// registration used to leave the attach waiting for ever.
func TestAPIDockerRunConcurrent(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("docker CLI not installed")
	}
	c := newAPICLI(t)
	c.SeedImage(t, apiImage, testenv.ImageSpec{})
	s := startService(t, c)
	errs := make(chan string, 32)
	for g := 0; g < 3; g++ {
		go func(g int) {
			for i := 0; i < 6; i++ {
				var r testenv.Result
				if (g+i)%2 == 0 {
					r = s.docker(t, "in\n", "run", "--rm", "-i", "--network", "none", apiImage, "sh", "-c", "cat; exit 4")
				} else {
					r = s.docker(t, "", "run", "--rm", "--network", "none", apiImage, "sh", "-c", "echo in; exit 4")
				}
				if r.ExitCode != 4 || r.Stdout != "in\n" {
					errs <- fmt.Sprintf("worker %d run %d: %s", g, i, r)
					return
				}
			}
			errs <- ""
		}(g)
	}
	for g := 0; g < 3; g++ {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}

// TestAPIExecConcurrent: exec sessions started at once on one container,
// through docker exec (hijacked Docker exec start, with and without stdin)
// and selkie --remote exec (libpod), each getting its own output and exit
// code, under the load of the others.
func TestAPIExecConcurrent(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("docker CLI not installed")
	}
	c := newAPICLI(t)
	c.SeedImage(t, apiImage, testenv.ImageSpec{})
	s := startService(t, c)
	c.Must(t, "run", "-d", "--name", "exconc", "--network", "none", apiImage, "sleep", "600")
	const workers, runs = 3, 5
	errs := make(chan string, workers)
	for g := 0; g < workers; g++ {
		go func(g int) {
			for i := 0; i < runs; i++ {
				tag := fmt.Sprintf("w%dr%d", g, i)
				code := 10 + g*runs + i
				var r testenv.Result
				switch (g + i) % 3 {
				case 0:
					r = s.docker(t, tag+"\n", "exec", "-i", "exconc", "sh", "-c", fmt.Sprintf("cat; exit %d", code))
				case 1:
					r = s.docker(t, "", "exec", "exconc", "sh", "-c", fmt.Sprintf("echo %s; exit %d", tag, code))
				default:
					r = s.remote(t, "exec", "exconc", "sh", "-c", fmt.Sprintf("echo %s; exit %d", tag, code))
				}
				if r.ExitCode != code || r.Stdout != tag+"\n" {
					errs <- fmt.Sprintf("worker %d exec %d: want %q exit %d: %s", g, i, tag, code, r)
					return
				}
			}
			errs <- ""
		}(g)
	}
	for g := 0; g < workers; g++ {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}
