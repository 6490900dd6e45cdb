package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
	"golang.org/x/net/websocket"
)

// wsAttach opens GET /containers/{id}/attach/ws on the service's socket with
// x/net/websocket, as a Go client of the Docker API would.
func (s *apiService) wsAttach(t *testing.T, id, query string) (*websocket.Conn, error) {
	t.Helper()
	cfg, err := websocket.NewConfig("ws://d/v1.44/containers/"+id+"/attach/ws?"+query, "http://d")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("unix", s.sock, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := websocket.NewClient(cfg, conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return ws, nil
}

// readUntil reads frames from ws until their concatenation contains all of
// want, or the deadline passes; it returns what was read.
func readUntil(ws *websocket.Conn, d time.Duration, want ...string) (string, error) {
	_ = ws.SetReadDeadline(time.Now().Add(d))
	var got strings.Builder
	buf := make([]byte, 4096)
	for {
		done := true
		for _, w := range want {
			if !strings.Contains(got.String(), w) {
				done = false
			}
		}
		if done {
			return got.String(), nil
		}
		n, err := ws.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			return got.String(), err
		}
	}
}

// TestAPIAttachWebsocket: Docker's /containers/{id}/attach/ws with a Go
// websocket client: attach to a created container, start it, talk to its
// stdin, read stdout and stderr (raw, not multiplexed); attach to a running
// one; several attach+start pairs at once (the attach must be parked before
// the handshake answer, as for the hijacked attach); a cross-site Origin and
// a plain GET are refused and the service keeps serving.
func TestAPIAttachWebsocket(t *testing.T) {
	c := newAPICLI(t)
	c.SeedImage(t, apiImage, testenv.ImageSpec{})
	s := startService(t, c)
	hc := s.httpClient()
	start := func(id string) error {
		resp, err := hc.Post("http://d/v1.44/containers/"+id+"/start", "application/json", nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotModified {
			b, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("start %s: %d %s", id, resp.StatusCode, b)
		}
		return nil
	}

	// created container: attach, then start
	id := strings.TrimSpace(c.Must(t, "create", "-i", "--name", "wsc", "--network", "none", apiImage, "sh", "-c", "read l; echo got:$l; echo oops >&2"))
	ws, err := s.wsAttach(t, id, "stream=1&stdin=1&stdout=1&stderr=1")
	if err != nil {
		t.Fatalf("websocket handshake: %v", err)
	}
	if err := start(id); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	got, err := readUntil(ws, time.Minute, "got:hello\n", "oops\n")
	ws.Close()
	if !strings.Contains(got, "got:hello\n") || !strings.Contains(got, "oops\n") {
		t.Fatalf("websocket attach read %q: %v", got, err)
	}
	if strings.ContainsRune(got, '\x01') || strings.ContainsRune(got, '\x02') {
		t.Fatalf("websocket output is multiplexed: %q", got)
	}
	if out := c.Must(t, "wait", "wsc"); strings.TrimSpace(out) != "0" {
		t.Fatalf("wait: %q", out)
	}

	// running container: attach, output after the attach arrives
	c.Must(t, "run", "-d", "-i", "--name", "wsr", "--network", "none", apiImage, "sh", "-c", "while read l; do echo echo:$l; done")
	ws, err = s.wsAttach(t, "wsr", "stream=1&stdin=1&stdout=1")
	if err != nil {
		t.Fatalf("websocket handshake (running): %v", err)
	}
	if _, err := ws.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	got, err = readUntil(ws, time.Minute, "echo:one\n")
	ws.Close()
	if !strings.Contains(got, "echo:one\n") {
		t.Fatalf("websocket attach to a running container read %q: %v", got, err)
	}

	// several attach+start pairs at once
	const n = 4
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			name := fmt.Sprintf("wsp%d", i)
			r := c.Run("create", "--name", name, "--network", "none", apiImage, "echo", "out:"+name)
			if r.ExitCode != 0 {
				errs <- fmt.Errorf("create: %s", r)
				return
			}
			ws, err := s.wsAttach(t, name, "stream=1&stdout=1&stderr=1")
			if err != nil {
				errs <- err
				return
			}
			defer ws.Close()
			if err := start(name); err != nil {
				errs <- err
				return
			}
			if got, err := readUntil(ws, time.Minute, "out:"+name+"\n"); !strings.Contains(got, "out:"+name) {
				errs <- fmt.Errorf("%s read %q: %v", name, got, err)
				return
			}
			errs <- nil
		}(i)
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}

	// hostile: a web page's Origin, a plain GET, an unknown container
	cfg, _ := websocket.NewConfig("ws://d/containers/wsr/attach/ws?stream=1&stdout=1", "http://evil.example")
	conn, err := net.DialTimeout("unix", s.sock, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ws, err := websocket.NewClient(cfg, conn); err == nil {
		ws.Close()
		t.Fatal("websocket attach with a foreign Origin was accepted")
	}
	conn.Close()
	for path, want := range map[string]int{
		"/containers/wsr/attach/ws?stream=1&stdout=1":      http.StatusBadRequest,
		"/containers/nosuch/attach/ws?stream=1&stdout=1":   http.StatusNotFound,
		"/v1.44/containers/wsr/attach/ws?stdout=1":         http.StatusBadRequest,
		"/v1.44/containers/wsr/attach/ws?stream=1&stdin=1": http.StatusBadRequest,
	} {
		resp, err := hc.Get("http://d" + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	if resp, err := hc.Get("http://d/_ping"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("service after hostile websocket requests: %v", err)
	}
}
