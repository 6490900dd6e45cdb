package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/internal/testenv"
)

// imageCLI is a CLI with private storage plus an oci-archive of a busybox
// image (tag "latest") that tests pull from.
type imageCLI struct {
	*testenv.CLI
	archive string
}

func newImageCLI(t *testing.T) *imageCLI {
	t.Helper()
	testenv.RequiresRoot(t)
	c := testenv.NewCLI(t)
	arch := filepath.Join(t.TempDir(), "bb.tar")
	spec := testenv.ImageSpec{Layers: 2, Config: v1.ImageConfig{Labels: map[string]string{"selkie.test": "yes"}}}
	if err := testenv.WriteOCIArchive(arch, "latest", spec); err != nil {
		t.Fatal(err)
	}
	return &imageCLI{CLI: c, archive: arch}
}

// pullArchive stores the fixture image as name and returns its ID.
func (c *imageCLI) pullArchive(t *testing.T, name string) string {
	t.Helper()
	id := c.Must(t, "pull", "-q", "--signature-policy", c.PolicyPath, "oci-archive:"+c.archive)
	if name != "" {
		c.Must(t, "tag", id, name)
	}
	return id
}

// withRegistry points the CLI at a fresh loopback registry.
func withRegistry(t *testing.T, c *testenv.CLI, auth bool) *testenv.Registry {
	t.Helper()
	r := testenv.StartRegistry(t, testenv.RegistryOptions{Auth: auth})
	c.RegistriesConf = r.RegistriesConf
	return r
}

func lines(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// mustFail runs args and fails the test unless selkie exits with code and
// its stderr contains want.
func mustFail(t *testing.T, c *testenv.CLI, code int, want string, args ...string) testenv.Result {
	t.Helper()
	r := c.Run(args...)
	if r.ExitCode != code || !strings.Contains(r.Stderr, want) {
		t.Fatalf("selkie %s: want exit %d and %q in stderr, got %s", strings.Join(args, " "), code, want, r)
	}
	return r
}
