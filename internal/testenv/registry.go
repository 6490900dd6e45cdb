package testenv

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Registry credentials used when RegistryOptions.Auth is set.
const (
	RegistryUser     = "selkie"
	RegistryPassword = "s3cret"
	// registryHtpasswd is bcrypt("s3cret"), the only hash docker-registry accepts.
	registryHtpasswd = RegistryUser + ":$2a$10$f0uq97Qem9iTKpvG7WSCT.5CkUTw63JpMzO5Okdi.JDBe/CLEDP42\n"
)

// RegistryOptions configures StartRegistry.
type RegistryOptions struct {
	// Auth turns on htpasswd basic auth (user "selkie", password "s3cret").
	Auth bool
}

// Registry is a running docker-registry (distribution 2.x) on loopback.
type Registry struct {
	Addr           string // 127.0.0.1:PORT
	Dir            string // storage and config directory
	RegistriesConf string // a registries.conf marking Addr insecure
	User, Password string // set when started with Auth

	cmd  *exec.Cmd
	done chan error
}

// StartRegistry runs a real `docker-registry serve` on a free loopback port
// with temp storage, waits until /v2/ answers and stops it in t.Cleanup.
// It skips the test when docker-registry is not installed.
func StartRegistry(t testing.TB, o RegistryOptions) *Registry {
	t.Helper()
	RequiresBinary(t, "docker-registry")
	dir := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		r, err := RunRegistry(dir, o)
		if err == nil {
			t.Cleanup(r.Stop)
			return r
		}
		lastErr = err
	}
	t.Fatalf("starting docker-registry: %v", lastErr)
	return nil
}

// RunRegistry starts a docker-registry with its storage and config under dir
// and returns once it answers; the caller must call Stop. StartRegistry is
// the form for tests; this one serves tools such as hack/mkimage.
func RunRegistry(dir string, o RegistryOptions) (*Registry, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	r := &Registry{Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: dir, done: make(chan error, 1)}
	store := filepath.Join(dir, "storage")
	if err := os.MkdirAll(store, 0o755); err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"+
		"storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n"+
		"http:\n  addr: %s\n", store, r.Addr)
	if o.Auth {
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(registryHtpasswd), 0o600); err != nil {
			return nil, err
		}
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: selkie-test\n    path: %s\n", htpasswd)
		r.User, r.Password = RegistryUser, RegistryPassword
	}
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	r.RegistriesConf = filepath.Join(dir, "registries.conf")
	conf := fmt.Sprintf("unqualified-search-registries = []\n\n[[registry]]\nlocation = %q\ninsecure = true\n", r.Addr)
	if err := os.WriteFile(r.RegistriesConf, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	var logs bytes.Buffer
	r.cmd = exec.Command("docker-registry", "serve", cfgPath)
	r.cmd.Stdout, r.cmd.Stderr = &logs, &logs
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting docker-registry: %w", err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	deadline := time.Now().Add(15 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-r.done:
			r.done <- err
			return nil, fmt.Errorf("docker-registry exited (%v): %s", err, logs.String())
		default:
		}
		resp, err := client.Get("http://" + r.Addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return r, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.Stop()
	return nil, fmt.Errorf("docker-registry on %s did not answer within 15s: %s", r.Addr, logs.String())
}

// Stop kills the registry and waits for it to exit.
func (r *Registry) Stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	err := <-r.done
	r.done <- err
}

// Ref returns "ADDR/name", a reference to an image in this registry.
func (r *Registry) Ref(name string) string { return r.Addr + "/" + name }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
