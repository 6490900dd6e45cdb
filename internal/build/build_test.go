package build

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	_, err := Parse([]byte("FROM busybox\n\nFOO bar\n"))
	if err == nil || !strings.Contains(err.Error(), "line 3: unknown instruction: FOO") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Parse([]byte("# only a comment\n")); err == nil {
		t.Fatal("a file without FROM parsed")
	}
	f, err := Parse([]byte("ARG X=1\nFROM a AS one\nRUN <<EOF\necho hi\nEOF\nFROM one\n"))
	if err != nil || len(f.Stages) != 2 || len(f.MetaArgs) != 1 {
		t.Fatalf("parse: %v %+v", err, f)
	}
}

func TestArgsScoping(t *testing.T) {
	used := map[string]bool{}
	build := map[string]string{"A": "cli", "HTTP_PROXY": "http://p", "NEVER": "x"}
	a := NewArgs(build, used)
	def := "default"
	a.Declare("A", &def, nil)
	a.Declare("B", &def, nil)
	a.Declare("G", nil, map[string]string{"G": "global"})
	v := a.Values()
	if v["A"] != "cli" || v["B"] != "default" || v["G"] != "global" || v["HTTP_PROXY"] != "http://p" {
		t.Fatalf("values %v", v)
	}
	if u := Unused(build, used); len(u) != 1 || u[0] != "NEVER" {
		t.Fatalf("unused %v", u)
	}
	env := []string{"PATH=/bin", "A=env"}
	ex := NewLexer('\\').Expander(append(a.Env(), env...))
	if s, _ := ex("$A-${B}-$PATH"); s != "env-default-/bin" {
		t.Fatalf("expanded %q (ENV must win over ARG)", s)
	}
}

// TestSourceConfined: sources never leave the context, symlinks resolve
// inside it, ignore patterns hide files.
func TestSourceConfined(t *testing.T) {
	base := t.TempDir()
	ctx := filepath.Join(base, "ctx")
	write(t, filepath.Join(base, "outside"), "HOST")
	write(t, filepath.Join(ctx, "in"), "in")
	write(t, filepath.Join(ctx, "sub", "x.txt"), "x")
	write(t, filepath.Join(ctx, "sub", "skip.log"), "log")
	if err := os.Symlink(filepath.Join(base, "outside"), filepath.Join(ctx, "abs-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../outside", filepath.Join(ctx, "rel-link")); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(ctx, ".containerignore"), "**/*.log\n")
	m, err := LoadIgnore(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	s := &Source{Root: ctx, Matcher: m}
	for _, p := range []string{"../outside", "sub/../../outside", "/../outside"} {
		if _, err := s.Resolve(p); !errors.Is(err, ErrEscape) && !os.IsNotExist(err) {
			t.Errorf("Resolve(%q) = %v, want an escape or not-found error", p, err)
		}
	}
	for _, p := range []string{"abs-link", "rel-link"} {
		ms, err := s.Resolve(p)
		if err == nil {
			data, _ := os.ReadFile(ms[0].Path)
			t.Errorf("Resolve(%q) found %s (%q)", p, ms[0].Path, data)
		}
	}
	ms, err := s.Resolve("sub")
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	_ = s.Walk(ms[0], func(e Entry) error { seen = append(seen, e.Rel); return nil })
	if strings.Contains(strings.Join(seen, ","), "skip.log") {
		t.Errorf("ignored file walked: %v", seen)
	}
	if _, err := s.Resolve("sub/skip.log"); err == nil {
		t.Error("an ignored file resolved")
	}
	d1, _ := s.Digest(ms)
	write(t, filepath.Join(ctx, "sub", "x.txt"), "y")
	d2, _ := s.Digest(ms)
	if d1 == d2 {
		t.Error("digest did not change with the content")
	}
}

// TestCopyIntoNeverWritesThroughSymlinks: a destination (or a parent) that
// is a symlink to a host path in the rootfs is resolved inside the rootfs.
func TestCopyIntoNeverWritesThroughSymlinks(t *testing.T) {
	base := t.TempDir()
	rootfs := filepath.Join(base, "rootfs")
	victimDir := filepath.Join(base, "victim")
	write(t, filepath.Join(victimDir, "f"), "victim")
	if err := os.MkdirAll(filepath.Join(rootfs, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victimDir, filepath.Join(rootfs, "evil-dir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(victimDir, "f"), filepath.Join(rootfs, "evil-file")); err != nil {
		t.Fatal(err)
	}
	ctx := filepath.Join(base, "ctx")
	write(t, filepath.Join(ctx, "f"), "new")
	s := &Source{Root: ctx}
	ms, err := s.Resolve("f")
	if err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{"/evil-dir/f", "/evil-file", "/evil-dir/sub/f", "/../../victim/f"} {
		if err := CopyInto(rootfs, dest, s, ms, CopyOptions{}); err != nil {
			t.Logf("CopyInto %s: %v", dest, err)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(victimDir, "f")); string(data) != "victim" {
		t.Fatalf("host file overwritten: %q", data)
	}
	if _, err := os.Stat(filepath.Join(victimDir, "sub")); err == nil {
		t.Fatal("directory created on the host")
	}
	if fi, err := os.Lstat(filepath.Join(rootfs, "evil-file")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the symlink at the destination was not replaced by the file: %v", err)
	}
	mode := os.FileMode(0o700)
	if err := CopyInto(rootfs, "/dir/", s, ms, CopyOptions{UID: 12, GID: 34, Chmod: &mode}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(rootfs, "dir", "f"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("chmod: %v %v", fi, err)
	}
}

// TestTarCopyResolvesInsideImage: destination symlinks in the image are
// followed inside it (/bin -> usr/bin) and never to host paths.
func TestTarCopyResolvesInsideImage(t *testing.T) {
	base := t.TempDir()
	img := filepath.Join(base, "img")
	if err := os.MkdirAll(filepath.Join(img, "usr", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Symlink("usr/bin", filepath.Join(img, "bin"))
	os.Symlink(base, filepath.Join(img, "evil"))
	ctx := filepath.Join(base, "ctx")
	write(t, filepath.Join(ctx, "f"), "data")
	write(t, filepath.Join(ctx, "d", "x"), "x")
	s := &Source{Root: ctx}
	names := func(dest string, pattern string) []string {
		ms, err := s.Resolve(pattern)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := TarCopy(&buf, img, dest, s, ms, CopyOptions{UID: 5, GID: 6}, nil); err != nil {
			t.Fatal(err)
		}
		var out []string
		tr := tar.NewReader(&buf)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if h.Uid != 5 || h.Gid != 6 {
				t.Errorf("%s owned %d:%d", h.Name, h.Uid, h.Gid)
			}
			out = append(out, h.Name)
		}
		return out
	}
	if got := strings.Join(names("/bin/", "f"), ","); got != "usr/bin/f" {
		t.Errorf("COPY f /bin/ -> %s", got)
	}
	if got := strings.Join(names("/evil/sub/", "f"), ","); strings.Contains(got, strings.TrimPrefix(base, "/")) && !strings.HasPrefix(got, "evil") && !strings.HasPrefix(got, strings.TrimPrefix(base, "/")) {
		t.Errorf("COPY f /evil/sub/ -> %s", got)
	}
	for _, n := range names("/evil/sub/", "f") {
		if strings.HasPrefix(n, "/") || strings.HasPrefix(n, "..") {
			t.Errorf("entry %q leaves the rootfs", n)
		}
	}
	if _, err := os.Stat(filepath.Join(base, "sub")); err == nil {
		t.Error("a directory was created on the host")
	}
	if got := strings.Join(names("/new/", "d"), ","); got != "new/,new/x" {
		t.Errorf("COPY d /new/ -> %s", got)
	}
}
