package network

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/engine"
)

func TestPastaArgs(t *testing.T) {
	got := strings.Join(pastaArgs(PastaOptions{NetnsPath: "/ns", PidFile: "/p", Ports: []engine.PortMapping{
		{HostPort: 8080, ContainerPort: 80},
		{HostIP: "127.0.0.1", HostPort: 9000, ContainerPort: 90, Range: 2, Protocol: "tcp,udp"},
	}}), " ")
	want := "--config-net --quiet --pid /p -t 8080:80 -t 127.0.0.1/9000-9001:90-91 -u 127.0.0.1/9000-9001:90-91 -T none -U none --netns /ns"
	if got != want {
		t.Fatalf("pasta args:\n%s\nwant:\n%s", got, want)
	}
	if got := strings.Join(pastaArgs(PastaOptions{NetnsPath: "/ns", PidFile: "/p"}), " "); !strings.Contains(got, "-t none -u none -T none -U none") {
		t.Fatalf("no ports: %s", got)
	}
}

// TestPastaPublish runs pasta (as root here; the same code serves rootless
// containers) and reaches a server in the namespace through the forwarded port.
func TestPastaPublish(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	if _, err := exec.LookPath("pasta"); err != nil {
		t.Skip("pasta not installed")
	}
	if _, err := exec.LookPath("busybox"); err != nil {
		t.Skip("busybox not installed")
	}
	ns := newTestNetns(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hp := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	_ = os.MkdirAll(www, 0o755)
	_ = os.WriteFile(filepath.Join(www, "index.html"), []byte("via-pasta\n"), 0o644)
	pid := filepath.Join(dir, "pasta.pid")
	o := PastaOptions{NetnsPath: ns, PidFile: pid, Args: []string{"--runas", "0"}, Ports: []engine.PortMapping{{HostIP: "127.0.0.1", HostPort: uint16(hp), ContainerPort: 8080}}}
	if err := StartPasta(context.Background(), o); err != nil {
		if strings.Contains(err.Error(), "/dev/net/tun") {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = StopPasta(pid) })
	srv := exec.Command("nsenter", "--net="+ns, "busybox", "httpd", "-f", "-p", "8080", "-h", www)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _, _ = srv.Process.Wait() })
	cl := &http.Client{Timeout: 2 * time.Second}
	var body string
	for i := 0; i < 25 && !strings.Contains(body, "via-pasta"); i++ {
		if resp, err := cl.Get(fmt.Sprintf("http://127.0.0.1:%d/", hp)); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
		} else {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if !strings.Contains(body, "via-pasta") {
		t.Fatalf("published port through pasta: got %q", body)
	}
	if out, err := exec.Command("nsenter", "--net="+ns, "ip", "-o", "link").CombinedOutput(); err != nil || len(strings.Split(strings.TrimSpace(string(out)), "\n")) < 2 {
		t.Fatalf("pasta configured no interface in the namespace: %v %s", err, out)
	}
	data, _ := os.ReadFile(pid)
	if err := StopPasta(pid); err != nil {
		t.Fatal(err)
	}
	p := strings.TrimSpace(string(data))
	for i := 0; i < 50; i++ {
		st, err := os.ReadFile("/proc/" + p + "/status")
		if err != nil || strings.Contains(string(st), "State:\tZ") { // gone, or dead and not yet reaped
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	c, _ := os.ReadFile("/proc/" + p + "/comm")
	s, _ := os.ReadFile("/proc/" + p + "/status")
	t.Fatalf("pasta %s (%s) still running after StopPasta: %s", p, c, s)
}
