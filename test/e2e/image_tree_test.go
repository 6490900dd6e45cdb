package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// image tree prints the layer hierarchy as Podman 4.3.1 does: the image's
// layers base first; --whatrequires the layers and images built on it.
// With Debian's podman installed, the output is compared byte for byte.
func TestImageTree(t *testing.T) {
	c := newImageCLI(t)
	dir := filepath.Join(t.TempDir(), "layout")
	ids := map[string]string{}
	for _, tag := range []string{"one", "two"} {
		n := map[string]int{"one": 1, "two": 2}[tag]
		if _, err := testenv.WriteOCILayout(dir, tag, testenv.ImageSpec{Layers: n}); err != nil {
			t.Fatal(err)
		}
		ids[tag] = c.Must(t, "pull", "-q", "--signature-policy", c.PolicyPath, "oci:"+dir+":"+tag)
		c.Must(t, "tag", ids[tag], "localhost/tree:"+tag)
	}
	two := c.Must(t, "image", "tree", "localhost/tree:two")
	l := strings.Split(two, "\n")
	if len(l) != 6 || l[0] != "Image ID: "+ids["two"][:12] || l[1] != "Tags:     [localhost/tree:two]" ||
		!strings.HasPrefix(l[2], "Size:     ") || l[3] != "Image Layers" ||
		!strings.HasPrefix(l[4], "├── ID: ") || !strings.HasSuffix(l[4], " Top Layer of: [localhost/tree:one]") ||
		!strings.HasPrefix(l[5], "└── ID: ") || !strings.HasSuffix(l[5], " Top Layer of: [localhost/tree:two]") {
		t.Fatalf("image tree two:\n%s", two)
	}
	// The base layer of "two" is the top of "one": --whatrequires on "one"
	// shows it, tagged, and the layer "two" adds on top.
	req := c.Must(t, "image", "tree", "--whatrequires", "localhost/tree:one")
	if !strings.Contains(req, "Top Layer of: [localhost/tree:one]") || !strings.Contains(req, "Top Layer of: [localhost/tree:two]") {
		t.Fatalf("image tree --whatrequires one:\n%s", req)
	}
	mustFail(t, c.CLI, 125, "accepts 1 arg(s), received 0", "image", "tree")
	mustFail(t, c.CLI, 125, "image not known", "image", "tree", "localhost/nothere:1")
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman not installed: no byte-for-byte comparison")
	}
	for _, args := range [][]string{{"localhost/tree:two"}, {"localhost/tree:one"}, {"--whatrequires", "localhost/tree:one"}} {
		want, err := podman(t, c.CLI, append([]string{"image", "tree"}, args...)...)
		if err != nil {
			t.Fatalf("podman image tree %v: %v", args, err)
		}
		if got := c.Must(t, append([]string{"image", "tree"}, args...)...); got != want {
			t.Errorf("image tree %v:\nselkie:\n%s\npodman:\n%s", args, got, want)
		}
	}
}
