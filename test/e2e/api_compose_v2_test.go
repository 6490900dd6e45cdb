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

// composeV2Version is the docker compose v2 release hack/build-compose-v2.sh
// builds (issue #9).
const composeV2Version = "v2.40.3"

// composeV2Plugin returns a DOCKER_CONFIG dir holding docker compose v2 as a
// CLI plugin: the binary cached by hack/build-compose-v2.sh, built here first
// when SELKIE_COMPOSE_V2=1 (a cold build takes minutes), else the test skips.
func composeV2Plugin(t *testing.T) string {
	t.Helper()
	cache := os.Getenv("SELKIE_CACHE")
	if cache == "" {
		cache = "/var/cache/selkie"
	}
	bin := filepath.Join(cache, "docker-compose-"+composeV2Version)
	cfg := filepath.Join(t.TempDir(), "docker-config")
	if _, err := os.Stat(bin); err != nil && os.Getenv("SELKIE_COMPOSE_V2") != "1" {
		t.Skipf("docker compose v2 not built (%s missing): run hack/build-compose-v2.sh or set SELKIE_COMPOSE_V2=1", bin)
	}
	script, err := filepath.Abs("../../hack/build-compose-v2.sh")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script, filepath.Join(cfg, "cli-plugins"))
	cmd.Env = append(os.Environ(), "SELKIE_CACHE="+cache)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/build-compose-v2.sh: %v\n%s", err, out)
	}
	return cfg
}

// TestAPIComposeV2 runs docker compose v2 (the CLI plugin, through Debian's
// docker CLI) against the service: the two-service app of TestAPIComposeV1
// with a user network (name resolution), a named volume and a published
// port. Compose v2 finds its containers, networks and volumes by label
// filters and names containers PROJECT-SERVICE-N.
func TestAPIComposeV2(t *testing.T) {
	testenv.RequiresBinary(t, "docker")
	for _, b := range []string{"/usr/lib/podman/netavark", "/usr/lib/podman/aardvark-dns"} {
		if _, err := os.Stat(b); err != nil {
			t.Skipf("%s not installed", b)
		}
	}
	cfg := composeV2Plugin(t)
	c := newAPICLI(t)
	c.SeedImage(t, apiImage, testenv.ImageSpec{})
	s := startService(t, c)
	dir := t.TempDir()
	port := 20000 + int(time.Now().UnixNano()%20000)
	rnd := time.Now().UnixNano()
	bridge, subnet := fmt.Sprintf("slkd%04x", rnd%0xffff), fmt.Sprintf("10.%d.%d.0/24", 200+rnd%50, (rnd/50)%250)
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, []byte(fmt.Sprintf(composeFile, apiImage, port, bridge, subnet)), 0o644); err != nil {
		t.Fatal(err)
	}
	project := "apiv2"
	compose := func(args ...string) testenv.Result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "docker", append([]string{"compose", "-p", project, "-f", file}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+s.sock, "DOCKER_CONFIG="+cfg, "DOCKER_CONTEXT=",
			"DOCKER_BUILDKIT=0", "COMPOSE_PROGRESS=plain", "COMPOSE_ANSI=never", "COMPOSE_STATUS_STDOUT=0")
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		cmd.WaitDelay = 5 * time.Second
		t0 := time.Now()
		err := cmd.Run()
		t.Logf("docker compose %v: %v in %v", args, err, time.Since(t0).Round(time.Millisecond))
		r := testenv.Result{Stdout: out.String(), Stderr: errb.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.ExitCode = ee.ExitCode()
		} else if err != nil {
			r.ExitCode = -1
			r.Stderr += err.Error()
		}
		return r
	}
	must := func(args ...string) string {
		t.Helper()
		r := compose(args...)
		if r.ExitCode != 0 {
			t.Fatalf("docker compose %v: %s", args, r)
		}
		return r.Stdout
	}
	// registered after startService's cleanup, so it runs first (LIFO)
	t.Cleanup(func() {
		compose("down", "-v", "-t", "0")
		c.Run("rm", "-af", "-t", "0")
	})
	if r := compose("version"); r.ExitCode != 0 || !strings.Contains(r.Stdout, composeV2Version) {
		t.Fatalf("docker compose version: %s", r)
	}
	must("up", "-d")
	out := must("ps", "--format", "{{.Name}} {{.State}}")
	for _, want := range []string{project + "-web-1 running", project + "-client-1 running"} {
		if !strings.Contains(out, want) {
			t.Fatalf("docker compose ps: no %q in\n%s", want, out)
		}
	}
	if out := must("ps", "-q"); len(strings.Fields(out)) != 2 {
		t.Fatalf("docker compose ps -q: %q", out)
	}
	// name resolution on the user network
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
	// the published port
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
	// the shared named volume
	if out := must("exec", "-T", "web", "cat", "/data/f"); out != "data-ok\n" {
		t.Fatalf("shared volume: %q", out)
	}
	if out := must("logs", "--no-color", "web"); !strings.Contains(out, "web-up") {
		t.Fatalf("docker compose logs: %q", out)
	}
	// a recreated service: compose creates the replacement under a temporary
	// name (ID prefix + name), removes the old container, then renames the
	// replacement to PROJECT-SERVICE-N
	oldID := strings.TrimSpace(must("ps", "-q", "client"))
	since := time.Now().Add(-time.Second).Unix()
	must("up", "-d", "--force-recreate", "--no-deps", "-t", "0", "client")
	newID := strings.TrimSpace(must("ps", "-q", "client"))
	if newID == "" || newID == oldID {
		t.Fatalf("client not recreated: %q -> %q", oldID, newID)
	}
	if out := s.dockerOK(t, "ps", "-a", "--format", "{{.Names}}"); strings.Count(out, "\n") != 2 || !strings.Contains(out, project+"-client-1") {
		t.Fatalf("containers after recreate:\n%s", out)
	}
	renamed := s.dockerOK(t, "events", "--since", fmt.Sprint(since), "--until", fmt.Sprint(time.Now().Unix()+1),
		"--filter", "event=rename", "--format", "{{.Actor.ID}} {{.Actor.Attributes.name}}")
	if !strings.Contains(renamed, project+"-client-1") || !sameID(newID, strings.Fields(renamed + " x")[0]) {
		t.Fatalf("no rename event for the replacement client %s: %q", newID, renamed)
	}
	must("down", "-v", "-t", "0")
	if out := s.dockerOK(t, "ps", "-aq"); strings.TrimSpace(out) != "" {
		t.Fatalf("containers left after down: %q", out)
	}
	if out := s.dockerOK(t, "volume", "ls", "-q"); strings.Contains(out, project+"_data") {
		t.Fatalf("volume left after down -v: %q", out)
	}
	if out := s.dockerOK(t, "network", "ls", "--format", "{{.Name}}"); strings.Contains(out, project+"_appnet") {
		t.Fatalf("network left after down: %q", out)
	}

	// a build: section through the classic builder (DOCKER_BUILDKIT=0)
	project, file = "apiv2b", filepath.Join(dir, "build.yaml")
	if err := os.MkdirAll(filepath.Join(dir, "ctx"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ctx", "Dockerfile"), []byte("FROM "+apiImage+"\nRUN echo built-ok > /built\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const buildFile = "services:\n  built:\n    build: {context: ./ctx, network: none}\n    image: localhost/apiv2-built:latest\n    command: [\"sh\", \"-c\", \"cat /built; exec sleep 1000\"]\n    network_mode: none\n"
	if err := os.WriteFile(file, []byte(buildFile), 0o644); err != nil {
		t.Fatal(err)
	}
	must("build")
	must("up", "-d")
	if out := must("exec", "-T", "built", "cat", "/built"); out != "built-ok\n" {
		t.Fatalf("built image: %q", out)
	}
	must("down", "-v", "-t", "0", "--rmi", "local")
	if out := s.dockerOK(t, "ps", "-aq"); strings.TrimSpace(out) != "" {
		t.Fatalf("containers left after down: %q", out)
	}
}

// sameID reports whether two container IDs, full or truncated, agree.
func sameID(a, b string) bool {
	return len(a) >= 12 && len(b) >= 12 && a[:12] == b[:12]
}
