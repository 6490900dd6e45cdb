package image

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/selkie-containers/selkie/engine"
	"go.podman.io/image/v5/docker/reference"
	cstorage "go.podman.io/storage"
)

// ContainerRemover removes a container (by storage ID) through the engine,
// so the container's records and runtime state go with its storage.
type ContainerRemover func(ctx context.Context, id string) error

// Remove removes one image, or only the name nameOrID when the image has
// other names and was not asked for by ID. Containers using the image make
// it fail with ErrImageInUse unless force, which removes them with rm.
func (m *Manager) Remove(ctx context.Context, nameOrID string, o engine.ImageRemoveOptions, rm ContainerRemover) (engine.ImageRemoveReport, error) {
	force := o.Force
	var rep engine.ImageRemoveReport
	img, err := m.Lookup(nameOrID)
	if err != nil {
		return rep, err
	}
	byID := strings.HasPrefix(img.ID, strings.TrimPrefix(nameOrID, "sha256:"))
	if !byID && len(img.Names) > 1 {
		if name := m.matchingName(img, nameOrID); name != "" {
			if err := m.store.RemoveNames(img.ID, []string{name}); err != nil {
				return rep, err
			}
			rep.Untagged = []string{name}
			return rep, nil
		}
	}
	if byID && len(img.Names) > 1 && !force && !o.AllNames {
		return rep, Errorf(engine.ErrImageInUse, "unable to delete image %q by ID with more than one tag (%v): please force removal", img.ID, img.Names)
	}
	ctrs, err := m.containersOf(img.ID)
	if err != nil {
		return rep, err
	}
	if len(ctrs) > 0 && !force {
		return rep, fmt.Errorf("image used by %s: %w", ctrs[0], engine.ErrImageInUse) // Podman's text
	}
	for _, id := range ctrs {
		if err := m.removeContainer(ctx, id, rm); err != nil {
			return rep, err
		}
		rep.RemovedContainers = append(rep.RemovedContainers, id)
	}
	l, err := m.snapshot()
	if err != nil {
		return rep, err
	}
	if l.children[img.ID] > 0 {
		return rep, Errorf(engine.ErrImageInUse, "image %s has dependent children", img.ID)
	}
	if _, err := m.store.DeleteImage(img.ID, true); err != nil {
		if errors.Is(err, cstorage.ErrImageUsedByContainer) {
			return rep, fmt.Errorf("image used by a container: %w", engine.ErrImageInUse)
		}
		return rep, err
	}
	rep.Untagged = img.Names
	rep.Deleted = []string{img.ID}
	return rep, nil
}

func (m *Manager) removeContainer(ctx context.Context, id string, rm ContainerRemover) error {
	if rm != nil {
		err := rm(ctx, id)
		if err == nil || !(errors.Is(err, engine.ErrNotImplemented) || errors.Is(err, engine.ErrNoSuchContainer)) {
			return err
		}
	}
	// A container only storage knows about (Buildah's, or one whose record
	// is gone): remove its storage.
	_, _ = m.store.Unmount(id, true)
	if err := m.store.DeleteContainer(id); err != nil && !errors.Is(err, cstorage.ErrContainerUnknown) {
		return err
	}
	return nil
}

func (m *Manager) containersOf(imageID string) ([]string, error) {
	all, err := m.store.Containers()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range all {
		if c.ImageID == imageID {
			out = append(out, c.ID)
		}
	}
	return out, nil
}

// matchingName returns the stored name that input refers to.
func (m *Manager) matchingName(img *cstorage.Image, input string) string {
	cands := map[string]bool{input: true}
	if named, err := reference.ParseNormalizedNamed(input); err == nil {
		if _, ok := named.(reference.Digested); !ok {
			named = reference.TagNameOnly(named)
		}
		cands[named.String()] = true
		for _, c := range m.candidates(input, named) {
			cands[c] = true
		}
	}
	for _, n := range img.Names {
		if cands[n] {
			return n
		}
	}
	for _, n := range img.Names {
		if matchReference(&cstorage.Image{Names: []string{n}}, input) {
			return n
		}
	}
	return ""
}

// Tag adds newName (normalized: short names get localhost/) to the image.
func (m *Manager) Tag(nameOrID, newName string) error {
	img, err := m.Lookup(nameOrID)
	if err != nil {
		return err
	}
	named, err := normalizeLocal(newName)
	if err != nil {
		return err
	}
	if _, ok := named.(reference.Digested); ok {
		return Errorf(engine.ErrInvalidArg, "tag %s: tag by digest not supported", newName)
	}
	return m.store.AddNames(img.ID, []string{named.String()})
}

// Untag removes name from the image, or every name when name is empty.
func (m *Manager) Untag(nameOrID, name string) error {
	img, err := m.Lookup(nameOrID)
	if err != nil {
		return err
	}
	if name == "" {
		if len(img.Names) == 0 {
			return nil
		}
		return m.store.RemoveNames(img.ID, img.Names)
	}
	named, err := normalizeLocal(name)
	if err != nil {
		return err
	}
	for _, n := range img.Names {
		if n == named.String() {
			return m.store.RemoveNames(img.ID, []string{n})
		}
	}
	return Errorf(engine.ErrInvalidArg, "%s: tag not known", named.String())
}

// Prune removes dangling images (every image without containers when all),
// repeating while removals leave new dangling parents.
func (m *Manager) Prune(ctx context.Context, o engine.ImagePruneOptions) ([]engine.ImagePruneReport, error) {
	out := []engine.ImagePruneReport{}
	for {
		l, err := m.snapshot()
		if err != nil {
			return out, err
		}
		match, err := m.compileFilters(l, o.Filters)
		if err != nil {
			return out, err
		}
		removed := 0
		for i := range l.images {
			img := &l.images[i]
			if l.containers[img.ID] > 0 || l.children[img.ID] > 0 || img.ReadOnly || !match(img) {
				continue
			}
			if !o.All && len(img.Names) > 0 {
				continue
			}
			size, _ := m.store.ImageSize(img.ID)
			if _, err := m.store.DeleteImage(img.ID, true); err != nil {
				return out, err
			}
			out = append(out, engine.ImagePruneReport{ID: img.ID, Size: size})
			removed++
		}
		if removed == 0 {
			return out, nil
		}
	}
}
