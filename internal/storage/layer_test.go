package storage

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	tsstorage "github.com/vbatts/tar-split/tar/storage"
	cstorage "go.podman.io/storage"
	drivers "go.podman.io/storage/drivers"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/reexec"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	if reexec.Init() { // storage re-executes the test binary to extract layers
		return
	}
	os.Exit(m.Run())
}

// testStore opens a private overlay store (root only: overlay and
// chrooted extraction need it).
func testStore(t *testing.T) cstorage.Store {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: overlay storage")
	}
	dir := t.TempDir()
	s, err := cstorage.GetStore(cstorage.StoreOptions{
		GraphRoot: filepath.Join(dir, "root"), RunRoot: filepath.Join(dir, "run"), GraphDriverName: "overlay",
	})
	if err != nil {
		t.Skipf("overlay store unavailable: %v", err)
	}
	t.Cleanup(func() { s.Shutdown(true) })
	return s
}

type ent struct {
	name, link, body string
	typ              byte
	mode             int64
	uid              int
	pax              map[string]string
	major, minor     int64
}

func mkTar(t *testing.T, es []ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mt := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	for i, e := range es {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.uid,
			ModTime: mt.Add(time.Duration(i) * time.Hour), PAXRecords: e.pax, Devmajor: e.major, Devminor: e.minor, Format: tar.FormatPAX}
		if h.Mode == 0 {
			h.Mode = 0o644
			if e.typ == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	buf.Write(make([]byte, 3000)) // extra padding, kept by tar-split
	return buf.Bytes()
}

// applyOurs stores layer through LayerDiffer as a layer with the given ID.
func applyOurs(t *testing.T, s cstorage.Store, id, parent string, layer []byte) (*cstorage.Layer, error) {
	t.Helper()
	out, err := s.PrepareStagedLayer(&drivers.ApplyDiffWithDifferOpts{}, &LayerDiffer{R: bytes.NewReader(layer)})
	if err != nil {
		if out != nil && out.Target != "" {
			s.CleanupStagedLayer(out)
		}
		return nil, err
	}
	return s.ApplyStagedLayer(cstorage.ApplyStagedLayerOptions{ID: id, ParentLayer: parent, DiffOutput: out, DiffOptions: &drivers.ApplyDiffWithDifferOpts{}})
}

// tree lists a layer directory: type, mode, owner, size, mtime (except the
// root's), link target, device number and xattrs of every path.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		var st unix.Stat_t
		unix.Lstat(p, &st)
		mt := st.Mtim.Nano()
		if rel == "." || time.Unix(0, mt).Year() >= 2022 { // not from the archive (2021): creation time
			mt = 0
		}
		link, _ := os.Readlink(p)
		l := fmt.Sprintf("%s %o %d:%d %d %d %q %d", rel, st.Mode, st.Uid, st.Gid, st.Size, mt, link, st.Rdev)
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			buf := make([]byte, 4096)
			n, _ := unix.Llistxattr(p, buf)
			names := strings.Split(strings.Trim(string(buf[:n]), "\x00"), "\x00")
			sort.Strings(names)
			for _, x := range names {
				if x == "" {
					continue
				}
				v := make([]byte, 256)
				vn, _ := unix.Lgetxattr(p, x, v)
				l += fmt.Sprintf(" %s=%q", x, v[:max(vn, 0)])
			}
		}
		lines = append(lines, l)
		return nil
	})
	return strings.Join(lines, "\n")
}

func layerDir(t *testing.T, s cstorage.Store, id string) string {
	t.Helper()
	return filepath.Join(s.GraphRoot(), "overlay", id, "diff")
}

// The in-process extractor produces what containers/storage's own
// extraction produces, byte for byte on re-export.
func TestLayerDifferMatchesStorage(t *testing.T) {
	s := testStore(t)
	base := mkTar(t, []ent{
		{name: "etc/", typ: tar.TypeDir},
		{name: "etc/old", body: "old", typ: tar.TypeReg},
		{name: "etc/gone/", typ: tar.TypeDir},
		{name: "etc/gone/f", body: "f", typ: tar.TypeReg},
		{name: "keep/", typ: tar.TypeDir},
		{name: "keep/a", body: "a", typ: tar.TypeReg},
	})
	long := strings.Repeat("d/", 60) + "file"
	top := mkTar(t, []ent{
		{name: "./", typ: tar.TypeDir, mode: 0o751},
		{name: "bin/", typ: tar.TypeDir, mode: 0o700, uid: 7},
		{name: "bin/su", body: "#!", typ: tar.TypeReg, mode: 0o4755},
		{name: "bin/sticky/", typ: tar.TypeDir, mode: 0o1777},
		{name: "bin/x", body: "xattr", typ: tar.TypeReg, pax: map[string]string{"SCHILY.xattr.user.test": "v1"}},
		{name: "bin/ln", link: "/bin/su", typ: tar.TypeSymlink},
		{name: "bin/rel", link: "../etc/old", typ: tar.TypeSymlink},
		{name: "bin/hard", link: "bin/su", typ: tar.TypeLink},
		{name: "bin/fifo", typ: tar.TypeFifo, mode: 0o640},
		{name: "dev/null", typ: tar.TypeChar, mode: 0o666, major: 1, minor: 3},
		{name: long, body: strings.Repeat("L", 5000), typ: tar.TypeReg},
		{name: "nodir/deep/f", body: "implicit parents", typ: tar.TypeReg},
		{name: "etc/.wh.old", typ: tar.TypeReg},
		{name: "etc/gone/.wh..wh..opq", typ: tar.TypeReg},
		{name: "etc/new", body: "n", typ: tar.TypeReg},
		{name: "empty", typ: tar.TypeReg, mode: 0o600, uid: 1000},
		{name: "sg/", typ: tar.TypeDir, mode: 0o2775, uid: 5},
		{name: "sg/root-owned", body: "gid 0, not the set-gid parent's 5", typ: tar.TypeReg},
		{name: "sg/sub/implicit", body: "x", typ: tar.TypeReg},
		{name: "wide", body: "umask must not narrow it", typ: tar.TypeReg, mode: 0o666},
		{name: "exec", body: "x", typ: tar.TypeReg, mode: 0o777},
		{name: "sticky", body: "x", typ: tar.TypeReg, mode: 0o1644},
	})
	// Climbing names land at the root in both (storage extracts chrooted);
	// neither can re-export them (tar-split names the file by its raw name).
	climb := mkTar(t, []ent{
		{name: "../../climb", body: "clamped at the root", typ: tar.TypeReg},
		{name: "hl2", link: "../../climb", typ: tar.TypeLink},
	})
	for _, tc := range []struct {
		name     string
		layers   [][]byte
		noExport bool
	}{{"base", [][]byte{base}, false}, {"top on base", [][]byte{base, top}, false}, {"climbing", [][]byte{climb}, true}} {
		t.Run(tc.name, func(t *testing.T) {
			var refParent, ourParent string
			for i, l := range tc.layers {
				ref, _, err := s.PutLayer(fmt.Sprintf("ref-%s-%d", strings.ReplaceAll(tc.name, " ", ""), i), refParent, nil, "", false, nil, bytes.NewReader(l))
				if err != nil {
					t.Fatalf("storage's extraction: %v", err)
				}
				ours, err := applyOurs(t, s, fmt.Sprintf("our-%s-%d", strings.ReplaceAll(tc.name, " ", ""), i), ourParent, l)
				if err != nil {
					t.Fatalf("LayerDiffer: %v", err)
				}
				refParent, ourParent = ref.ID, ours.ID
				if want := digest.FromBytes(l); ours.UncompressedDigest != want || ref.UncompressedDigest != want {
					t.Fatalf("digest: ours %s, storage %s, want %s", ours.UncompressedDigest, ref.UncompressedDigest, want)
				}
				if ours.UncompressedSize != int64(len(l)) || fmt.Sprint(ours.UIDs, ours.GIDs) != fmt.Sprint(ref.UIDs, ref.GIDs) {
					t.Fatalf("size %d (want %d), ids %v %v (storage %v %v)", ours.UncompressedSize, len(l), ours.UIDs, ours.GIDs, ref.UIDs, ref.GIDs)
				}
				if a, b := tree(t, layerDir(t, s, ref.ID)), tree(t, layerDir(t, s, ours.ID)); a != b {
					t.Fatalf("trees differ:\nstorage:\n%s\nours:\n%s", a, b)
				}
				if tc.noExport {
					continue
				}
				noComp := archive.Uncompressed
				rc, err := s.Diff("", ours.ID, &cstorage.DiffOptions{Compression: &noComp})
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || !bytes.Equal(got, l) {
					t.Fatalf("re-exported layer differs (%d bytes, want %d): %v", len(got), len(l), err)
				}
			}
		})
	}
}

// Hostile layers never write outside the layer directory (security.md
// A1/A2/A8): climbing names and hard link targets are clamped at the layer
// root and symlinks (absolute or climbing) followed inside it, as in
// storage's chrooted extraction; a link to nothing inside is an error.
func TestLayerDifferHostile(t *testing.T) {
	s := testStore(t)
	probe := t.TempDir()
	victim := filepath.Join(probe, "victim")
	os.WriteFile(victim, []byte("untouched"), 0o644)
	up := strings.Repeat("../", 12)
	rel := strings.TrimPrefix(probe, "/")
	cases := []struct {
		name    string
		es      []ent
		refused bool
		inside  string // a path that must exist inside the layer afterwards
	}{
		{"dotdot path", []ent{{name: up + rel + "/dotdot", body: "x", typ: tar.TypeReg}}, false, rel + "/dotdot"},
		{"climbing after clean", []ent{{name: "a/../../" + rel + "/x", body: "x", typ: tar.TypeReg}}, false, rel + "/x"},
		{"absolute path", []ent{{name: probe + "/absolute", body: "x", typ: tar.TypeReg}}, false, rel + "/absolute"},
		{"write through absolute symlink", []ent{
			{name: "evil", link: probe, typ: tar.TypeSymlink},
			{name: "evil/pwned", body: "x", typ: tar.TypeReg},
		}, false, rel + "/pwned"},
		{"write through climbing symlink", []ent{
			{name: "d/", typ: tar.TypeDir},
			{name: "d/evil", link: up + rel, typ: tar.TypeSymlink},
			{name: "d/evil/pwned2", body: "x", typ: tar.TypeReg},
		}, false, rel + "/pwned2"},
		{"hardlink out", []ent{{name: "h", link: up + rel + "/victim", typ: tar.TypeLink}}, true, ""},
		{"hardlink out, absolute", []ent{{name: "h", link: victim, typ: tar.TypeLink}}, true, ""},
		{"hardlink out, clamped to a file inside", []ent{
			{name: rel + "/victim", body: "inside", typ: tar.TypeReg},
			{name: "h", link: up + rel + "/victim", typ: tar.TypeLink},
		}, false, "h"},
		{"hardlink through symlink", []ent{
			{name: "evil", link: probe, typ: tar.TypeSymlink},
			{name: "h", link: "evil/victim", typ: tar.TypeLink},
		}, true, ""},
		{"duplicate name (chmod through symlink)", []ent{
			{name: "lnk", link: victim, typ: tar.TypeSymlink},
			{name: "lnk", typ: tar.TypeDir, mode: 0o777},
		}, true, ""},
		{"whiteout through symlink", []ent{
			{name: "lnk", link: probe, typ: tar.TypeSymlink},
			{name: "lnk/.wh.victim", typ: tar.TypeReg},
		}, false, rel + "/victim"},
		{"opaque through symlink", []ent{
			{name: "lnk", link: probe, typ: tar.TypeSymlink},
			{name: "lnk/.wh..wh..opq", typ: tar.TypeReg},
		}, false, ""},
		{"symlink loop", []ent{{name: "loop", link: "loop", typ: tar.TypeSymlink}, {name: "loop/x", body: "x", typ: tar.TypeReg}}, true, ""},
		{"non-directory root", []ent{{name: ".", body: "x", typ: tar.TypeReg}}, true, ""},
		{"invalid whiteout", []ent{{name: "a/.wh..", typ: tar.TypeReg}}, true, ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			layer, err := applyOurs(t, s, fmt.Sprintf("hostile%d", i), "", mkTar(t, tc.es))
			if tc.refused != (err != nil) {
				t.Fatalf("refused=%v, got %v", tc.refused, err)
			}
			if err == nil && tc.inside != "" {
				if _, err := os.Lstat(filepath.Join(layerDir(t, s, layer.ID), tc.inside)); err != nil {
					t.Errorf("%s not inside the layer: %v", tc.inside, err)
				}
			}
			entries, _ := os.ReadDir(probe)
			if len(entries) != 1 || entries[0].Name() != "victim" {
				t.Fatalf("probe dir changed: %v", entries)
			}
			st, _ := os.Stat(victim)
			if data, _ := os.ReadFile(victim); string(data) != "untouched" || st.Mode().Perm() != 0o644 || st.Sys().(*syscall.Stat_t).Nlink != 1 {
				t.Fatalf("victim changed: %q %v", data, st.Mode())
			}
			if _, err := getxattr(probe, "trusted.overlay.opaque"); err == nil {
				t.Fatal("probe dir marked opaque")
			}
		})
	}
	// Refused layers leave no layer and no staging directory behind.
	// (storage itself leaves the emptied staging directory of an applied one.)
	if left, _ := filepath.Glob(filepath.Join(s.GraphRoot(), "overlay", "staging", "*", "*")); len(left) != 0 {
		t.Fatalf("staging content left: %v", left)
	}
}

func getxattr(path, name string) ([]byte, error) {
	buf := make([]byte, 64)
	n, err := unix.Getxattr(path, name, buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// A truncated or corrupt stream is an error, not a partial layer.
func TestLayerDifferTruncated(t *testing.T) {
	s := testStore(t)
	full := mkTar(t, []ent{{name: "f", body: strings.Repeat("x", 10000), typ: tar.TypeReg}})
	for _, l := range [][]byte{full[:700], append([]byte("not a tar at all"), make([]byte, 1000)...)} {
		if _, err := applyOurs(t, s, "", "", l); err == nil {
			t.Fatalf("accepted a broken layer of %d bytes", len(l))
		} else if errors.Is(err, ErrLayerUnsupported) {
			t.Fatalf("broken layer reported as unsupported: %v", err)
		}
	}
}

// tarSplitPacker writes exactly what tar-split's own JSON packer writes.
func TestTarSplitPackerMatches(t *testing.T) {
	entries := []tsstorage.Entry{
		{Type: tsstorage.SegmentType, Payload: []byte("raw header bytes\x00\x01")},
		{Type: tsstorage.FileType, Name: "etc/passwd", Size: 12, Payload: []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		{Type: tsstorage.FileType, Name: "empty"},
		{Type: tsstorage.FileType, Name: "a <b> & \"c\"\\\n\t\u2028ü"},
		{Type: tsstorage.FileType, Name: "bad\xffutf8", Size: 1, Payload: []byte{9}},
		{Type: tsstorage.SegmentType, Payload: []byte{}},
	}
	var want, got bytes.Buffer
	ref := tsstorage.NewJSONPacker(&want)
	bw := bufio.NewWriter(&got)
	ours := newTarSplitPacker(bw)
	for _, e := range entries {
		p1, err1 := ref.AddEntry(e)
		p2, err2 := ours.AddEntry(e)
		if p1 != p2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("%+v: reference %d %v, ours %d %v", e, p1, err1, p2, err2)
		}
	}
	bw.Flush()
	if want.String() != got.String() {
		t.Fatalf("packers differ:\nreference:\n%s\nours:\n%s", want.String(), got.String())
	}
	// Duplicate names are refused, as tar-split refuses them.
	if _, err := ours.AddEntry(tsstorage.Entry{Type: tsstorage.FileType, Name: "./etc/passwd"}); !errors.Is(err, tsstorage.ErrDuplicatePath) {
		t.Fatalf("duplicate accepted: %v", err)
	}
}
