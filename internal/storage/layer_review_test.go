package storage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// More hostile layers (security review): link chains, hard links to names
// that later become symlinks, odd names, duplicate entries, 000
// directories, device nodes and set-id files. Each either fails or lands
// inside the layer; the probe directory and its victim never change.
func TestLayerDifferHostileMore(t *testing.T) {
	s := testStore(t)
	probe := t.TempDir()
	victim := filepath.Join(probe, "victim")
	os.WriteFile(victim, []byte("untouched"), 0o644)
	up := strings.Repeat("../", 12)
	rel := strings.TrimPrefix(probe, "/")
	type check func(t *testing.T, dir string)
	content := func(p, want string) check {
		return func(t *testing.T, dir string) {
			if b, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(b) != want {
				t.Fatalf("%s = %q, %v; want %q", p, b, err, want)
			}
		}
	}
	isLink := func(p, target string) check {
		return func(t *testing.T, dir string) {
			if l, err := os.Readlink(filepath.Join(dir, p)); err != nil || l != target {
				t.Fatalf("%s -> %q, %v; want -> %q", p, l, err, target)
			}
		}
	}
	mode := func(p string, want os.FileMode) check {
		return func(t *testing.T, dir string) {
			fi, err := os.Lstat(filepath.Join(dir, p))
			if err != nil || fi.Mode() != want {
				t.Fatalf("%s mode %v, %v; want %v", p, fi.Mode(), err, want)
			}
		}
	}
	cases := []struct {
		name    string
		es      []ent
		refused bool
		checks  []check
	}{
		{"symlink to symlink to outside, then write", []ent{
			{name: "a", link: "b", typ: tar.TypeSymlink},
			{name: "b", link: probe, typ: tar.TypeSymlink},
			{name: "a/x", body: "in", typ: tar.TypeReg},
		}, false, []check{content(rel+"/x", "in"), isLink("a", "b")}},
		{"climbing symlink chain, then write", []ent{
			{name: "d/", typ: tar.TypeDir},
			{name: "d/a", link: "../b", typ: tar.TypeSymlink},
			{name: "b", link: up + rel, typ: tar.TypeSymlink},
			{name: "d/a/victim", body: "in", typ: tar.TypeReg},
		}, false, []check{content(rel+"/victim", "in")}},
		{"hard link, then its target becomes a symlink out", []ent{
			{name: "f", body: "orig", typ: tar.TypeReg},
			{name: "h", link: "f", typ: tar.TypeLink},
			{name: "/f", link: victim, typ: tar.TypeSymlink},
			{name: "h2", link: "f", typ: tar.TypeLink, mode: 0o777},
			{name: "../h", body: "rewritten", typ: tar.TypeReg},
		}, false, []check{content("h", "rewritten"), isLink("h2", victim)}},
		{"hard link to a symlink out, chmod 777", []ent{
			{name: "lnk", link: victim, typ: tar.TypeSymlink},
			{name: "h", link: "lnk", typ: tar.TypeLink, mode: 0o777},
		}, false, []check{isLink("h", victim)}},
		{"regular file over a symlink out", []ent{
			{name: "lnk", link: victim, typ: tar.TypeSymlink},
			{name: "/lnk", body: "replaced", typ: tar.TypeReg},
		}, false, []check{content("lnk", "replaced")}},
		{"fifo and device over a symlink out", []ent{
			{name: "l1", link: victim, typ: tar.TypeSymlink},
			{name: "/l1", typ: tar.TypeFifo},
			{name: "l2", link: victim, typ: tar.TypeSymlink},
			{name: "/l2", typ: tar.TypeChar, major: 1, minor: 3},
		}, false, []check{mode("l1", os.ModeNamedPipe|0o644), mode("l2", os.ModeDevice|os.ModeCharDevice|0o644)}},
		{"symlink over a symlink out", []ent{
			{name: "l", link: victim, typ: tar.TypeSymlink},
			{name: "/l", link: "elsewhere", typ: tar.TypeSymlink},
		}, false, []check{isLink("l", "elsewhere")}},
		{"odd names", []ent{
			{name: "a//b/", typ: tar.TypeDir},
			{name: "./a/./b//c", body: "c", typ: tar.TypeReg},
			{name: "a/b/../b/d", body: "", typ: tar.TypeReg},
			{name: "a/..", typ: tar.TypeDir, mode: 0o755},
		}, false, []check{content("a/b/c", "c"), content("a/b/d", "")}},
		{"same name twice is refused (tar-split cannot record it)", []ent{
			{name: "lnk", link: victim, typ: tar.TypeSymlink},
			{name: "./lnk", body: "x", typ: tar.TypeReg},
		}, true, nil},
		{"component too long", []ent{{name: strings.Repeat("n", 300), body: "x", typ: tar.TypeReg}}, true, nil},
		{"dir, then file of the same name", []ent{
			{name: "d/", typ: tar.TypeDir},
			{name: "d/sub/", typ: tar.TypeDir},
			{name: "d/sub/f", body: "x", typ: tar.TypeReg},
			{name: "/d", body: "file now", typ: tar.TypeReg},
		}, false, []check{content("d", "file now")}},
		{"file, then dir of the same name, then a child", []ent{
			{name: "d", body: "file", typ: tar.TypeReg},
			{name: "/d/", typ: tar.TypeDir},
			{name: "d/f", body: "child", typ: tar.TypeReg},
		}, false, []check{content("d/f", "child")}},
		{"000 directory written into later", []ent{
			{name: "locked/", typ: tar.TypeDir, mode: 0o100},
			{name: "locked/f", body: "x", typ: tar.TypeReg},
			{name: "locked/sub/g", body: "y", typ: tar.TypeReg},
		}, false, []check{content("locked/f", "x"), mode("locked", os.ModeDir|0o100)}},
		{"set-id file and a block device stay inside", []ent{
			{name: "su", body: "#!", typ: tar.TypeReg, mode: 0o6755},
			{name: "sda", typ: tar.TypeBlock, major: 8, minor: 0, mode: 0o660},
		}, false, []check{mode("su", os.ModeSetuid|os.ModeSetgid|0o755), mode("sda", os.ModeDevice|0o660)}},
		{"whiteout and opaque at names reached through a chain", []ent{
			{name: "a", link: "b", typ: tar.TypeSymlink},
			{name: "b", link: probe, typ: tar.TypeSymlink},
			{name: "a/.wh.victim", typ: tar.TypeReg},
			{name: "a/.wh..wh..opq", typ: tar.TypeReg},
		}, false, []check{mode(rel+"/victim", os.ModeDevice|os.ModeCharDevice)}},
		{"opaque marker as a directory", []ent{{name: "d/.wh..wh..opq/", typ: tar.TypeDir}}, false, nil},
		{"hard link to the root", []ent{{name: "h", link: "/", typ: tar.TypeLink}}, true, nil},
		{"hard link to a directory", []ent{{name: "d/", typ: tar.TypeDir}, {name: "h", link: "d", typ: tar.TypeLink}}, true, nil},
		{"symlink as the root", []ent{{name: "./", link: probe, typ: tar.TypeSymlink}}, true, nil},
		{"root replaced through a/..", []ent{{name: "a/..", link: probe, typ: tar.TypeSymlink}}, true, nil},
		{"security.capability and trusted xattrs stay on the layer's file", []ent{
			{name: "cap", body: "x", typ: tar.TypeReg, pax: map[string]string{
				"SCHILY.xattr.security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
				"SCHILY.xattr.trusted.test":        "v",
			}},
		}, false, nil},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			layer, err := applyOurs(t, s, fmt.Sprintf("review%d", i), "", mkTar(t, tc.es))
			if tc.refused != (err != nil) {
				t.Fatalf("refused=%v, got %v", tc.refused, err)
			}
			if err == nil {
				for _, c := range tc.checks {
					c(t, layerDir(t, s, layer.ID))
				}
			}
			entries, _ := os.ReadDir(probe)
			if len(entries) != 1 || entries[0].Name() != "victim" {
				t.Fatalf("probe dir changed: %v", entries)
			}
			st, _ := os.Lstat(victim)
			if data, _ := os.ReadFile(victim); string(data) != "untouched" || st.Mode() != 0o644 || st.Sys().(*syscall.Stat_t).Nlink != 1 || st.Sys().(*syscall.Stat_t).Uid != 0 {
				t.Fatalf("victim changed: %q %v", data, st.Mode())
			}
			if _, err := getxattr(probe, "trusted.overlay.opaque"); err == nil {
				t.Fatal("probe dir marked opaque")
			}
			for _, x := range []string{"security.capability", "trusted.test"} {
				if _, err := getxattr(victim, x); err == nil {
					t.Fatalf("victim got %s", x)
				}
			}
		})
	}
	if left, _ := filepath.Glob(filepath.Join(s.GraphRoot(), "overlay", "staging", "*", "*")); len(left) != 0 {
		t.Fatalf("staging content left: %v", left)
	}
}

// sparseTar is a PAX (GNU 1.0) sparse file "f" of logical size size with
// 4 bytes of data at its end: a few KiB of archive.
func sparseTar(size int64) []byte {
	hdr := func(name string, typ byte, n int) []byte {
		b := make([]byte, 512)
		copy(b, name)
		copy(b[100:], "0000644\x00")
		copy(b[108:], "0000000\x00")
		copy(b[116:], "0000000\x00")
		copy(b[124:], fmt.Sprintf("%011o\x00", n))
		copy(b[136:], fmt.Sprintf("%011o\x00", time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC).Unix()))
		b[156] = typ
		copy(b[257:], "ustar\x0000")
		copy(b[148:], "        ")
		sum := 0
		for _, c := range b {
			sum += int(c)
		}
		copy(b[148:], fmt.Sprintf("%06o\x00 ", sum))
		return b
	}
	pad := func(b []byte) []byte { return append(b, make([]byte, (512-len(b)%512)%512)...) }
	rec := func(k, v string) string {
		s := " " + k + "=" + v + "\n"
		for n := len(s) + 1; ; n++ {
			if r := fmt.Sprint(n) + s; len(r) == n {
				return r
			}
		}
	}
	pax := rec("GNU.sparse.major", "1") + rec("GNU.sparse.minor", "0") + rec("GNU.sparse.name", "f") + rec("GNU.sparse.realsize", fmt.Sprint(size))
	m := fmt.Sprintf("1\n%d\n4\n", size-4)
	body := m + strings.Repeat("\x00", 512-len(m)) + "data"
	out := append(hdr("PaxHeaders/f", 'x', len(pax)), pad([]byte(pax))...)
	out = append(out, hdr("GNUSparseFile.0/f", '0', len(body))...)
	out = append(out, pad([]byte(body))...)
	return append(out, make([]byte, 1024)...)
}

// A sparse entry of a large logical size (a few KiB of archive) must not
// make the extractor write its holes as data (storage's own extraction
// does: a few KiB of layer could fill the graph root's disk).
func TestLayerDifferSparse(t *testing.T) {
	s := testStore(t)
	const size = 256 << 20
	ref, _, err := s.PutLayer("sparse-ref", "", nil, "", false, nil, bytes.NewReader(sparseTar(size)))
	if err != nil {
		t.Fatal(err)
	}
	var rst unix.Stat_t
	if err := unix.Stat(filepath.Join(layerDir(t, s, ref.ID), "f"), &rst); err != nil || rst.Size != size {
		t.Fatalf("storage's extraction: %v, size %d", err, rst.Size)
	}
	t.Logf("storage's extraction allocates %d bytes", rst.Blocks*512)
	layer, err := applyOurs(t, s, "sparse", "", sparseTar(size))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(layerDir(t, s, layer.ID), "f")
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	if st.Size != size {
		t.Fatalf("size %d, want %d", st.Size, size)
	}
	if st.Blocks*512 > 1<<20 {
		t.Fatalf("%d bytes allocated for a sparse file with 4 bytes of data", st.Blocks*512)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 8)
	if _, err := f.ReadAt(b, size-8); err != nil || string(b) != "\x00\x00\x00\x00data" {
		t.Fatalf("tail %q, %v", b, err)
	}
}
