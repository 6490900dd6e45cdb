package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// With a Selkie container using the image: rmi refuses (exit 2), inspect
// finds the container first, rmi --force removes the container through the
// engine and then the image.
func TestImageRemoveUsedBySelkieContainer(t *testing.T) {
	c := newImageCLI(t)
	id := c.pullArchive(t, "bb:1")
	c.Must(t, "untag", id, "localhost/latest:latest")
	r := c.Run("create", "--name", "imgtest", "bb:1", "true")
	if r.ExitCode != 0 {
		t.Skipf("create does not work yet: %s", r)
	}
	ctr := strings.TrimSpace(r.Stdout)
	mustFail(t, c.CLI, 2, "image is in use by a container", "rmi", "bb:1")
	c.Must(t, "tag", "bb:1", "bb:2")
	mustFail(t, c.CLI, 2, "image is in use by a container", "rmi", "-a")
	c.Must(t, "untag", "bb:1", "bb:2")
	var docs []map[string]any
	if err := json.Unmarshal([]byte(c.Must(t, "inspect", "imgtest")), &docs); err != nil || len(docs) != 1 || docs[0]["Id"] != ctr {
		t.Fatalf("inspect of a container name: %v %v", err, docs)
	}
	if err := json.Unmarshal([]byte(c.Must(t, "inspect", "--type", "image", "bb:1")), &docs); err != nil || docs[0]["Id"] != id {
		t.Fatalf("inspect --type image: %v %v", err, docs)
	}
	out := c.Must(t, "rmi", "-f", "bb:1")
	if !strings.Contains(out, "Deleted: "+id) {
		t.Fatalf("rmi -f: %q", out)
	}
	if got := c.Must(t, "ps", "-a", "-q"); got != "" {
		t.Fatalf("container left after rmi -f: %q", got)
	}
}

// create resolves its image through the pull policies: missing pulls from
// the registry once, never refuses an absent image, always pulls again.
func TestImageCreatePullPolicies(t *testing.T) {
	c := newImageCLI(t)
	reg := withRegistry(t, c.CLI, false)
	id := c.pullArchive(t, "bb:1")
	ref := reg.Ref("ctr/bb:1")
	c.Must(t, "push", "-q", "--signature-policy", c.PolicyPath, "bb:1", ref)
	c2 := newImageCLI(t)
	c2.RegistriesConf = reg.RegistriesConf
	if r := c2.Run("create", "--pull", "never", ref, "true"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "image not known") {
		t.Skipf("create with --pull never: %s", r)
	}
	r := c2.Run("create", ref, "true")
	if r.ExitCode != 0 || !strings.Contains(r.Stderr, "Trying to pull "+ref) {
		t.Fatalf("create with a missing image: %s", r)
	}
	if got := c2.Must(t, "images", "-q", "--no-trunc"); got != "sha256:"+id {
		t.Fatalf("image pulled by create: %q", got)
	}
	r = c2.Run("create", ref, "true")
	if r.ExitCode != 0 || strings.Contains(r.Stderr, "Trying to pull") {
		t.Fatalf("create with the image present pulled again: %s", r)
	}
	r = c2.Run("create", "--pull", "always", ref, "true")
	if r.ExitCode != 0 || !strings.Contains(r.Stderr, "Trying to pull") {
		t.Fatalf("create --pull always: %s", r)
	}
}
