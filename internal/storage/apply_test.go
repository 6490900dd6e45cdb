package storage

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"archive/tar"
	"github.com/opencontainers/go-digest"
	cstorage "go.podman.io/storage"
	drivers "go.podman.io/storage/drivers"
	"golang.org/x/sys/unix"
)

// Two pulls of one image may both stage the same layer. Only one may
// register it: containers/storage's ApplyStagedLayer, given an ID that
// already exists, deletes that layer's directory (os.RemoveAll) and renames
// the staged copy over it, which empties the lower directory under the
// containers already running on it. ApplyStaged serialises check and apply
// (also across processes) so the later pulls discard their copy.
func TestApplyStagedConcurrent(t *testing.T) {
	s := testStore(t)
	layer := mkTar(t, []ent{{name: "etc/", typ: tar.TypeDir}, {name: "etc/f", body: "content", typ: tar.TypeReg}})
	id := digest.FromBytes(layer).Encoded()
	const n = 6
	for round := 0; round < 5; round++ {
		outs := make([]*drivers.DriverWithDifferOutput, n)
		for i := range outs {
			out, err := s.PrepareStagedLayer(&drivers.ApplyDiffWithDifferOpts{}, &LayerDiffer{R: bytes.NewReader(layer)})
			if err != nil {
				t.Fatal(err)
			}
			outs[i] = out
		}
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			applied int
			errs    []error
			start   = make(chan struct{})
		)
		for i := range outs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ok, err := ApplyStaged(s, cstorage.ApplyStagedLayerOptions{ID: id, DiffOutput: outs[i]})
				mu.Lock()
				defer mu.Unlock()
				if ok {
					applied++
				}
				if err != nil {
					errs = append(errs, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("round %d: %v", round, errs)
		}
		if applied != 1 {
			t.Fatalf("round %d: the layer was applied %d times (a later application replaces the directory of the registered layer)", round, applied)
		}
		l, err := s.Layer(id)
		if err != nil || l.UncompressedDigest != digest.FromBytes(layer) {
			t.Fatalf("round %d: layer %v, err %v", round, l, err)
		}
		if b, err := os.ReadFile(filepath.Join(layerDir(t, s, id), "etc/f")); err != nil || string(b) != "content" {
			t.Fatalf("round %d: etc/f = %q, %v", round, b, err)
		}
		staging, _ := filepath.Glob(filepath.Join(s.GraphRoot(), "overlay", "staging", "*", "*"))
		for _, p := range staging {
			if !strings.HasSuffix(p, ".lock") {
				t.Fatalf("round %d: staged copy left behind: %s", round, p)
			}
		}
		if err := s.DeleteLayer(id); err != nil {
			t.Fatal(err)
		}
	}
}

// A layer already in the store is never touched by a later application of
// the same ID: the files of its directory keep their inodes.
func TestApplyStagedExisting(t *testing.T) {
	s := testStore(t)
	layer := mkTar(t, []ent{{name: "f", body: "first", typ: tar.TypeReg}})
	id := digest.FromBytes(layer).Encoded()
	if _, _, err := s.PutLayer(id, "", nil, "", false, nil, bytes.NewReader(layer)); err != nil {
		t.Fatal(err)
	}
	var before unix.Stat_t
	if err := unix.Stat(filepath.Join(layerDir(t, s, id), "f"), &before); err != nil {
		t.Fatal(err)
	}
	out, err := s.PrepareStagedLayer(&drivers.ApplyDiffWithDifferOpts{}, &LayerDiffer{R: bytes.NewReader(layer)})
	if err != nil {
		t.Fatal(err)
	}
	ok, err := ApplyStaged(s, cstorage.ApplyStagedLayerOptions{ID: id, DiffOutput: out})
	if err != nil || ok {
		t.Fatalf("applied %v, err %v; want the staged copy discarded", ok, err)
	}
	var after unix.Stat_t
	if err := unix.Stat(filepath.Join(layerDir(t, s, id), "f"), &after); err != nil || after.Ino != before.Ino {
		t.Fatalf("existing layer's file replaced (inode %d → %d, %v)", before.Ino, after.Ino, err)
	}
	if _, err := os.Stat(out.Target); !os.IsNotExist(err) {
		t.Fatalf("staged copy %s left behind: %v", out.Target, err)
	}
}
