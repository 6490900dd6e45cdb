package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Short names resolve through registries.conf: aliases, one
// unqualified-search registry, enforcing mode without a TTY; locally a short
// name finds the image under its search registry. Pull policies decide
// whether the registry is contacted.
func TestImageShortNamesAndPolicies(t *testing.T) {
	c := newImageCLI(t)
	reg := withRegistry(t, c.CLI, false)
	p := c.PolicyPath
	id := c.pullArchive(t, "bb:1")
	c.Must(t, "push", "--signature-policy", p, "bb:1", reg.Ref("bb:1"))
	dir := t.TempDir()
	conf := func(name, search string) string {
		path := filepath.Join(dir, name)
		body := fmt.Sprintf("unqualified-search-registries = [%s]\nshort-name-mode = \"enforcing\"\n\n[[registry]]\nlocation = %q\ninsecure = true\n\n[aliases]\n\"myalias\" = %q\n",
			search, reg.Addr, reg.Ref("bb"))
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	c2 := newImageCLI(t)
	c2.RegistriesConf = conf("one.conf", fmt.Sprintf("%q", reg.Addr))
	r := c2.Run("pull", "--signature-policy", p, "bb:1")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != id || !strings.Contains(r.Stderr, "Trying to pull "+reg.Ref("bb:1")) {
		t.Fatalf("short name via search registry: %s", r)
	}
	// Local lookups of the short name find it.
	c2.Must(t, "image", "exists", "bb:1")
	if got := c2.Must(t, "images", "-q", "bb"); got != id[:12] {
		t.Fatalf("images bb: %q", got)
	}
	// Alias.
	c2.Must(t, "rmi", "bb:1")
	r = c2.Run("pull", "--signature-policy", p, "myalias:1")
	if r.ExitCode != 0 || !strings.Contains(r.Stderr, "Trying to pull "+reg.Ref("bb:1")) || !strings.Contains(r.Stderr, `Resolved "myalias" as an alias`) {
		t.Fatalf("alias: %s", r)
	}
	// Policies: never/missing use the local image; with the registry gone,
	// always fails and newer falls back to the local image.
	mustFail(t, c2.CLI, 125, "image not known", "pull", "--policy", "never", "other:1")
	reg.Stop()
	if got := c2.Must(t, "pull", "-q", "--policy", "missing", "--signature-policy", p, reg.Ref("bb:1")); got != id {
		t.Fatalf("policy missing: %q", got)
	}
	if got := c2.Must(t, "pull", "-q", "--policy", "never", reg.Ref("bb:1")); got != id {
		t.Fatalf("policy never: %q", got)
	}
	mustFail(t, c2.CLI, 125, "connection refused", "pull", "--retry", "0", "--signature-policy", p, reg.Ref("bb:1"))
	if got := c2.Must(t, "pull", "-q", "--retry", "0", "--policy", "newer", "--signature-policy", p, reg.Ref("bb:1")); got != id {
		t.Fatalf("policy newer with the registry down: %q", got)
	}
	mustFail(t, c2.CLI, 125, "unsupported pull policy", "pull", "--policy", "bogus", "bb:1")
	// Two search registries in enforcing mode and no TTY: a clear error.
	c3 := newImageCLI(t)
	c3.RegistriesConf = conf("two.conf", fmt.Sprintf("%q, %q", reg.Addr, "127.0.0.1:1"))
	mustFail(t, c3.CLI, 125, "cannot prompt without a TTY", "pull", "--signature-policy", p, "bb:1")
	// No search registries at all.
	c3.RegistriesConf = conf("none.conf", "")
	mustFail(t, c3.CLI, 125, "no unqualified-search registries are defined", "pull", "--signature-policy", p, "bb:1")
}
