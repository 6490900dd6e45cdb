package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// images: table layout, one row per tag, <none> for untagged, --format,
// --filter, --quiet, --no-trunc, --digests, --noheading, --sort.
func TestImageListFiltersFormats(t *testing.T) {
	c := newImageCLI(t)
	id := c.pullArchive(t, "bb:1")
	c.Must(t, "tag", "bb:1", "bb:2", "other/img:v1")
	out := c.Must(t, "images")
	ls := lines(out)
	if len(ls) != 5 || !regexp.MustCompile(`^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$`).MatchString(ls[0]) {
		t.Fatalf("images table:\n%s", out)
	}
	row := regexp.MustCompile(`^localhost/bb\s+1\s+` + id[:12] + `\s+\S.* ago\s+[0-9.]+ [kM]B$`)
	found := false
	for _, l := range ls[1:] {
		found = found || row.MatchString(l)
	}
	if !found {
		t.Fatalf("no row for localhost/bb:1:\n%s", out)
	}
	if got := c.Must(t, "images", "-q"); got != id[:12] {
		t.Fatalf("-q: %q", got)
	}
	if got := c.Must(t, "images", "-q", "--no-trunc"); got != "sha256:"+id {
		t.Fatalf("-q --no-trunc: %q", got)
	}
	if got := c.Must(t, "images", "--noheading", "--sort", "tag", "--format", "{{.Repository}}:{{.Tag}}"); got != "localhost/bb:1\nlocalhost/bb:2\nlocalhost/latest:latest\nlocalhost/other/img:v1" {
		t.Fatalf("--sort tag: %q", got)
	}
	// As in Podman, a matching image is listed with all its tags.
	got := lines(c.Must(t, "images", "--format", "table {{.ID}} {{.Tag}}", "--filter", "reference=*/other/*"))
	if len(got) != 5 || strings.Join(strings.Fields(got[0]), " ") != "IMAGE ID TAG" || strings.Fields(got[1])[0] != id[:12] {
		t.Fatalf("reference filter with table format: %q", got)
	}
	if got := c.Run("images", "-q", "--filter", "reference=nomatch*"); got.Stdout != "" {
		t.Fatalf("reference filter nomatch: %s", got)
	}
	if got := c.Must(t, "images", "-q", "--filter", "label=selkie.test=yes"); got != id[:12] {
		t.Fatalf("label filter: %q", got)
	}
	if got := c.Must(t, "images", "-q", "--filter", "label=selkie.test=no"); got != "" {
		t.Fatalf("label filter no: %q", got)
	}
	if got := c.Must(t, "images", "-q", "--filter", "dangling=true"); got != "" {
		t.Fatalf("dangling: %q", got)
	}
	if got := c.Must(t, "images", "-q", "--filter", "readonly=false", "--filter", "intermediate=false"); got != id[:12] {
		t.Fatalf("readonly/intermediate: %q", got)
	}
	if got := c.Must(t, "images", "-q", "bb"); got != id[:12] {
		t.Fatalf("images bb: %q", got)
	}
	if got := c.Must(t, "images", "--digests", "--format", "{{.Digest}}", "--filter", "reference=bb:1"); !strings.HasPrefix(got, "sha256:") {
		t.Fatalf("digest: %q", got)
	}
	mustFail(t, c.CLI, 125, "invalid image filter", "images", "--filter", "bogus")
	mustFail(t, c.CLI, 125, "unsupported image filter", "images", "--filter", "bogus=1")
	mustFail(t, c.CLI, 125, "not a valid field for sorting", "images", "--sort", "bogus")
	mustFail(t, c.CLI, 125, "template", "images", "--format", "{{.Nope")
	var js []map[string]any
	// As Podman, the JSON has one entry per row: the image once per tag.
	if err := json.Unmarshal([]byte(c.Must(t, "images", "--format", "json")), &js); err != nil || len(js) != 4 {
		t.Fatalf("json: %v %v", err, js)
	}
	if js[0]["Id"] != id || len(js[0]["Names"].([]any)) != 4 {
		t.Fatalf("json doc: %v", js[0])
	}
	// untag everything: the image becomes dangling and shows as <none>.
	c.Must(t, "untag", id)
	if got := c.Must(t, "images", "--format", "{{.Repository}} {{.Tag}}"); got != "<none> <none>" {
		t.Fatalf("untagged: %q", got)
	}
	if got := c.Must(t, "images", "-q", "--filter", "dangling=true"); got != id[:12] {
		t.Fatalf("dangling after untag: %q", got)
	}
	if got := c.Must(t, "image", "prune", "-f"); got != id {
		t.Fatalf("prune: %q", got)
	}
	if got := c.Must(t, "images", "-q"); got != "" {
		t.Fatalf("after prune: %q", got)
	}
}

// rmi: removing one of several names untags; by ID with several names needs
// --force; missing images exit 1 (0 with --ignore); rmi -a empties the store.
func TestImageRemoveTagExists(t *testing.T) {
	c := newImageCLI(t)
	id := c.pullArchive(t, "bb:1")
	c.Must(t, "tag", "bb:1", "bb:2")
	if got := c.Must(t, "rmi", "bb:2"); got != "Untagged: localhost/bb:2" {
		t.Fatalf("rmi one name: %q", got)
	}
	c.Must(t, "tag", "bb:1", "bb:2")
	mustFail(t, c.CLI, 2, "please force removal", "rmi", id[:12])
	mustFail(t, c.CLI, 1, "image not known", "rmi", "nothere")
	if r := c.Run("rmi", "-i", "nothere"); r.ExitCode != 0 {
		t.Fatalf("rmi -i: %s", r)
	}
	c.Must(t, "image", "exists", "bb:1")
	c.Must(t, "image", "exists", id)
	c.Must(t, "image", "exists", "sha256:"+id[:12])
	if r := c.Run("image", "exists", "nothere"); r.ExitCode != 1 || r.Stdout != "" {
		t.Fatalf("exists nothere: %s", r)
	}
	mustFail(t, c.CLI, 125, "tag not known", "untag", "bb:1", "bb:9")
	mustFail(t, c.CLI, 125, "image not known", "tag", "nothere", "x")
	mustFail(t, c.CLI, 125, "invalid reference format", "tag", "bb:1", "UPPER")
	hist := c.Must(t, "history", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Size}}", "bb:1")
	if hl := lines(hist); len(hl) < 2 || !strings.HasPrefix(hl[0], id[:12]+"|") {
		t.Fatalf("history: %q", hist)
	}
	out := c.Must(t, "rmi", "-f", id)
	if !strings.Contains(out, "Untagged: localhost/bb:1") || !strings.Contains(out, "Deleted: "+id) {
		t.Fatalf("rmi -f: %q", out)
	}
	c.pullArchive(t, "a:1")
	c.pullArchive(t, "b:1")
	c.Must(t, "rmi", "-a")
	if got := c.Must(t, "images", "-q"); got != "" {
		t.Fatalf("after rmi -a: %q", got)
	}
}

// inspect detects the type: images now, containers first once they exist;
// unknown names are reported with Podman's text.
func TestImageInspect(t *testing.T) {
	c := newImageCLI(t)
	id := c.pullArchive(t, "bb:1")
	var docs []map[string]any
	if err := json.Unmarshal([]byte(c.Must(t, "inspect", "bb:1")), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	for _, k := range []string{"Id", "Digest", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "Config", "Version", "Author",
		"Architecture", "Os", "Size", "VirtualSize", "GraphDriver", "RootFS", "Labels", "Annotations", "ManifestType", "User", "History", "NamesHistory"} {
		if _, ok := docs[0][k]; !ok {
			t.Errorf("inspect lacks %s", k)
		}
	}
	if got := c.Must(t, "image", "inspect", "--format", "{{.Id}} {{.Os}} {{index .Labels \"selkie.test\"}} {{len .RootFS.Layers}}", "bb:1"); got != id+" linux yes 2" {
		t.Fatalf("inspect format: %q", got)
	}
	r := mustFail(t, c.CLI, 125, `no such object: "nothere"`, "inspect", "nothere")
	if strings.TrimSpace(r.Stdout) != "[]" {
		t.Fatalf("inspect of a missing object prints %q", r.Stdout)
	}
	mustFail(t, c.CLI, 125, "image not known", "image", "inspect", "nothere")
}

// before/since/until compare creation times; sort by created is newest first.
func TestImageListTimeFilters(t *testing.T) {
	c := newImageCLI(t)
	dir := t.TempDir()
	var ids []string
	for i, year := range []int{2023, 2025} {
		path := filepath.Join(dir, fmt.Sprintf("i%d.tar", i))
		spec := testenv.ImageSpec{Created: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), Files: map[string]string{"/n": fmt.Sprint(i)}}
		if err := testenv.WriteOCIArchive(path, fmt.Sprintf("t%d", i), spec); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.Must(t, "pull", "-q", "--signature-policy", c.PolicyPath, "oci-archive:"+path)[:12])
	}
	for args, want := range map[string]string{
		"--filter before=localhost/t1":  ids[0],
		"--filter since=localhost/t0":   ids[1],
		"--filter until=2024-06-01":     ids[0],
		"--sort created":                ids[1] + "\n" + ids[0],
		"--sort id --filter until=100h": strings.Join(sortedCopy(ids), "\n"),
	} {
		if got := c.Must(t, append([]string{"images", "-q"}, strings.Fields(args)...)...); got != want {
			t.Errorf("images %s: %q, want %q", args, got, want)
		}
	}
	mustFail(t, c.CLI, 125, "image not known", "images", "--filter", "before=nothere")
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
