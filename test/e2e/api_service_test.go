package e2e

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// TestAPIServiceIdleExit: with --time 1 the service exits on its own after
// a second without requests, and not while a request is open.
func TestAPIServiceIdleExit(t *testing.T) {
	c := newAPICLI(t)
	sock := filepath.Join(t.TempDir(), "s.sock")
	start := time.Now()
	cmd := c.Command(context.Background(), "system", "service", "--time", "1", "unix://"+sock)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	hc := unixClient(sock)
	ready := waitReady(t, hc)
	t.Logf("service ready after %v", ready.Sub(start))
	// a blocking request (wait on a missing container answers at once; use
	// a container that never exits) is not idle time: use a slow ping loop.
	for i := 0; i < 4; i++ {
		time.Sleep(400 * time.Millisecond)
		resp, err := hc.Get("http://d/_ping")
		if err != nil {
			t.Fatalf("service gone while in use (after %v): %v", time.Since(start), err)
		}
		resp.Body.Close()
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("service exit: %v", err)
		}
		t.Logf("service exited %v after start", time.Since(start))
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("service did not exit after --time 1 idle")
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Fatalf("socket left behind: %v", err)
	}
}

// TestAPIServiceSocketActivation starts the service the way systemd does
// (LISTEN_FDS) and checks containers it starts do not inherit LISTEN_*.
func TestAPIServiceSocketActivation(t *testing.T) {
	act := testenv.LookPath("systemd-socket-activate")
	if act == "" {
		t.Skip("systemd-socket-activate not installed")
	}
	c := newAPICLI(t)
	c.SeedImage(t, apiImage, testenv.ImageSpec{})
	sock := filepath.Join(t.TempDir(), "act.sock")
	args := append([]string{"-l", sock, c.Bin}, c.Args("system", "service", "--time", "0")...)
	cmd := exec.Command(act, args...)
	cmd.Env = append(os.Environ(), c.Env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	s := &apiService{cli: c, sock: sock}
	waitReady(t, s.httpClient())
	out := s.dockerOK(t, "run", "--rm", "--network", "none", apiImage, "env")
	if strings.Contains(out, "LISTEN_") {
		t.Fatalf("container inherited socket activation variables:\n%s", out)
	}
	if v := s.dockerOK(t, "version", "--format", "{{.Server.Version}}"); strings.TrimSpace(v) == "" {
		t.Fatal("no server version through the activated socket")
	}
}

// TestAPIServiceRefusesImplicitTCP: tcp:// needs an explicit host, and warns.
func TestAPIServiceRefusesImplicitTCP(t *testing.T) {
	c := newAPICLI(t)
	r := c.Run("system", "service", "--time", "1", "tcp://:0")
	if r.ExitCode != 125 || !strings.Contains(r.Stderr, "explicit host") {
		t.Fatalf("tcp://:0: %s", r)
	}
	r = c.Run("system", "service", "--time", "1", "tcp://127.0.0.1:0")
	if r.ExitCode != 0 || !strings.Contains(r.Stderr, "not recommended") {
		t.Fatalf("tcp://127.0.0.1:0: %s", r)
	}
	r = c.Run("system", "service", "--time", "1", "http://x")
	if r.ExitCode != 125 {
		t.Fatalf("unsupported scheme: %s", r)
	}
}

func unixClient(sock string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
}

func waitReady(t *testing.T, hc *http.Client) time.Time {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := hc.Get("http://d/_ping")
		if err == nil {
			resp.Body.Close()
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("service not ready: %v", err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
