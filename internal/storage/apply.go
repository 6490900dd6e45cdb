package storage

import (
	"errors"
	"os"
	"path/filepath"

	cstorage "go.podman.io/storage"
	drivers "go.podman.io/storage/drivers"
	"go.podman.io/storage/pkg/lockfile"
)

// ApplyStaged registers the staged layer out under o.ID, unless the store
// already has a layer with that ID (a concurrent pull stored it): then the
// staged copy is discarded and applied is false.
//
// The check and the application hold a lock file in the graph root, so
// two Selkie processes (or goroutines) staging the same layer apply it
// once: given an ID that already exists, storage's ApplyStagedLayer
// deletes that layer's directory and renames the staged copy over it,
// emptying the lower directory under the containers running on it.
func ApplyStaged(s cstorage.Store, o cstorage.ApplyStagedLayerOptions) (applied bool, err error) {
	out := o.DiffOutput
	dir := filepath.Join(s.GraphRoot(), "selkie")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		s.CleanupStagedLayer(out)
		return false, err
	}
	lock, err := lockfile.GetLockFile(filepath.Join(dir, "layer-apply.lock"))
	if err != nil {
		s.CleanupStagedLayer(out)
		return false, err
	}
	lock.Lock()
	defer lock.Unlock()
	if _, err := s.Layer(o.ID); err == nil {
		s.CleanupStagedLayer(out)
		return false, nil
	}
	if o.DiffOptions == nil {
		o.DiffOptions = &drivers.ApplyDiffWithDifferOpts{}
	}
	if _, err := s.ApplyStagedLayer(o); err != nil {
		if errors.Is(err, cstorage.ErrDuplicateID) {
			s.CleanupStagedLayer(out)
			return false, nil
		}
		return false, err
	}
	return true, nil
}
