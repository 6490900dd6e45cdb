package copier

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

func requireRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (chown of extracted files)")
	}
}

func mkTar(t *testing.T, hs ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hs {
		body := ""
		if h.Typeflag == tar.TypeReg {
			body = "data:" + h.Name
			h.Size = int64(len(body))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if body != "" {
			_, _ = tw.Write([]byte(body))
		}
	}
	_ = tw.Close()
	return buf.Bytes()
}

func names(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h.Name)
	}
	sort.Strings(out)
	return out
}

func TestPutConfinesHostileEntries(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	victimDir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("v"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cases := [][]*tar.Header{
		{{Name: "../../../../../.." + victimDir + "/dotdot", Typeflag: tar.TypeReg}},
		{{Name: victimDir + "/abs", Typeflag: tar.TypeReg}},
		{{Name: "l", Typeflag: tar.TypeSymlink, Linkname: victimDir}, {Name: "l/through", Typeflag: tar.TypeReg}},
		{{Name: "r", Typeflag: tar.TypeSymlink, Linkname: "../../../../../../.." + victimDir}, {Name: "r/rel", Typeflag: tar.TypeReg}},
		// A8: chmod/chown through a symlink.
		{{Name: "v", Typeflag: tar.TypeSymlink, Linkname: victim}, {Name: "v", Typeflag: tar.TypeDir, Mode: 0o777}},
		{{Name: "v2", Typeflag: tar.TypeSymlink, Linkname: victim}, {Name: "v2", Typeflag: tar.TypeReg, Mode: 0o777}},
		{{Name: "h", Typeflag: tar.TypeLink, Linkname: "../../../../../../.." + victim}},
		{{Name: "h2", Typeflag: tar.TypeLink, Linkname: victim}},
	}
	for i, hs := range cases {
		_ = r.Put(bytes.NewReader(mkTar(t, hs...)), "/", PutOptions{})
		if ents, _ := os.ReadDir(victimDir); len(ents) != 0 {
			t.Fatalf("case %d wrote into the victim dir: %v", i, ents)
		}
		fi, err := os.Stat(victim)
		if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 1 {
			t.Fatalf("case %d changed the victim: %v %v", i, fi, err)
		}
	}
	// The absolute and ../ entries landed inside the root.
	for _, p := range []string{victimDir + "/dotdot", victimDir + "/abs"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("entry not confined into the root: %v", err)
		}
	}
}

func TestGetResolvesInRoot(t *testing.T) {
	root := t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("HOST"), 0o600); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	must(os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte("root:x:0:0::/:/bin/sh\n"), 0o644))
	must(os.Symlink(secret, filepath.Join(root, "abs")))
	must(os.Symlink("../../../../../../../.."+secret, filepath.Join(root, "rel")))
	must(os.Symlink("/", filepath.Join(root, "up")))
	must(os.Symlink("/etc", filepath.Join(root, "etclink")))
	r, err := OpenRoot(root)
	must(err)
	defer r.Close()
	for _, p := range []string{"/abs", "/rel", "/up" + secret, "/../../../../" + secret} {
		var buf bytes.Buffer
		if _, err := r.Get(&buf, p, GetOptions{}); err == nil || strings.Contains(buf.String(), "HOST") {
			t.Errorf("Get %s: err %v, host content %v", p, err, strings.Contains(buf.String(), "HOST"))
		}
	}
	// An absolute link inside the root resolves inside it.
	var buf bytes.Buffer
	in, err := r.Get(&buf, "/etclink/passwd", GetOptions{})
	must(err)
	if in.Name != "passwd" || !strings.Contains(buf.String(), "root:x:0:0") {
		t.Fatalf("in-root absolute link: %+v", in)
	}
	st, err := r.StatInfo("/etclink")
	must(err)
	if st.Resolved != "/etc" || !st.Mode.IsDir() {
		t.Fatalf("StatInfo through link: %+v", st)
	}
	// A directory walk archives symlinks as symlinks.
	buf.Reset()
	_, err = r.Get(&buf, "/", GetOptions{Rename: "."})
	must(err)
	got := strings.Join(names(t, buf.Bytes()), ",")
	if got != "abs,etc/,etc/passwd,etclink,rel,up" {
		t.Fatalf("walk: %s", got)
	}
}

// TestGetSymlinkSwapRace: a goroutine swaps a directory with a symlink to
// the host's / while Get and Put work through it (CVE-2018-15664).
func TestGetSymlinkSwapRace(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	hostDir := t.TempDir()
	canary := filepath.Join(hostDir, "canary")
	if err := os.WriteFile(canary, []byte("HOST CANARY"), 0o600); err != nil {
		t.Fatal(err)
	}
	inner := filepath.Join(root, "x", hostDir)
	if err := os.MkdirAll(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inner, "canary"), []byte("inside"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		x, xd := filepath.Join(root, "x"), filepath.Join(root, "x.d")
		for !stop.Load() {
			_ = os.Rename(x, xd)
			_ = os.Symlink("/", x)
			_ = os.Remove(x)
			_ = os.Rename(xd, x)
		}
	}()
	r, err := OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	payload := mkTar(t, &tar.Header{Name: "pwned", Typeflag: tar.TypeReg})
	for i := 0; i < 2000; i++ {
		var buf bytes.Buffer
		_, _ = r.Get(&buf, "/x"+canary, GetOptions{})
		if strings.Contains(buf.String(), "HOST CANARY") {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("iteration %d read the host file", i)
		}
		_ = r.Put(bytes.NewReader(payload), "/x"+hostDir, PutOptions{})
		if _, err := os.Stat(filepath.Join(hostDir, "pwned")); err == nil {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("iteration %d wrote into the host dir", i)
		}
	}
	stop.Store(true)
	wg.Wait()
}

func TestCopyKeepsOwnershipAndModes(t *testing.T) {
	requireRoot(t)
	src, dst := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "d", "sub"), 0o750); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(src, "d", "sub", "f")
	if err := os.WriteFile(f, []byte("x"), 0o4755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(f, 1000, 2000); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(f, 0o755|os.ModeSetuid) // after chown, which clears setuid
	if err := os.Link(f, filepath.Join(src, "d", "hard")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub/f", filepath.Join(src, "d", "sym")); err != nil {
		t.Fatal(err)
	}
	from, _ := OpenRoot(src)
	to, _ := OpenRoot(dst)
	defer from.Close()
	defer to.Close()
	if err := Copy(from, "/d", to, "/", "."); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dst, "sub", "f"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSetuid == 0 || fi.Mode().Perm() != 0o755 {
		t.Fatalf("mode %v", fi.Mode())
	}
	st := fi.Sys().(*syscallStat)
	if st.Uid != 1000 || st.Gid != 2000 || st.Nlink != 2 {
		t.Fatalf("owner %d:%d nlink %d", st.Uid, st.Gid, st.Nlink)
	}
	if l, _ := os.Readlink(filepath.Join(dst, "sym")); l != "sub/f" {
		t.Fatalf("symlink %q", l)
	}
	if empty, _ := to.IsEmptyDir("/"); empty {
		t.Fatal("IsEmptyDir on a full dir")
	}
}

type syscallStat = syscall.Stat_t
