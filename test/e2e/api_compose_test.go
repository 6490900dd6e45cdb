package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

const composeFile = `version: "3"
services:
  web:
    image: %[1]s
    command: ["sh", "-c", "mkdir -p /srv && echo hello-compose > /srv/index.html && echo web-up && exec httpd -f -p 8080 -h /srv"]
    ports: ["127.0.0.1:%[2]d:8080"]
    volumes: ["data:/data"]
    networks: [appnet]
  client:
    image: %[1]s
    command: ["sh", "-c", "echo data-ok > /data/f; exec sleep 1000"]
    volumes: ["data:/data"]
    networks: [appnet]
networks:
  appnet:
    driver_opts:
      com.docker.network.bridge.name: %[3]s
    ipam:
      config:
        - subnet: %[4]s
volumes:
  data: {}
`

// TestAPIComposeV1 runs Debian's docker-compose (v1, docker-py underneath)
// against the service: a two-service app with a user network (name
// resolution), a named volume and a published port.
func TestAPIComposeV1(t *testing.T) {
	if _, err := exec.LookPath("docker-compose"); err != nil {
		t.Skip("docker-compose (v1) not installed")
	}
	for _, b := range []string{"/usr/lib/podman/netavark", "/usr/lib/podman/aardvark-dns"} {
		if _, err := os.Stat(b); err != nil {
			t.Skipf("%s not installed", b)
		}
	}
	c := newAPICLI(t)
	c.SeedImage(t, apiImage, testenv.ImageSpec{})
	s := startService(t, c)
	dir := t.TempDir()
	port := 20000 + int(time.Now().UnixNano()%20000)
	// a bridge and subnet of its own, so parallel tests never collide
	rnd := time.Now().UnixNano()
	bridge, subnet := fmt.Sprintf("slkc%04x", rnd%0xffff), fmt.Sprintf("10.%d.%d.0/24", 150+rnd%50, (rnd/50)%250)
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(fmt.Sprintf(composeFile, apiImage, port, bridge, subnet)), 0o644); err != nil {
		t.Fatal(err)
	}
	compose := func(args ...string) testenv.Result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "docker-compose", append([]string{"-p", "apitest"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+s.sock, "COMPOSE_INTERACTIVE_NO_CLI=1")
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		cmd.WaitDelay = 5 * time.Second
		t0 := time.Now()
		err := cmd.Run()
		t.Logf("docker-compose %v: %v in %v", args, err, time.Since(t0).Round(time.Millisecond))
		r := testenv.Result{Stdout: out.String(), Stderr: errb.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.ExitCode = ee.ExitCode()
		} else if err != nil {
			r.ExitCode = -1
		}
		return r
	}
	must := func(args ...string) string {
		t.Helper()
		r := compose(args...)
		if r.ExitCode != 0 {
			t.Fatalf("docker-compose %v: %s", args, r)
		}
		return r.Stdout
	}
	t.Cleanup(func() { compose("down", "-v", "-t", "0") })
	must("up", "-d")
	if out := must("ps"); !strings.Contains(out, "apitest_web_1") || !strings.Contains(out, "apitest_client_1") || strings.Count(out, "Up") != 2 {
		t.Fatalf("docker-compose ps:\n%s", out)
	}
	// name resolution on the user network, the published port, the shared volume
	var got string
	for i := 0; i < 20; i++ {
		r := compose("exec", "-T", "client", "timeout", "5", "wget", "-qO-", "http://web:8080/")
		if got = r.Stdout; r.ExitCode == 0 && got == "hello-compose\n" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got != "hello-compose\n" {
		t.Fatalf("client -> web by name: %q", got)
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		t.Fatalf("published port: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello-compose\n" {
		t.Fatalf("published port body %q", body)
	}
	if out := must("exec", "-T", "web", "cat", "/data/f"); out != "data-ok\n" {
		t.Fatalf("shared volume: %q", out)
	}
	if out := must("logs", "web"); !strings.Contains(out, "web-up") {
		t.Fatalf("docker-compose logs: %q", out)
	}
	must("down", "-v", "-t", "0")
	if out := s.dockerOK(t, "ps", "-aq"); strings.TrimSpace(out) != "" {
		t.Fatalf("containers left after down: %q", out)
	}
	if out := s.dockerOK(t, "volume", "ls", "-q"); strings.Contains(out, "apitest_data") {
		t.Fatalf("volume left after down -v: %q", out)
	}
	if out := s.dockerOK(t, "network", "ls", "--format", "{{.Name}}"); strings.Contains(out, "apitest_appnet") {
		t.Fatalf("network left after down: %q", out)
	}
}

// TestAPIComposeUpAttached: a foreground `docker-compose up` attaches to
// every container of the project before starting them all (the parked
// attach of several containers at once), prints each one's output and
// returns when all have exited; a second `up` attaches to the same
// containers again.
func TestAPIComposeUpAttached(t *testing.T) {
	if _, err := exec.LookPath("docker-compose"); err != nil {
		t.Skip("docker-compose (v1) not installed")
	}
	c := newAPICLI(t)
	c.SeedImage(t, apiImage, testenv.ImageSpec{})
	s := startService(t, c)
	dir := t.TempDir()
	var yml strings.Builder
	yml.WriteString("version: \"3\"\nservices:\n")
	const n = 4
	for i := 0; i < n; i++ {
		fmt.Fprintf(&yml, "  svc%d:\n    image: %s\n    network_mode: none\n    command: [\"sh\", \"-c\", \"echo out-of-svc%d; echo err-of-svc%d >&2\"]\n", i, apiImage, i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(yml.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	compose := func(args ...string) testenv.Result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "docker-compose", append([]string{"-p", "apiattach"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+s.sock, "COMPOSE_INTERACTIVE_NO_CLI=1")
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		cmd.WaitDelay = 5 * time.Second
		err := cmd.Run()
		if ctx.Err() != nil {
			s.dumpGoroutines()
		}
		r := testenv.Result{Stdout: out.String(), Stderr: errb.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.ExitCode = ee.ExitCode()
		} else if err != nil {
			r.ExitCode = -1
		}
		return r
	}
	t.Cleanup(func() { compose("down", "-t", "0") })
	for round := 0; round < 2; round++ {
		r := compose("up", "--no-color")
		if r.ExitCode != 0 {
			t.Fatalf("round %d: docker-compose up: %s", round, r)
		}
		for i := 0; i < n; i++ {
			for _, want := range []string{fmt.Sprintf("out-of-svc%d", i), fmt.Sprintf("err-of-svc%d", i)} {
				if !strings.Contains(r.Stdout, want) {
					t.Fatalf("round %d: docker-compose up output lacks %q:\n%s", round, want, r)
				}
			}
		}
	}
}
