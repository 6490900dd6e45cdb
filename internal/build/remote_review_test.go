package build

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A git context cannot make the host run anything: the fetched tree may
// carry hook scripts and a git config (a bare-repository layout at its top
// and in a subdirectory, core.hooksPath, core.fsmonitor, a post-checkout
// hook), and a .gitattributes filter; none of it runs while Selkie fetches
// and checks out, and the #ref:subdir context is the plain directory.
func TestGitContextRunsNothing(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	probe := filepath.Join(t.TempDir(), "probe")
	hook := "#!/bin/sh\ntouch " + probe + "\n"
	cfg := "[core]\n\trepositoryformatversion = 0\n\tbare = true\n\thooksPath = hooks\n\tfsmonitor = touch " + probe + "\n"
	work := t.TempDir()
	files := map[string]string{
		"Containerfile":           "FROM scratch\n",
		"HEAD":                    "ref: refs/heads/main\n",
		"config":                  cfg,
		"hooks/post-checkout":     hook,
		"hooks/post-merge":        hook,
		"refs/heads/.keep":        "",
		"objects/.keep":           "",
		".gitattributes":          "* filter=evil\n",
		"sub/HEAD":                "ref: refs/heads/main\n",
		"sub/config":              cfg,
		"sub/hooks/post-checkout": hook,
		"sub/refs/.keep":          "",
		"sub/objects/.keep":       "",
		"sub/Containerfile":       "FROM scratch\n",
	}
	for p, data := range files {
		full := filepath.Join(work, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git(work, "init", "-q", "-b", "main")
	git(work, "add", "-A")
	git(work, "commit", "-q", "-m", "hostile")
	bare := filepath.Join(t.TempDir(), "repo.git")
	git(work, "clone", "-q", "--bare", work, bare)
	git(bare, "update-server-info")
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(bare))))
	defer srv.Close()
	if _, err := os.Stat(probe); err == nil {
		t.Fatal("the fixture itself ran a hook")
	}
	for _, ref := range []string{srv.URL + "/repo.git", srv.URL + "/repo.git#main:sub"} {
		dir := filepath.Join(t.TempDir(), "ctx")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		got, err := FetchContext(context.Background(), ref, dir)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if _, err := os.Stat(filepath.Join(got, "Containerfile")); err != nil || !strings.HasPrefix(got, dir) {
			t.Fatalf("%s: context %s: %v", ref, got, err)
		}
		if _, err := os.Stat(probe); err == nil {
			t.Fatalf("%s: a hook or config from the fetched repository ran", ref)
		}
	}
}
