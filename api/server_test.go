package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/api"
	"github.com/selkie-containers/selkie/engine"
)

// stubEngine answers the few methods these transport tests need; every
// other method panics (the embedded nil interface), which the server must
// turn into a 500 without dying.
type stubEngine struct {
	engine.Engine
	stopped []string
}

func (s *stubEngine) Info(ctx context.Context) (*engine.InfoReport, error) {
	return &engine.InfoReport{Host: engine.HostInfo{Hostname: "stub", Arch: "amd64", OS: "linux"}}, nil
}

func (s *stubEngine) ContainerStop(ctx context.Context, id string, o engine.ContainerStopOptions) error {
	if id == "missing" {
		return fmt.Errorf("no container with name or ID %q found: %w", id, engine.ErrNoSuchContainer)
	}
	s.stopped = append(s.stopped, id)
	return nil
}

func (s *stubEngine) Close() error { return nil }

func newTestServer(t *testing.T) (*httptest.Server, *stubEngine) {
	t.Helper()
	eng := &stubEngine{}
	srv := httptest.NewServer(api.NewServer(eng, api.Options{Version: engine.VersionReport{Version: "9.9.9", APIVersion: "4.3.1"}}))
	t.Cleanup(srv.Close)
	return srv, eng
}

func do(t *testing.T, method, url, body string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestPingAdvertisesCurrentAPIVersion(t *testing.T) {
	srv, _ := newTestServer(t)
	for _, method := range []string{"GET", "HEAD"} {
		for _, p := range []string{"/_ping", "/v1.24/_ping", "/v1.44/_ping", "/v1.12/_ping"} {
			resp, body := do(t, method, srv.URL+p, "")
			if resp.StatusCode != 200 {
				t.Fatalf("%s %s: %d %s", method, p, resp.StatusCode, body)
			}
			v := resp.Header.Get("API-Version")
			var maj, min int
			if _, err := fmt.Sscanf(v, "%d.%d", &maj, &min); err != nil || maj != 1 || min < 44 {
				t.Fatalf("API-Version %q, want >= 1.44", v)
			}
			if method == "GET" && string(body) != "OK" {
				t.Fatalf("body %q", body)
			}
		}
	}
}

func TestVersionPrefixes(t *testing.T) {
	srv, _ := newTestServer(t)
	cases := []struct {
		path   string
		status int
	}{
		{"/version", 200},
		{"/v1.41/version", 200},
		{"/v1.12/version", 200},
		{"/v1.11/version", 400},
		{"/v0.1/version", 400},
		{"/v99.99/version", 400},
		{"/vx/version", 404},
		{"/v4.0.0/libpod/info", 200},
		{"/v5.0.0/libpod/_ping", 200},
		{"/libpod/info", 200},
	}
	for _, c := range cases {
		resp, body := do(t, "GET", srv.URL+c.path, "")
		if resp.StatusCode != c.status {
			t.Errorf("GET %s: status %d, want %d (%s)", c.path, resp.StatusCode, c.status, body)
		}
		if c.status >= 400 {
			var e struct{ Message string }
			if json.Unmarshal(body, &e) != nil || e.Message == "" {
				t.Errorf("GET %s: error body without message: %s", c.path, body)
			}
		}
	}
	_, body := do(t, "GET", srv.URL+"/v1.44/version", "")
	var v struct{ ApiVersion, Version string }
	if err := json.Unmarshal(body, &v); err != nil || v.ApiVersion != "1.44" || v.Version != "9.9.9" {
		t.Fatalf("version body %s (%v)", body, err)
	}
}

func TestHostileInputKeepsServing(t *testing.T) {
	srv, eng := newTestServer(t)
	huge := `{"timeout":1,"x":"` + strings.Repeat("a", 11<<20) + `"}`
	cases := []struct {
		name, method, path, body string
		status                   int
	}{
		{"unknown route", "GET", "/v1.44/nope", "", 404},
		{"unknown libpod route", "GET", "/v4.0.0/libpod/nope/json", "", 404},
		{"wrong method", "DELETE", "/_ping", "", 405},
		{"malformed json", "POST", "/v4.0.0/libpod/containers/c1/stop", `{"timeout":`, 400},
		{"wrong json type", "POST", "/v4.0.0/libpod/containers/c1/stop", `{"timeout":"ten"}`, 400},
		{"unknown field on libpod", "POST", "/v4.0.0/libpod/containers/c1/stop", `{"bogus":1}`, 400},
		{"huge body", "POST", "/v4.0.0/libpod/containers/c1/stop", huge, 413},
		{"malformed docker create", "POST", "/v1.44/containers/create", `{"Image":`, 400},
		{"docker create without image", "POST", "/v1.44/containers/create", `{}`, 400},
		{"bad docker port", "POST", "/v1.44/containers/create", `{"Image":"x","HostConfig":{"PortBindings":{"99999/tcp":[]}}}`, 400},
		{"bad filters", "GET", "/v1.44/containers/json?filters=%7B", "", 400},
		{"bad libpod query", "GET", "/v4.0.0/libpod/containers/json?options=%7Bbad", "", 400},
		{"no such container", "POST", "/v4.0.0/libpod/containers/missing/stop", `{}`, 404},
		{"engine panic", "GET", "/v1.44/images/json", "", 500},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := do(t, c.method, srv.URL+c.path, c.body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			var e struct {
				Message  string `json:"message"`
				Response int    `json:"response"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Message == "" || e.Response != c.status {
				t.Fatalf("error body %q (%v)", body, err)
			}
			// the service still answers
			if resp, _ := do(t, "GET", srv.URL+"/_ping", ""); resp.StatusCode != 200 {
				t.Fatalf("ping after hostile input: %d", resp.StatusCode)
			}
		})
	}
	if len(eng.stopped) != 0 {
		t.Fatalf("engine was called for rejected requests: %v", eng.stopped)
	}
	resp, body := do(t, "POST", srv.URL+"/v4.0.0/libpod/containers/c1/stop", `{"timeout":3}`)
	if resp.StatusCode/100 != 2 || len(eng.stopped) != 1 {
		t.Fatalf("valid stop: %d %s %v", resp.StatusCode, body, eng.stopped)
	}
}

func TestDockerErrorBodyHasMessage(t *testing.T) {
	srv, _ := newTestServer(t)
	resp, body := do(t, "POST", srv.URL+"/v1.44/containers/missing/stop", "")
	// the stub panics on inspect; the answer is still a JSON error
	if resp.StatusCode != 500 || !bytes.Contains(body, []byte(`"message"`)) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}
