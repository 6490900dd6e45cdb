package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// addImage serves tag: an OCI image of the given raw layers (gzipped); it
// returns the layer blobs' digests.
func (h *hostileRegistry) addImage(t *testing.T, tag string, raw ...[]byte) []string {
	t.Helper()
	var digests []string
	var diffIDs, descs []string
	for _, l := range raw {
		z := gzipped(t, l)
		h.blobs[sha(z)] = z
		digests = append(digests, sha(z))
		diffIDs = append(diffIDs, fmt.Sprintf("%q", sha(l)))
		descs = append(descs, fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":%q,"size":%d}`, sha(z), len(z)))
	}
	cfg := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}`, strings.Join(diffIDs, ",")))
	h.blobs[sha(cfg)] = cfg
	h.manifests[tag] = fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[%s]}`,
		sha(cfg), len(cfg), strings.Join(descs, ","))
	return digests
}

// blobGets counts the GET requests for each blob digest.
func (h *hostileRegistry) blobGets() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := map[string]int{}
	for _, p := range h.paths {
		if i := strings.Index(p, "/blobs/"); i >= 0 {
			n[p[i+len("/blobs/"):]]++
		}
	}
	h.paths = nil
	return n
}

func serveHostile(t *testing.T, c *imageCLI, h *hostileRegistry) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	conf := filepath.Join(t.TempDir(), "registries.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("[[registry]]\nlocation = %q\ninsecure = true\n", host)), 0o644)
	c.RegistriesConf = conf
	return host
}

// Registry pulls apply layers in-process (internal/storage.LayerDiffer):
// each layer blob is fetched once, and the image is the one containers/
// storage's own extraction stores (SELKIE_PULL_FAST_LAYERS=0): same ID,
// same size, layers that re-export to the registry's exact DiffIDs.
func TestImagePullFastLayers(t *testing.T) {
	base := layerTar(t, []tarEntry{
		{name: "etc/", typ: tar.TypeDir},
		{name: "etc/os-release", body: "ID=selkie\n", typ: tar.TypeReg},
		{name: "etc/gone", body: "x", typ: tar.TypeReg},
		{name: "bin/", typ: tar.TypeDir},
		{name: "bin/busybox", body: strings.Repeat("B", 200000), typ: tar.TypeReg},
		{name: "bin/sh", link: "/bin/busybox", typ: tar.TypeSymlink},
		{name: "bin/ls", link: "bin/busybox", typ: tar.TypeLink},
	})
	top := layerTar(t, []tarEntry{
		{name: "etc/.wh.gone", typ: tar.TypeReg},
		{name: "etc/new", body: "new", typ: tar.TypeReg},
		{name: "usr/share/deep/file", body: "implicit parents", typ: tar.TypeReg},
	})
	h := &hostileRegistry{manifests: map[string]string{}, blobs: map[string][]byte{}}
	layerDigests := h.addImage(t, "two", base, top)
	var ids, sizes, layerSets []string
	for _, fast := range []bool{true, false} {
		c := newImageCLI(t)
		host := serveHostile(t, c, h)
		if !fast {
			c.Env = append(c.Env, "SELKIE_PULL_FAST_LAYERS=0")
		}
		ref := host + "/r:two"
		h.blobGets()
		r := c.Run("pull", "--retry", "0", "--signature-policy", c.PolicyPath, ref)
		if r.ExitCode != 0 || !strings.Contains(r.Stderr, "Copying blob") || !strings.Contains(r.Stderr, "Writing manifest") {
			t.Fatalf("pull (fast=%v): %s", fast, r)
		}
		gets := h.blobGets()
		for _, d := range layerDigests {
			if fast && gets[d] != 1 {
				t.Errorf("layer %s fetched %d times: the in-process path fell back", d, gets[d])
			}
		}
		ids = append(ids, strings.TrimSpace(r.Stdout))
		sizes = append(sizes, c.Must(t, "image", "inspect", "--format", "{{.Size}} {{.RootFS.Layers}}", ref))
		dir := filepath.Join(t.TempDir(), "out")
		c.Must(t, "push", "--signature-policy", c.PolicyPath, ref, "dir:"+dir)
		ents, _ := os.ReadDir(dir)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		layerSets = append(layerSets, strings.Join(names, " "))
		// The layers mount as one tree: whiteout applied, links kept.
		mnt := c.Must(t, "image", "mount", ref)
		var got []string
		for _, f := range []string{"etc/os-release", "etc/new", "usr/share/deep/file"} {
			b, err := os.ReadFile(filepath.Join(mnt, f))
			got = append(got, fmt.Sprintf("%s=%q %v", f, b, err))
		}
		_, goneErr := os.Lstat(filepath.Join(mnt, "etc/gone"))
		link, _ := os.Readlink(filepath.Join(mnt, "bin/sh"))
		st1, _ := os.Stat(filepath.Join(mnt, "bin/ls"))
		st2, _ := os.Stat(filepath.Join(mnt, "bin/busybox"))
		got = append(got, fmt.Sprintf("gone:%v link:%s same:%v", os.IsNotExist(goneErr), link, st1 != nil && os.SameFile(st1, st2)))
		c.Must(t, "image", "unmount", ref)
		want := `etc/os-release="ID=selkie\n" <nil>|etc/new="new" <nil>|usr/share/deep/file="implicit parents" <nil>|gone:true link:/bin/busybox same:true`
		if g := strings.Join(got, "|"); g != want {
			t.Errorf("mounted image (fast=%v):\n%s\nwant:\n%s", fast, g, want)
		}
	}
	if ids[0] != ids[1] || sizes[0] != sizes[1] || layerSets[0] != layerSets[1] {
		t.Fatalf("in-process and storage extraction differ:\nIDs %q\ninspect %q\npushed %q", ids, sizes, layerSets)
	}
	for _, d := range []string{sha(base), sha(top)} {
		if !strings.Contains(layerSets[0], strings.TrimPrefix(d, "sha256:")) {
			t.Errorf("re-exported layers %s lack DiffID %s", layerSets[0], d)
		}
	}
}

// Hostile layers served by a registry (the in-process path) never write
// outside the store; refused ones leave no image, and the store stays
// usable (security.md A1/A2/A8).
func TestImagePullHostileLayersRegistry(t *testing.T) {
	c := newImageCLI(t)
	probe := t.TempDir()
	victim := filepath.Join(probe, "victim")
	os.WriteFile(victim, []byte("untouched"), 0o644)
	up := strings.Repeat("../", 12)
	rel := strings.TrimPrefix(probe, "/")
	h := &hostileRegistry{manifests: map[string]string{}, blobs: map[string][]byte{}}
	cases := map[string][][]tarEntry{
		"symlink-write": {{{name: "evil", link: probe, typ: tar.TypeSymlink}, {name: "evil/pwned", body: "x", typ: tar.TypeReg}}},
		"dotdot":        {{{name: up + rel + "/dotdot", body: "x", typ: tar.TypeReg}}},
		"hardlink-out":  {{{name: "f", body: "x", typ: tar.TypeReg}, {name: "h", link: up + rel + "/victim", typ: tar.TypeLink}}},
		"whiteout-through-symlink": {
			{{name: "lnk", link: probe, typ: tar.TypeSymlink}},
			{{name: "lnk/.wh.victim", typ: tar.TypeReg}, {name: "lnk/new", body: "x", typ: tar.TypeReg}},
		},
	}
	for tag, layers := range cases {
		var raw [][]byte
		for _, l := range layers {
			raw = append(raw, layerTar(t, l))
		}
		h.addImage(t, tag, raw...)
	}
	host := serveHostile(t, c, h)
	for tag := range cases {
		r := c.Run("pull", "-q", "--retry", "0", "--signature-policy", c.PolicyPath, host+"/r:"+tag)
		t.Logf("%s: exit %d %s", tag, r.ExitCode, strings.TrimSpace(r.Stderr))
		if r.ExitCode != 0 && r.ExitCode != 125 {
			t.Fatalf("%s: %s", tag, r)
		}
		entries, _ := os.ReadDir(probe)
		if len(entries) != 1 || entries[0].Name() != "victim" {
			t.Fatalf("%s: probe dir changed: %v", tag, entries)
		}
		if data, _ := os.ReadFile(victim); string(data) != "untouched" {
			t.Fatalf("%s: victim changed: %q", tag, data)
		}
	}
	c.Must(t, "images")
	c.pullArchive(t, "ok:1")
}
