package build

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh/agent"
)

func TestRemoteKind(t *testing.T) {
	for ref, want := range map[string]string{
		"git://host/repo":                 "git",
		"github.com/user/repo":            "git",
		"https://host/x/repo.git":         "git",
		"https://host/x/repo.git#main:ci": "git",
		"http://host/ctx.tar.gz":          "http",
		"https://host/Containerfile":      "http",
		".":                               "",
		"/srv/ctx":                        "",
		"github.com.local/dir":            "",
		"-":                               "",
	} {
		if got := RemoteKind(ref); got != want {
			t.Errorf("RemoteKind(%q) = %q, want %q", ref, got, want)
		}
	}
}

func TestGitSource(t *testing.T) {
	repo, ref, sub, err := GitSource("github.com/user/repo#v1.2:build/ctx")
	if err != nil || repo != "https://github.com/user/repo" || ref != "v1.2" || sub != "build/ctx" {
		t.Errorf("GitSource = %q %q %q %v", repo, ref, sub, err)
	}
	repo, ref, sub, err = GitSource("git://h/r.git")
	if err != nil || repo != "git://h/r.git" || ref != "" || sub != "" {
		t.Errorf("GitSource = %q %q %q %v", repo, ref, sub, err)
	}
	for _, bad := range []string{"git://h/r.git#main:../..", "git://h/r.git#main:a/../../b", "git://h/r.git#--upload-pack=touch /x"} {
		if _, _, _, err := GitSource(bad); err == nil {
			t.Errorf("GitSource(%q) accepted", bad)
		}
	}
	if _, _, _, err := GitSource("git://h/r.git#main:../x"); !errors.Is(err, ErrEscape) {
		t.Errorf("a subdirectory leaving the repository: %v", err)
	}
}

// TestHTTPContextLimits: a body larger than the limit is refused while
// reading, also when the server sends no Content-Length.
func TestHTTPContextLimits(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush() // chunked: no Content-Length
		w.Write(make([]byte, MaxContainerfileDownload+10))
	}))
	defer srv.Close()
	_, err := FetchContainerfile(context.Background(), srv.URL+"/cf", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "more than the limit") {
		t.Fatalf("oversized Containerfile: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "ctx")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// Not a tar and larger than a Containerfile may be.
	_, err = FetchContext(context.Background(), srv.URL+"/ctx", dir)
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("oversized non-archive context: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "\n") {
		t.Errorf("multi-line error: %q", err)
	}
}

func TestSourceExcludes(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"dir/a.go", "dir/b.c", "dir/sub/c.go", "dir/node_modules/x/y.js", "top.txt", "top.md"} {
		write(t, filepath.Join(root, f), f)
	}
	src, err := (&Source{Root: root}).WithExcludes([]string{"*.go", "node_modules", "*.txt"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, pat := range []string{"dir", "top*"} {
		ms, err := src.Resolve(pat)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if err := src.Walk(m, func(e Entry) error {
				if !e.Info.IsDir() {
					got = append(got, filepath.Join(m.Rel, e.Rel))
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// *.go matches below the copied directory's top level only, as the
	// Dockerfile frontend's patterns do: dir/sub/c.go stays.
	want := "dir/b.c dir/sub/c.go top.md"
	if strings.Join(got, " ") != want {
		t.Errorf("kept %v, want %s", got, want)
	}
	if _, err := (&Source{Root: root}).WithExcludes([]string{""}); err == nil {
		t.Error("an empty --exclude pattern was accepted")
	}
}

func TestParseSSH(t *testing.T) {
	env := func(k string) string {
		if k == "SSH_AUTH_SOCK" {
			return "/agent.sock"
		}
		return ""
	}
	m, err := ParseSSH([]string{"default", "other"}, env)
	if err != nil || m["default"].Socket != "/agent.sock" || m["other"].Socket != "/agent.sock" {
		t.Fatalf("ParseSSH = %+v, %v", m, err)
	}
	if _, err := ParseSSH([]string{"default"}, func(string) string { return "" }); err == nil {
		t.Error("default without SSH_AUTH_SOCK accepted")
	}
	if _, err := ParseSSH([]string{"=x"}, env); err == nil {
		t.Error("empty id accepted")
	}
	if _, err := ParseSSH([]string{"k=/does/not/exist"}, env); err == nil {
		t.Error("missing key file accepted")
	}
	junk := filepath.Join(t.TempDir(), "junk")
	write(t, junk, "not a key")
	if _, err := ParseSSH([]string{"k=" + junk}, env); err == nil {
		t.Error("a file that is not a key was accepted")
	}
}

// TestSSHAgentForwards: the step's socket answers through the upstream
// agent, with the requested mode, and closes cleanly.
func TestSSHAgentForwards(t *testing.T) {
	dir, err := os.MkdirTemp("", "ssh-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	up := filepath.Join(dir, "up")
	l, err := net.Listen("unix", up)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _ = agent.ServeAgent(agent.NewKeyring(), c) }()
		}
	}()
	a, err := SSHSource{ID: "default", Socket: up}.Serve(filepath.Join(dir, "step"), os.Getuid(), os.Getgid(), 0o640)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "step"))
	if err != nil || fi.Mode().Perm() != 0o640 || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("step socket: %v %v", fi, err)
	}
	c, err := net.Dial("unix", filepath.Join(dir, "step"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := agent.NewClient(c).List()
	c.Close()
	if err != nil || len(keys) != 0 {
		t.Errorf("List through the forwarder: %v %v", keys, err)
	}
	if err := a.Close(); err != nil {
		t.Error(err)
	}
	if _, err := net.Dial("unix", filepath.Join(dir, "step")); err == nil {
		t.Error("the step socket still answers after Close")
	}
}
