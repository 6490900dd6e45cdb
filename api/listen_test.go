package api_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/api"
)

func TestListenUnix(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	sock := filepath.Join(dir, "s.sock")
	ln, err := api.Listen("unix://" + sock)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v %v, want 0600", fi.Mode(), err)
	}
	if di, err := os.Stat(dir); err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("created parent mode %v %v, want 0700", di.Mode(), err)
	}
	// a second service on the same socket is refused while the first lives
	if _, err := api.Listen("unix://" + sock); err == nil || !strings.Contains(err.Error(), "already listening") {
		t.Fatalf("second listener: %v", err)
	}
	ln.Close()
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Fatalf("socket not removed on close: %v", err)
	}
	// a stale socket file (nobody listening) is replaced
	stale, _ := net.Listen("unix", sock)
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	ln, err = api.Listen("unix://" + sock)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	ln.Close()
	// a regular file is never removed
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("keep"), 0o644)
	if _, err := api.Listen("unix://" + file); err == nil {
		t.Fatal("listening over a regular file succeeded")
	}
	if b, _ := os.ReadFile(file); string(b) != "keep" {
		t.Fatal("regular file was touched")
	}
}

func TestListenRefusesImplicitAddresses(t *testing.T) {
	for _, uri := range []string{"tcp://:8080", "tcp://", "http://127.0.0.1:1", "unix://", "ssh://host"} {
		if ln, err := api.Listen(uri); err == nil {
			ln.Close()
			t.Errorf("Listen(%q) succeeded", uri)
		}
	}
	ln, err := api.Listen("tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if ln.Warning == "" {
		t.Fatal("tcp listener without a warning")
	}
}

func TestIdleTracker(t *testing.T) {
	tr := api.NewIdleTracker(50 * time.Millisecond)
	tr.Activity(1)
	select {
	case <-tr.Idle():
		t.Fatal("idle while a request is active")
	case <-time.After(120 * time.Millisecond):
	}
	tr.Activity(-1)
	select {
	case <-tr.Idle():
	case <-time.After(time.Second):
		t.Fatal("not idle after the timeout")
	}
	never := api.NewIdleTracker(0)
	select {
	case <-never.Idle():
		t.Fatal("a zero timeout expired")
	case <-time.After(60 * time.Millisecond):
	}
}
