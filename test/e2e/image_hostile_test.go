package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type tarEntry struct {
	name, link, body string
	typ              byte
}

func layerTar(t *testing.T, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ == tar.TypeDir {
			h.Mode = 0o755
		}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeDockerArchive writes a docker-archive with the given raw layers.
func writeDockerArchive(t *testing.T, path, tag string, layers [][]byte) {
	t.Helper()
	var diffIDs, names []string
	files := map[string][]byte{}
	for i, l := range layers {
		sum := sha256.Sum256(l)
		diffIDs = append(diffIDs, "sha256:"+hex.EncodeToString(sum[:]))
		n := hex.EncodeToString(sum[:]) + ".tar"
		if _, dup := files[n]; dup {
			n = "dup" + string(rune('a'+i)) + n
		}
		names = append(names, n)
		files[n] = l
	}
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
		"config": map[string]any{"Cmd": []string{"sh"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	cs := sha256.Sum256(cfg)
	cfgName := hex.EncodeToString(cs[:]) + ".json"
	files[cfgName] = cfg
	man, _ := json.Marshal([]map[string]any{{"Config": cfgName, "RepoTags": []string{tag}, "Layers": names}})
	files["manifest.json"] = man
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, n := range append(append([]string{}, names...), cfgName, "manifest.json") {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg})
		tw.Write(files[n])
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

// Layers with ../ paths, absolute names, symlinks to host paths followed by
// writes and whiteouts through them, and hardlinks out of the layer must not
// touch anything outside the store (security.md A1/A2, corpus 21-27).
func TestImageHostileLayers(t *testing.T) {
	c := newImageCLI(t)
	probe, err := os.MkdirTemp("", "selkie-probe-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(probe) })
	victim := filepath.Join(probe, "victim")
	os.WriteFile(victim, []byte("untouched"), 0o644)
	up := strings.Repeat("../", 12)
	rel := strings.TrimPrefix(probe, "/")
	cases := map[string][][]tarEntry{
		"write through symlink": {{
			{name: "evil", link: probe, typ: tar.TypeSymlink},
			{name: "evil/pwned", body: "x", typ: tar.TypeReg},
		}},
		"dotdot path":   {{{name: up + rel + "/dotdot", body: "x", typ: tar.TypeReg}}},
		"absolute path": {{{name: probe + "/absolute", body: "x", typ: tar.TypeReg}}},
		"hardlink out": {{
			{name: "f", body: "x", typ: tar.TypeReg},
			{name: "h", link: up + rel + "/victim", typ: tar.TypeLink},
		}},
		"symlink loop": {{{name: "loop", link: "loop", typ: tar.TypeSymlink}, {name: "loop/x", body: "x", typ: tar.TypeReg}}},
		"whiteout through absolute symlink": {
			{{name: "lnk", link: probe, typ: tar.TypeSymlink}},
			{{name: "lnk/.wh.victim", typ: tar.TypeReg}, {name: "lnk/new", body: "x", typ: tar.TypeReg}},
		},
		"opaque whiteout at root": {
			{{name: "lnk", link: probe, typ: tar.TypeSymlink}},
			{{name: ".wh..wh..opq", typ: tar.TypeReg}, {name: "lnk/.wh..wh..opq", typ: tar.TypeReg}},
		},
	}
	dir := t.TempDir()
	i := 0
	for name, layers := range cases {
		i++
		var raw [][]byte
		for _, l := range layers {
			raw = append(raw, layerTar(t, l))
		}
		arch := filepath.Join(dir, fmt.Sprintf("evil%d.tar", i))
		writeDockerArchive(t, arch, fmt.Sprintf("localhost/evil:%d", i), raw)
		r1 := c.Run("load", "-q", "-i", arch)
		r2 := c.Run("pull", "-q", "--signature-policy", c.PolicyPath, "docker-archive:"+arch)
		t.Logf("%s: load exit %d, pull exit %d", name, r1.ExitCode, r2.ExitCode)
		if r1.ExitCode != 0 && r1.ExitCode != 125 || r1.ExitCode != r2.ExitCode {
			t.Fatalf("%s: load: %s\npull: %s", name, r1, r2)
		}
		entries, _ := os.ReadDir(probe)
		if len(entries) != 1 || entries[0].Name() != "victim" {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Fatalf("%s: probe dir changed: %v (load: %s)", name, names, r1)
		}
		if data, _ := os.ReadFile(victim); string(data) != "untouched" {
			t.Fatalf("%s: victim changed: %q", name, data)
		}
	}
	// The store stays consistent and usable.
	c.Must(t, "images")
	c.pullArchive(t, "ok:1")
}

// Archives that lie about their content are refused without writing outside
// the store (A4, corpus 31): member names with ../, a missing manifest.json.
func TestImageLoadArchiveTraversal(t *testing.T) {
	c := newImageCLI(t)
	dir := t.TempDir()
	arch := filepath.Join(dir, "trav.tar")
	f, _ := os.Create(arch)
	tw := tar.NewWriter(f)
	man := `[{"Config":"../../../../tmp/selkie-probe.json","RepoTags":["localhost/t:1"],"Layers":["../x/layer.tar"]}]`
	tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o644, Size: int64(len(man)), Typeflag: tar.TypeReg})
	tw.Write([]byte(man))
	tw.Close()
	f.Close()
	mustFail(t, c.CLI, 125, "payload does not match", "load", "-i", arch)
	if _, err := os.Stat("/tmp/selkie-probe.json"); err == nil {
		t.Fatal("a file was written outside the store")
	}
	noman := filepath.Join(dir, "noman.tar")
	f, _ = os.Create(noman)
	tw = tar.NewWriter(f)
	tw.WriteHeader(&tar.Header{Name: "hello", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
	tw.Write([]byte("hi"))
	tw.Close()
	f.Close()
	mustFail(t, c.CLI, 125, "payload does not match", "load", "-i", noman)
}

// Two processes pulling the same image into one store both succeed and the
// store holds one copy.
func TestImageConcurrentPull(t *testing.T) {
	c := newImageCLI(t)
	reg := withRegistry(t, c.CLI, false)
	id := c.pullArchive(t, "bb:1")
	ref := reg.Ref("selkie/bb:1")
	c.Must(t, "push", "--signature-policy", c.PolicyPath, "bb:1", ref)
	c2 := newImageCLI(t)
	c2.RegistriesConf = reg.RegistriesConf
	var wg sync.WaitGroup
	res := make([]string, 4)
	for i := range res {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := c2.Run("pull", "-q", "--signature-policy", c.PolicyPath, ref)
			res[i] = strings.TrimSpace(r.Stdout)
			if r.ExitCode != 0 {
				res[i] = r.String()
			}
		}(i)
	}
	wg.Wait()
	for _, r := range res {
		if r != id {
			t.Fatalf("concurrent pull: %s", r)
		}
	}
	if got := c2.Must(t, "images", "-q", "--no-trunc"); got != "sha256:"+id {
		t.Fatalf("images after concurrent pulls: %q", got)
	}
	layers, _ := filepath.Glob(filepath.Join(c2.Root, "overlay", "*", "diff"))
	if len(layers) != 2 {
		t.Fatalf("want 2 layers stored once, found %d: %v", len(layers), layers)
	}
}

// A gzip bomb layer (a small tar followed by 512 MiB of zeros, about 0.5 MiB
// compressed) finishes or fails in bounded time and leaves the store usable
// (security.md A5).
func TestImageLoadGzipBomb(t *testing.T) {
	c := newImageCLI(t)
	tarball := layerTar(t, []tarEntry{{name: "hello", body: "hi", typ: tar.TypeReg}})
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	zw.Write(tarball)
	h := sha256.New() // the diff ID covers the zeros too: a valid, hostile layer
	h.Write(tarball)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 512; i++ {
		zw.Write(zeros)
		h.Write(zeros)
	}
	zw.Close()
	arch := filepath.Join(t.TempDir(), "bomb.tar")
	writeDockerArchiveRaw(t, arch, "localhost/bomb:1", gz.Bytes(), "sha256:"+hex.EncodeToString(h.Sum(nil)))
	start := time.Now()
	r := c.Run("load", "-q", "-i", arch)
	t.Logf("load: exit %d in %s: %s", r.ExitCode, time.Since(start), strings.TrimSpace(r.Stderr))
	if r.ExitCode != 0 && r.ExitCode != 125 {
		t.Fatalf("load: %s", r)
	}
	if d := time.Since(start); d > 60*time.Second {
		t.Fatalf("gzip bomb took %s", d)
	}
	c.Must(t, "images")
	c.pullArchive(t, "ok:1")
}

// writeDockerArchiveRaw writes a one-layer docker-archive whose layer file
// holds blob (possibly compressed) with the given diff ID.
func writeDockerArchiveRaw(t *testing.T, path, tag string, blob []byte, diffID string) {
	t.Helper()
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{diffID}},
	})
	man, _ := json.Marshal([]map[string]any{{"Config": "config.json", "RepoTags": []string{tag}, "Layers": []string{"layer.tar"}}})
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, e := range []struct {
		name string
		data []byte
	}{{"layer.tar", blob}, {"config.json", cfg}, {"manifest.json", man}} {
		tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg})
		tw.Write(e.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}
