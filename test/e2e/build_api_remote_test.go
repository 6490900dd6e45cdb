package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// TestBuildAPIRemoteContext: Docker's POST /build?remote=URL (as
// docker-py sends it) builds a tarball fetched by the engine; a remote=
// that is a path on the server is refused with 400.
func TestBuildAPIRemoteContext(t *testing.T) {
	c := newAPICLI(t)
	c.SeedImage(t, apiImage, testenv.ImageSpec{})
	s := startService(t, c)
	ctxTar := ctxTarOf(t,
		ctxEntry{name: "Dockerfile", body: "FROM " + apiImage + "\nCOPY msg /msg\nCMD [\"cat\", \"/msg\"]\n"},
		ctxEntry{name: "msg", body: "via remote=\n"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(ctxTar) }))
	defer srv.Close()
	post := func(q url.Values) (int, string) {
		resp, err := s.httpClient().Post("http://d/v1.41/build?"+q.Encode(), "application/x-tar", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code, body := post(url.Values{"remote": {srv.URL + "/ctx.tar"}, "t": {"localhost/remotebuilt:1"}, "networkmode": {"none"}})
	if code != http.StatusOK || !strings.Contains(body, `"aux":{"ID":"sha256:`) || strings.Contains(body, `"error"`) {
		t.Fatalf("POST /build?remote=: %d %s", code, body)
	}
	if out := c.Must(t, "run", "--rm", "--network", "none", "localhost/remotebuilt:1"); out != "via remote=" {
		t.Errorf("built image runs: %q", out)
	}
	// selkie --url build URL: the service fetches the context, as Podman's.
	if r := s.remote(t, "build", "-q", "--network", "none", "-t", "localhost/remotebuilt:2", srv.URL+"/ctx.tar"); r.ExitCode != 0 {
		t.Fatalf("remote build of a URL context: %s", r)
	}
	if out := c.Must(t, "run", "--rm", "--network", "none", "localhost/remotebuilt:2"); out != "via remote=" {
		t.Errorf("remote-built image runs: %q", out)
	}
	for _, bad := range []string{"/etc", "file:///etc", "../../"} {
		if code, body := post(url.Values{"remote": {bad}}); code != http.StatusBadRequest {
			t.Errorf("remote=%s: %d %s", bad, code, body)
		}
	}
}
