package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// TestAPIHostileRequests: traversal through the archive endpoints stays in
// the container root, malformed bodies are 4xx, and the service keeps serving.
func TestAPIHostileRequests(t *testing.T) {
	c := newAPICLI(t)
	c.SeedImage(t, apiImage, testenv.ImageSpec{})
	s := startService(t, c)
	hc := s.httpClient()
	id := strings.TrimSpace(s.dockerOK(t, "create", "--network", "none", apiImage, "true"))
	probe := filepath.Join(t.TempDir(), fmt.Sprintf("escape-%d", time.Now().UnixNano()))

	req := func(method, path string, body io.Reader) (int, string) {
		t.Helper()
		r, _ := http.NewRequest(method, "http://d"+path, body)
		resp, err := hc.Do(r)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tarOf := func(entries ...*tar.Header) *bytes.Buffer {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		for _, h := range entries {
			if h.Typeflag == tar.TypeReg {
				h.Size = 5
			}
			tw.WriteHeader(h)
			if h.Typeflag == tar.TypeReg {
				tw.Write([]byte("owned"))
			}
		}
		tw.Close()
		return &b
	}
	rel := strings.Repeat("../", 20) + strings.TrimPrefix(probe, "/")
	cases := []struct {
		name string
		body *bytes.Buffer
		path string
	}{
		{"dotdot entry", tarOf(&tar.Header{Name: rel, Mode: 0o644, Typeflag: tar.TypeReg}), "/tmp"},
		{"symlink then write through it", tarOf(
			&tar.Header{Name: "link", Linkname: filepath.Dir(probe), Typeflag: tar.TypeSymlink},
			&tar.Header{Name: "link/" + filepath.Base(probe), Mode: 0o644, Typeflag: tar.TypeReg}), "/tmp"},
		{"dotdot destination", tarOf(&tar.Header{Name: filepath.Base(probe), Mode: 0o644, Typeflag: tar.TypeReg}), "/../../../../../../" + filepath.Dir(probe)},
	}
	for _, tc := range cases {
		code, body := req("PUT", "/v1.44/containers/"+id+"/archive?path="+url.QueryEscape(tc.path), tc.body)
		if _, err := os.Lstat(probe); err == nil {
			t.Fatalf("%s: wrote %s on the host (status %d %s)", tc.name, probe, code, body)
		}
		if code >= 500 {
			t.Logf("%s: status %d %s (an error, but not a client error)", tc.name, code, body)
		}
	}
	// reading outside the root reads inside it
	code, body := req("GET", "/v1.44/containers/"+id+"/archive?path="+url.QueryEscape("/../../../../etc/shadow"), nil)
	if code == 200 && strings.Contains(body, "root:") && !strings.Contains(body, "root::") {
		if host, _ := os.ReadFile("/etc/shadow"); bytes.Contains([]byte(body), host[:min(len(host), 40)]) {
			t.Fatalf("archive GET escaped the container root")
		}
	}
	// malformed and oversized bodies are client errors
	for _, b := range []string{`{"Image":`, `{"Image": 5}`, `[]`} {
		if code, body := req("POST", "/v1.44/containers/create", strings.NewReader(b)); code != 400 {
			t.Errorf("create with %q: %d %s", b, code, body)
		}
	}
	big := `{"Image":"` + apiImage + `","Labels":{"x":"` + strings.Repeat("a", 11<<20) + `"}}`
	if code, _ := req("POST", "/v1.44/containers/create", strings.NewReader(big)); code != 413 {
		t.Errorf("oversized create: %d", code)
	}
	if code, body := req("GET", "/v1.44/no/such/route", nil); code != 404 || !strings.Contains(body, "message") {
		t.Errorf("unknown route: %d %s", code, body)
	}
	if code, _ := req("GET", "/v0.1/_ping", nil); code != 400 {
		t.Errorf("bad version: %d", code)
	}
	// and it still serves
	code, body = req("GET", "/v1.44/containers/json?all=1", nil)
	var l []map[string]any
	if code != 200 || json.Unmarshal([]byte(body), &l) != nil || len(l) != 1 {
		t.Fatalf("after hostile input: %d %s", code, body)
	}
}
