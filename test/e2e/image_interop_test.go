package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// podman runs Debian's podman against the CLI's store.
func podman(t *testing.T, c *testenv.CLI, args ...string) (string, error) {
	t.Helper()
	a := append([]string{"--root", c.Root, "--runroot", shortRunRoot(t, c.RunRoot), "--storage-driver", "overlay", "--runtime", "runc"}, args...)
	conf := filepath.Join(t.TempDir(), "containers.conf")
	// Podman on this host needs its default ulimits off (see host.md).
	if err := os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := boundedCmd(3*time.Minute, "podman", a...)
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), &podmanError{ee, string(ee.Stderr)}
	}
	return strings.TrimSpace(string(out)), err
}

// shortRunRoot returns runroot, or, when it is longer than the 50 bytes
// Podman accepts, a short symlink to it (the same one on every call: Podman
// records its runroot in its database and refuses a different one).
func shortRunRoot(t *testing.T, runroot string) string {
	if len(runroot) <= 50 {
		return runroot
	}
	sum := sha256.Sum256([]byte(runroot))
	link := filepath.Join(os.TempDir(), "pr"+hex.EncodeToString(sum[:5]))
	if err := os.Symlink(runroot, link); err != nil && !errors.Is(err, os.ErrExist) {
		t.Fatal(err)
	}
	if len(link) > 50 {
		t.Skipf("no run root short enough for Podman: %s", link)
	}
	t.Cleanup(func() { os.Remove(link) })
	return link
}

type podmanError struct {
	*exec.ExitError
	stderr string
}

func (e *podmanError) Error() string { return e.ExitError.Error() + ": " + e.stderr }

// Images are shared with Podman: what Selkie pulls Podman lists with the same
// ID and size, and the reverse; both see the same names after tagging.
func TestImagePodmanInterop(t *testing.T) {
	testenv.RequiresBinary(t, "podman")
	c := newImageCLI(t)
	id := c.pullArchive(t, "bb:1")
	out, err := podman(t, c.CLI, "images", "--format", "{{.ID}} {{.Repository}}:{{.Tag}} {{.Size}}", "--filter", "reference=localhost/bb")
	if err != nil {
		t.Fatal(err)
	}
	sel := c.Must(t, "images", "--format", "{{.ID}} {{.Repository}}:{{.Tag}} {{.Size}}", "--filter", "reference=localhost/bb")
	if out != sel || !strings.HasPrefix(out, id[:12]+" localhost/bb:1 ") {
		t.Fatalf("podman sees %q, selkie %q", out, sel)
	}
	// Inspect documents agree on the fields both fill.
	for _, f := range []string{"{{.ID}}", "{{.Digest}}", "{{.RepoTags}}", "{{.RepoDigests}}", "{{.Size}}", "{{.Os}}", "{{.Architecture}}", "{{.ManifestType}}", "{{.RootFS.Layers}}", "{{.Config.Cmd}}", "{{.Labels}}", "{{.Created}}"} {
		p, err := podman(t, c.CLI, "image", "inspect", "--format", f, "bb:1")
		if err != nil {
			t.Fatal(err)
		}
		if s := c.Must(t, "image", "inspect", "--format", f, "bb:1"); s != p {
			t.Errorf("inspect %s: selkie %q, podman %q", f, s, p)
		}
	}
	// Whole outputs are byte-identical to Podman's on the same store.
	c.Must(t, "tag", "bb:1", "other/img:v1")
	for _, args := range [][]string{
		{"images"}, {"images", "--format", "json"}, {"images", "-a", "--digests", "--no-trunc"},
		{"image", "inspect", "bb:1", "localhost/latest"}, {"inspect", "bb:1"},
		{"history", "bb:1"}, {"history", "--format", "json", "bb:1"},
	} {
		p, err := podman(t, c.CLI, args...)
		if err != nil {
			t.Fatal(err)
		}
		if s := c.Must(t, args...); s != p {
			t.Errorf("selkie %v differs from podman: %s", args, firstDiff(s, p))
		}
	}
	// The reverse: Podman imports, Selkie lists it with the same ID.
	layer := filepath.Join(t.TempDir(), "fs.tar")
	c.Must(t, "save", "--format", "docker-dir", "-o", filepath.Dir(layer)+"/d", "bb:1")
	entries, _ := os.ReadDir(filepath.Dir(layer) + "/d")
	for _, e := range entries {
		if fi, _ := e.Info(); fi.Size() > 100000 {
			layer = filepath.Dir(layer) + "/d/" + e.Name()
		}
	}
	pid, err := podman(t, c.CLI, "import", "-q", layer, "frompodman:1")
	if err != nil {
		t.Fatal(err)
	}
	pid = strings.TrimPrefix(pid, "sha256:")
	if got := c.Must(t, "images", "-q", "--no-trunc", "frompodman:1"); got != "sha256:"+pid {
		t.Fatalf("selkie lists podman's image as %q, want sha256:%s", got, pid)
	}
	// Archives cross over: Podman loads what Selkie saves and the reverse.
	adir := t.TempDir()
	for _, f := range []string{"docker-archive", "oci-archive"} {
		sel, pod := filepath.Join(adir, "selkie-"+f), filepath.Join(adir, "podman-"+f)
		c.Must(t, "save", "--format", f, "-o", sel, "bb:1")
		if _, err := podman(t, c.CLI, "save", "--format", f, "-o", pod, "frompodman:1"); err != nil {
			t.Fatal(err)
		}
		o := newImageCLI(t)
		if out := o.Must(t, "load", "-q", "-i", pod); !strings.HasPrefix(out, "Loaded image: ") {
			t.Fatalf("selkie load of podman's %s: %q", f, out)
		}
		if got := o.Must(t, "images", "-q", "--no-trunc"); got != "sha256:"+pid {
			t.Fatalf("selkie loaded podman's %s as %q", f, got)
		}
		if _, err := podman(t, o.CLI, "load", "-q", "-i", sel); err != nil {
			t.Fatalf("podman load of selkie's %s: %v", f, err)
		}
		if out, _ := podman(t, o.CLI, "images", "-q", "--no-trunc"); !strings.Contains(out, "sha256:"+id) {
			t.Fatalf("podman loaded selkie's %s: %q", f, out)
		}
	}
	c.Must(t, "rmi", "frompodman:1")
	if out, _ := podman(t, c.CLI, "images", "-q", "--filter", "reference=frompodman"); out != "" {
		t.Fatalf("podman still lists the removed image: %q", out)
	}
}

// rmi of an image a container uses is refused (exit 2) without --force; with
// --force the container goes first. The container here is Podman's, which
// Selkie only knows through storage.
func TestImageRemoveInUse(t *testing.T) {
	testenv.RequiresBinary(t, "podman")
	c := newImageCLI(t)
	id := c.pullArchive(t, "bb:1")
	c.Must(t, "untag", id, "localhost/latest:latest")
	ctr, err := podman(t, c.CLI, "create", "--name", "user1", "localhost/bb:1", "true")
	if err != nil {
		t.Skipf("podman create does not work here: %v", err)
	}
	mustFail(t, c.CLI, 2, "image is in use by a container", "rmi", "bb:1")
	mustFail(t, c.CLI, 125, "unsupported image filter", "image", "prune", "-a", "-f", "--filter", "bogus=1")
	if out := c.Must(t, "image", "prune", "-a", "-f"); out != "" {
		t.Fatalf("prune -a removed an image in use: %q", out)
	}
	out := c.Must(t, "rmi", "-f", "bb:1")
	if !strings.Contains(out, "Deleted:") {
		t.Fatalf("rmi -f: %q", out)
	}
	// (Podman's own database still has its record; storage must not.)
	data, err := os.ReadFile(filepath.Join(c.Root, "overlay-containers", "containers.json"))
	if err != nil || strings.Contains(string(data), ctr) {
		t.Fatalf("container %s still in storage (%v)", ctr, err)
	}
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d: selkie %q, podman %q", i+1, x, y)
		}
	}
	return "no difference"
}
