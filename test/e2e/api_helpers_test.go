package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// apiService is a `selkie system service` on a private socket and storage.
type apiService struct {
	cli  *testenv.CLI
	sock string
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

// startService runs the service for c's storage on a temp unix socket and
// waits until /_ping answers; t.Cleanup stops it with SIGTERM.
func startService(t *testing.T, c *testenv.CLI, extra ...string) *apiService {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "api", "selkie.sock")
	args := append([]string{"system", "service", "--time", "0"}, extra...)
	args = append(args, "unix://"+sock)
	s := &apiService{cli: c, sock: sock, log: &bytes.Buffer{}}
	s.cmd = c.Command(context.Background(), args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("service log:\n%s", s.log.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	hc := s.httpClient()
	for {
		resp, err := hc.Get("http://d/_ping")
		if err == nil {
			resp.Body.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("service not ready: %v\n%s", err, s.log.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *apiService) httpClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", s.sock)
	}}}
}

// docker runs the real docker CLI against the service.
func (s *apiService) docker(t *testing.T, stdin string, args ...string) testenv.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+s.sock, "DOCKER_CONFIG="+filepath.Join(filepath.Dir(s.sock), "docker-config"), "DOCKER_CONTEXT=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err := cmd.Run()
	if ctx.Err() != nil {
		s.dumpGoroutines()
	}
	r := testenv.Result{Stdout: out.String(), Stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.ExitCode = ee.ExitCode()
	} else if err != nil {
		r.ExitCode = -1
		r.Stderr += err.Error()
	}
	return r
}

// dumpGoroutines makes a hung service print its goroutines (Go's SIGQUIT
// dump) into the service log the failing test prints; the service exits.
func (s *apiService) dumpGoroutines() {
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	time.Sleep(time.Second)
}

// dockerOK runs docker and fails the test unless it exits 0.
func (s *apiService) dockerOK(t *testing.T, args ...string) string {
	t.Helper()
	r := s.docker(t, "", args...)
	if r.ExitCode != 0 {
		t.Fatalf("docker %v: %s", args, r)
	}
	return r.Stdout
}

// remote runs selkie as a remote client of the service.
func (s *apiService) remote(t *testing.T, args ...string) testenv.Result {
	t.Helper()
	rc := *s.cli
	rc.Root, rc.RunRoot = t.TempDir(), t.TempDir() // prove nothing is read locally
	all := append([]string{"--url", "unix://" + s.sock}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, rc.Bin, all...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := testenv.Result{Stdout: out.String(), Stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.ExitCode = ee.ExitCode()
	} else if err != nil {
		r.ExitCode = -1
	}
	return r
}

func newAPICLI(t *testing.T) *testenv.CLI {
	t.Helper()
	testenv.RequiresRoot(t)
	testenv.RequiresBinary(t, "runc", "conmon", "skopeo")
	c := testenv.NewCLI(t)
	// private network definitions: never touch /etc/containers/networks
	dir := t.TempDir()
	conf := filepath.Join(dir, "containers.conf")
	data := fmt.Sprintf("[containers]\ndefault_ulimits = []\n[network]\nnetwork_config_dir = %q\n", filepath.Join(dir, "networks"))
	if err := os.WriteFile(conf, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	c.Env = append(c.Env, "CONTAINERS_CONF="+conf)
	return c
}
