package image

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/testenv"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/reexec"
	"go.podman.io/storage/types"
)

func TestMain(m *testing.M) {
	if reexec.Init() { // storage re-executes the test binary to extract layers
		return
	}
	os.Exit(m.Run())
}

// newManager opens a private vfs store with an image pulled from an OCI
// layout ("localhost/bb:1") and returns the manager and the image ID.
func newManager(t *testing.T) (*Manager, string) {
	t.Helper()
	testenv.RequiresRoot(t)
	dir := t.TempDir()
	st, err := cstorage.GetStore(types.StoreOptions{GraphRoot: filepath.Join(dir, "root"), RunRoot: filepath.Join(dir, "run"), GraphDriverName: "vfs"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Shutdown(true) })
	policy := filepath.Join(dir, "policy.json")
	os.WriteFile(policy, []byte(testenv.InsecurePolicy), 0o644)
	m := New(st, Options{SignaturePolicy: policy, TmpDir: dir})
	layout := filepath.Join(dir, "layout")
	spec := testenv.ImageSpec{Layers: 2, Config: v1.ImageConfig{Labels: map[string]string{"k": "v"}}}
	if _, err := testenv.WriteOCILayout(layout, "t", spec); err != nil {
		t.Fatal(err)
	}
	pulled, err := m.Pull(context.Background(), "oci:"+layout+":t", engine.ImagePullOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Tag(pulled[0].ID, "bb:1"); err != nil {
		t.Fatal(err)
	}
	return m, pulled[0].ID
}

func TestLookup(t *testing.T) {
	m, id := newManager(t)
	for _, name := range []string{id, id[:12], "sha256:" + id, "bb:1", "localhost/bb:1", "containers-storage:localhost/bb:1"} {
		img, err := m.Lookup(name)
		if err != nil || img.ID != id {
			t.Errorf("Lookup(%q) = %v, %v", name, img, err)
		}
	}
	for _, name := range []string{"bb", "bb:2", "docker.io/library/bb:1", "UPPER", "0000000000000000000000000000000000000000000000000000000000000000"} {
		if _, err := m.Lookup(name); !errors.Is(err, engine.ErrNoSuchImage) {
			t.Errorf("Lookup(%q): want ErrNoSuchImage, got %v", name, err)
		}
	}
	if _, err := m.Lookup(""); !errors.Is(err, engine.ErrInvalidArg) {
		t.Errorf("Lookup(\"\"): %v", err)
	}
}

func TestListFiltersAndRemove(t *testing.T) {
	m, id := newManager(t)
	ctx := context.Background()
	count := func(filters ...string) int {
		t.Helper()
		l, err := m.List(engine.ImageListOptions{Filters: filters})
		if err != nil {
			t.Fatal(err)
		}
		return len(l)
	}
	for f, want := range map[string]int{"label=k": 1, "label=k=v": 1, "label=k=w": 0, "reference=bb": 1, "reference=*bb:1": 1,
		"reference=nope": 0, "dangling=false": 1, "dangling=true": 0, "id=" + id[:5]: 1, "until=1h": 1, "readonly=true": 0} {
		if got := count(f); got != want {
			t.Errorf("filter %s: %d images, want %d", f, got, want)
		}
	}
	if _, err := m.List(engine.ImageListOptions{Filters: []string{"dangling=maybe"}}); !errors.Is(err, engine.ErrInvalidArg) {
		t.Errorf("bad boolean: %v", err)
	}
	// Removing one of two names only untags.
	if err := m.Tag(id, "other:1"); err != nil {
		t.Fatal(err)
	}
	rep, err := m.Remove(ctx, "bb:1", engine.ImageRemoveOptions{}, nil)
	if err != nil || len(rep.Untagged) != 1 || rep.Deleted != nil {
		t.Fatalf("untag by rmi: %+v %v", rep, err)
	}
	// A container in storage blocks removal; force removes it through rm.
	if _, err := m.store.CreateContainer("", nil, id, "", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Remove(ctx, id, engine.ImageRemoveOptions{AllNames: true}, nil); !errors.Is(err, engine.ErrImageInUse) {
		t.Fatalf("in use: %v", err)
	}
	var removed []string
	rm := func(ctx context.Context, cid string) error {
		removed = append(removed, cid)
		return engine.ErrNotImplemented // the fallback removes the storage
	}
	rep, err = m.Remove(ctx, id, engine.ImageRemoveOptions{Force: true}, rm)
	if err != nil || len(removed) != 1 || len(rep.Deleted) != 1 {
		t.Fatalf("force: %+v %v %v", rep, removed, err)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d images left", n)
	}
}
