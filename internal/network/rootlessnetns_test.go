package network

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"golang.org/x/sys/unix"
)

// TestRootlessNetnsLifecycle runs the real thing (as root here, the same
// code serves rootless users): the namespace is created once and kept,
// ports are forwarded on the host and released again, a killed slirp4netns
// is replaced, Stop removes everything.
func TestRootlessNetnsLifecycle(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	for _, b := range []string{"slirp4netns", "unshare"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed", b)
		}
	}
	r := RootlessNetns{Dir: t.TempDir()}
	t.Cleanup(func() { _ = r.Stop() })
	ctx := context.Background()
	p1, err := r.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ino := func() uint64 {
		var st unix.Stat_t
		if err := unix.Stat(p1, &st); err != nil {
			t.Fatal(err)
		}
		return st.Ino
	}
	first := ino()
	if _, err := r.Ensure(ctx); err != nil || ino() != first {
		t.Fatalf("second Ensure made a new namespace (%v)", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	ports := []engine.PortMapping{{HostIP: "127.0.0.1", HostPort: port, ContainerPort: 80}}
	if err := r.Forward(ports); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		t.Fatalf("port %d not held by slirp4netns after Forward", port)
	}
	if err := r.Unforward(ports); err != nil {
		t.Fatal(err)
	}
	l2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("port %d still held after Unforward: %v", port, err)
	}
	l2.Close()
	// A dead slirp4netns is replaced by a new namespace.
	if err := StopSlirp(r.pidFile()); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); r.alive() && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
	}
	if _, err := r.Ensure(ctx); err != nil || !r.alive() {
		t.Fatalf("Ensure after slirp4netns died: %v", err)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p1); !os.IsNotExist(err) || r.alive() {
		t.Fatalf("Stop left the namespace: %v", err)
	}
}

// TestRootlessNetnsHolders: the namespace lives while it has holders; the
// last Release removes it; holders whose container is gone or whose process
// exited do not keep it; a holder name cannot leave the holders directory.
func TestRootlessNetnsHolders(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	for _, b := range []string{"slirp4netns", "unshare"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed", b)
		}
	}
	r := RootlessNetns{Dir: t.TempDir()}
	t.Cleanup(func() { _ = r.Stop() })
	ctx := context.Background()
	if _, err := r.Acquire(ctx, "../escape"); err == nil {
		t.Fatal("holder ../escape accepted")
	}
	for _, h := range []string{"aaaa", "bbbb", "aaaa"} {
		if _, err := r.Acquire(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Release("aaaa", nil); err != nil || !r.Alive() {
		t.Fatalf("released with bbbb still holding it (%v)", err)
	}
	// A process holder that exited and a container holder that is gone.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Acquire(ctx, ProcessHolder(cmd.Process.Pid)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Acquire(ctx, "cccc"); err != nil {
		t.Fatal(err)
	}
	gone := func(id string) bool { return id == "cccc" }
	if err := r.Release("bbbb", gone); err != nil {
		t.Fatal(err)
	}
	if r.Alive() || len(r.Holders()) != 0 {
		t.Fatalf("namespace kept by stale holders %v", r.Holders())
	}
	if _, err := os.Stat(r.Path()); !os.IsNotExist(err) {
		t.Fatalf("namespace file left: %v", err)
	}
	if err := r.Release("bbbb", nil); err != nil {
		t.Fatalf("second release: %v", err)
	}
}
