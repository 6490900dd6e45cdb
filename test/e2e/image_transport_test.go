package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every transport round trip: push the image out through a transport, pull
// it back into empty storage, and the ID is the same.
func TestImageTransportsRoundTrip(t *testing.T) {
	c := newImageCLI(t)
	id := c.pullArchive(t, "bb:1")
	dir := t.TempDir()
	p := c.PolicyPath
	cases := []struct{ push, pull string }{
		{"oci:" + dir + "/layout:bb", "oci:" + dir + "/layout:bb"},
		{"oci-archive:" + dir + "/a.tar", "oci-archive:" + dir + "/a.tar"},
		{"dir:" + dir + "/dir", "dir:" + dir + "/dir"},
		{"docker-archive:" + dir + "/d.tar:localhost/bb:1", "docker-archive:" + dir + "/d.tar"},
	}
	for _, tc := range cases {
		c.Must(t, "push", "--signature-policy", p, "bb:1", tc.push)
		c2 := newImageCLI(t)
		got := c2.Must(t, "pull", "-q", "--signature-policy", p, tc.pull)
		if got != id {
			t.Errorf("%s: pulled %q, want %q", tc.pull, got, id)
		}
	}
	// containers-storage: pulls from the store itself.
	if got := c.Must(t, "pull", "-q", "containers-storage:localhost/bb:1"); got != id {
		t.Errorf("containers-storage: %q", got)
	}
	// docker-archive keeps the name, oci: layouts take the ref name.
	c3 := newImageCLI(t)
	c3.Must(t, "pull", "-q", "--signature-policy", p, "docker-archive:"+dir+"/d.tar")
	// (a lower-case path: Podman names an oci: image after its directory)
	lower, err := os.MkdirTemp("", "selkie-oci-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(lower) })
	dir = lower
	c.Must(t, "push", "--signature-policy", p, "bb:1", "oci:"+dir+"/layout:bb")
	c3.Must(t, "pull", "-q", "--signature-policy", p, "oci:"+dir+"/layout:bb")
	out := c3.Must(t, "images", "--format", "{{.Repository}}:{{.Tag}}", "--sort", "repository")
	if want := "localhost/bb:1\nlocalhost" + dir + "/layout:latest"; out != want {
		t.Fatalf("names after transport pulls: %q", out)
	}
}

// save writes several images in one docker archive (file or stdout), load
// reads them back from -i and from stdin, under their names.
func TestImageSaveLoad(t *testing.T) {
	c := newImageCLI(t)
	id := c.pullArchive(t, "bb:1")
	c.Must(t, "tag", "bb:1", "bb:2")
	other := newImageCLI(t)
	_ = other
	dir := t.TempDir()
	arch := filepath.Join(dir, "multi.tar")
	c.Must(t, "save", "-m", "-o", arch, "bb:1", "bb:2")
	c2 := newImageCLI(t)
	out := c2.Must(t, "load", "-q", "-i", arch)
	if !strings.Contains(out, "Loaded image: localhost/bb:1") || !strings.Contains(out, "localhost/bb:2") {
		t.Fatalf("load: %q", out)
	}
	if got := c2.Must(t, "images", "-q", "--no-trunc"); got != "sha256:"+id {
		t.Fatalf("loaded ID %q", got)
	}
	// stdout and stdin.
	r := c.Run("save", "bb:1")
	if r.ExitCode != 0 || len(r.Stdout) < 1000 {
		t.Fatalf("save to stdout: exit %d, %d bytes", r.ExitCode, len(r.Stdout))
	}
	c3 := newImageCLI(t)
	res := c3.RunStdin(strings.NewReader(r.Stdout), "load")
	if res.ExitCode != 0 || !strings.Contains(res.Stdout, "Loaded image: localhost/bb:1") {
		t.Fatalf("load from stdin: %s", res)
	}
	// Every save format.
	for _, f := range []string{"oci-archive", "oci-dir", "docker-dir", "docker-archive"} {
		out := filepath.Join(dir, "f-"+f)
		c.Must(t, "save", "--format", f, "-o", out, "bb:1")
		c4 := newImageCLI(t)
		if got := c4.Must(t, "load", "-q", "-i", out); !strings.HasPrefix(got, "Loaded image: ") {
			t.Errorf("load %s: %q", f, got)
		}
		if got := c4.Must(t, "images", "-q", "--no-trunc"); got != "sha256:"+id {
			t.Errorf("%s: loaded ID %q, want %s", f, got, id)
		}
	}
	mustFail(t, c.CLI, 125, "requires an output directory", "save", "--format", "oci-dir", "bb:1")
	mustFail(t, c.CLI, 125, "format value must be one of", "save", "--format", "bogus", "-o", arch, "bb:1")
}

// load refuses files that are not images: text, empty, truncated archives.
func TestImageLoadBadInput(t *testing.T) {
	c := newImageCLI(t)
	dir := t.TempDir()
	text := filepath.Join(dir, "text")
	os.WriteFile(text, []byte("hello\n"), 0o644)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	one := filepath.Join(dir, "one")
	os.WriteFile(one, []byte("x"), 0o644)
	data, err := os.ReadFile(c.archive)
	if err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "trunc.tar")
	os.WriteFile(trunc, data[:len(data)/2], 0o644)
	for _, f := range []string{text, empty, one, trunc} {
		mustFail(t, c.CLI, 125, "payload does not match any of the supported image formats", "load", "-i", f)
	}
	mustFail(t, c.CLI, 125, "no such file", "load", "-i", filepath.Join(dir, "missing"))
	if out := c.Must(t, "images", "-q"); out != "" {
		t.Fatalf("images after bad loads: %q", out)
	}
	c.pullArchive(t, "")
}

// import makes a one-layer image with --change and --message.
func TestImageImport(t *testing.T) {
	c := newImageCLI(t)
	dir := t.TempDir()
	c.pullArchive(t, "bb:1")
	// Export a filesystem tarball from the image through a docker archive is
	// overkill: build one from the busybox rootfs layer directly.
	c.Must(t, "save", "--format", "docker-dir", "-o", dir+"/d", "bb:1")
	entries, _ := os.ReadDir(dir + "/d")
	var layer string
	var biggest int64
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Size() > biggest && e.Name() != "manifest.json" {
			biggest, layer = fi.Size(), dir+"/d/"+e.Name()
		}
	}
	out := c.Must(t, "import", "-q", "--change", `CMD ["/bin/sh"]`, "--change", "ENV FOO=bar", "--change", "LABEL a=b",
		"--change", "EXPOSE 8080", "--change", "WORKDIR /tmp", "--change", "USER nobody", "-m", "imported by test", layer, "imp:1")
	if !strings.HasPrefix(out, "sha256:") || len(out) != 71 {
		t.Fatalf("import output %q", out)
	}
	f := c.Must(t, "image", "inspect", "--format", "{{.Config.Cmd}} {{.Config.Env}} {{.Config.Labels}} {{.Config.WorkingDir}} {{.Config.User}} {{.Comment}}", "imp:1")
	if f != "[/bin/sh] [FOO=bar] map[a:b] /tmp nobody imported by test" {
		t.Fatalf("imported config: %q", f)
	}
	// from stdin
	data, _ := os.ReadFile(layer)
	r := c.RunStdin(strings.NewReader(string(data)), "import", "-q", "-", "imp:2")
	if r.ExitCode != 0 {
		t.Fatalf("import -: %s", r)
	}
	// from a URL
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(layer))))
	defer srv.Close()
	if out := c.Must(t, "import", "-q", srv.URL+"/"+filepath.Base(layer), "imp:3"); !strings.HasPrefix(out, "sha256:") {
		t.Fatalf("import URL: %q", out)
	}
	mustFail(t, c.CLI, 125, "404 Not Found", "import", srv.URL+"/missing.tar")
	mustFail(t, c.CLI, 125, "invalid instruction", "import", "--change", "BOGUS x", layer)
	mustFail(t, c.CLI, 125, "no such file", "import", dir+"/missing.tar")
}
