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

func TestSlirpArgs(t *testing.T) {
	got, err := slirpArgs(SlirpOptions{NetnsPath: "/ns", APISocket: "/s", Args: []string{"mtu=1500", "cidr=10.5.0.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "--configure --mtu=1500 --netns-type=path --api-socket=/s --ready-fd=3 --cidr=10.5.0.0/24 --disable-host-loopback /ns tap0"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %s\nwant %s", strings.Join(got, " "), want)
	}
	for _, bad := range []string{"mtu=x", "cidr=nope", "bogus=1"} {
		if _, err := slirpArgs(SlirpOptions{Args: []string{bad}}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestSlirpPublish: slirp4netns configures tap0 and forwards a host port
// into the namespace; StopSlirp ends it.
func TestSlirpPublish(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	for _, b := range []string{"slirp4netns", "busybox"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skip(b + " not installed")
		}
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
	_ = os.WriteFile(filepath.Join(www, "index.html"), []byte("via-slirp\n"), 0o644)
	o := SlirpOptions{NetnsPath: ns, PidFile: filepath.Join(dir, "pid"), APISocket: filepath.Join(dir, "api.sock"),
		LogFile: filepath.Join(dir, "log"), Ports: []engine.PortMapping{{HostIP: "127.0.0.1", HostPort: uint16(hp), ContainerPort: 8080}}}
	if err := StartSlirp(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = StopSlirp(o.PidFile) })
	if out, err := exec.Command("nsenter", "--net="+ns, "ip", "-o", "-4", "addr", "show", "tap0").CombinedOutput(); err != nil || !strings.Contains(string(out), "10.0.2.100") {
		t.Fatalf("tap0 not configured: %v %s", err, out)
	}
	srv := exec.Command("nsenter", "--net="+ns, "busybox", "httpd", "-f", "-p", "8080", "-h", www)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _, _ = srv.Process.Wait() })
	cl := &http.Client{Timeout: 2 * time.Second}
	var body string
	for i := 0; i < 25 && !strings.Contains(body, "via-slirp"); i++ {
		if resp, err := cl.Get(fmt.Sprintf("http://127.0.0.1:%d/", hp)); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
		} else {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if !strings.Contains(body, "via-slirp") {
		t.Fatalf("published port through slirp4netns: got %q", body)
	}
	data, _ := os.ReadFile(o.PidFile)
	if err := StopSlirp(o.PidFile); err != nil {
		t.Fatal(err)
	}
	p := strings.TrimSpace(string(data))
	for i := 0; i < 50; i++ {
		st, err := os.ReadFile("/proc/" + p + "/status")
		if err != nil || strings.Contains(string(st), "State:\tZ") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("slirp4netns %s still running after StopSlirp", p)
}
