package local

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/image"
)

// images returns the image manager on the engine's store.
func (e *Engine) images() (*image.Manager, error) {
	st, err := e.Store()
	if err != nil {
		return nil, err
	}
	return image.New(st, e.imageOptions()), nil
}

// imageOptions are the engine-wide settings of image work.
func (e *Engine) imageOptions() image.Options {
	tmp := os.Getenv("TMPDIR")
	if tmp == "" {
		tmp = "/var/tmp"
	}
	return image.Options{
		RegistriesConf: e.cfg.RegistriesConf,
		TmpDir:         tmp,
		Retry:          uint(max(e.cfg.Engine.Retry, 0)),
		RetryDelay:     e.cfg.Engine.RetryDelay,
		StallTimeout:   stallTimeout(),
	}
}

// stallTimeout is how long a registry transfer may make no progress before
// it is cancelled: 5 minutes (Podman's pull timeout under systemd), or
// SELKIE_REGISTRY_STALL_TIMEOUT (a Go duration; 0 disables it).
func stallTimeout() time.Duration {
	if v := os.Getenv("SELKIE_REGISTRY_STALL_TIMEOUT"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return 5 * time.Minute
}

// ImagePull pulls ref into local storage.
func (e *Engine) ImagePull(ctx context.Context, ref string, o engine.ImagePullOptions, progress io.Writer) (engine.ImagePullReport, error) {
	m, err := e.images()
	if err != nil {
		return engine.ImagePullReport{}, err
	}
	if o.Policy != "" && o.Policy != engine.PullPolicyAlways {
		r, err := e.resolveImageWith(ctx, ref, o.Policy, o, progress)
		if err != nil {
			return engine.ImagePullReport{}, err
		}
		return engine.ImagePullReport{Images: []string{r.ID}}, nil
	}
	pulled, err := m.Pull(ctx, ref, o, progress)
	if err != nil {
		return engine.ImagePullReport{}, err
	}
	rep := engine.ImagePullReport{}
	for _, p := range pulled {
		rep.Images = append(rep.Images, p.ID)
		e.event(ctx, engine.EventTypeImage, "pull", p.ID, ref, "", nil)
	}
	return rep, nil
}

// ImagePush pushes a local image.
func (e *Engine) ImagePush(ctx context.Context, source, destination string, o engine.ImagePushOptions, progress io.Writer) error {
	m, err := e.images()
	if err != nil {
		return err
	}
	err = m.Push(ctx, source, destination, o, progress)
	if err == nil {
		e.event(ctx, engine.EventTypeImage, "push", "", destination, "", nil)
	}
	return err
}

// ImageList lists local images.
func (e *Engine) ImageList(ctx context.Context, o engine.ImageListOptions) ([]engine.ImageSummary, error) {
	m, err := e.images()
	if err != nil {
		return nil, err
	}
	return m.List(o)
}

// ImageInspect inspects one local image.
func (e *Engine) ImageInspect(ctx context.Context, nameOrID string) (*engine.ImageInspect, error) {
	m, err := e.images()
	if err != nil {
		return nil, err
	}
	img, err := m.Lookup(nameOrID)
	if err != nil {
		return nil, err
	}
	return m.Inspect(ctx, img)
}

// ImageExists reports whether nameOrID names a local image.
func (e *Engine) ImageExists(ctx context.Context, nameOrID string) (bool, error) {
	m, err := e.images()
	if err != nil {
		return false, err
	}
	if _, err := m.Lookup(nameOrID); err != nil {
		if errors.Is(err, engine.ErrNoSuchImage) || errors.Is(err, engine.ErrInvalidArg) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// ImageRemove removes one image (or one of its names).
func (e *Engine) ImageRemove(ctx context.Context, nameOrID string, o engine.ImageRemoveOptions) (engine.ImageRemoveReport, error) {
	m, err := e.images()
	if err != nil {
		return engine.ImageRemoveReport{}, err
	}
	// The seam for rmi --force: containers go through the engine so that
	// their records and runtime state are removed with their storage.
	rm := func(ctx context.Context, id string) error {
		_, err := e.ContainerRemove(ctx, id, engine.ContainerRemoveOptions{Force: true})
		return err
	}
	rep, err := m.Remove(ctx, nameOrID, o, rm)
	for _, n := range rep.Untagged {
		e.event(ctx, engine.EventTypeImage, "untag", "", n, "", nil)
	}
	for _, id := range rep.Deleted {
		e.event(ctx, engine.EventTypeImage, "remove", id, nameOrID, "", nil)
	}
	return rep, err
}

// ImageTag adds a name to an image.
func (e *Engine) ImageTag(ctx context.Context, nameOrID, newName string) error {
	m, err := e.images()
	if err != nil {
		return err
	}
	if err := m.Tag(nameOrID, newName); err != nil {
		return err
	}
	e.imageEvent(ctx, "tag", nameOrID, newName)
	return nil
}

// ImageUntag removes a name (all names when empty) from an image.
func (e *Engine) ImageUntag(ctx context.Context, nameOrID, name string) error {
	m, err := e.images()
	if err != nil {
		return err
	}
	id := e.imageID(nameOrID)
	if err := m.Untag(nameOrID, name); err != nil {
		return err
	}
	e.event(ctx, engine.EventTypeImage, "untag", id, name, "", nil)
	return nil
}

// ImagePrune removes dangling (or, with All, unused) images.
func (e *Engine) ImagePrune(ctx context.Context, o engine.ImagePruneOptions) ([]engine.ImagePruneReport, error) {
	m, err := e.images()
	if err != nil {
		return nil, err
	}
	rep, err := m.Prune(ctx, o)
	for _, r := range rep {
		e.event(ctx, engine.EventTypeImage, "remove", r.ID, r.ID, "", nil)
	}
	return rep, err
}

// ImageHistory lists an image's history.
func (e *Engine) ImageHistory(ctx context.Context, nameOrID string) ([]engine.ImageHistoryEntry, error) {
	m, err := e.images()
	if err != nil {
		return nil, err
	}
	img, err := m.Lookup(nameOrID)
	if err != nil {
		return nil, err
	}
	return m.History(ctx, img)
}

// ImageTree renders an image's layer tree.
func (e *Engine) ImageTree(ctx context.Context, nameOrID string, o engine.ImageTreeOptions) (string, error) {
	m, err := e.images()
	if err != nil {
		return "", err
	}
	return m.Tree(nameOrID, o.WhatRequires)
}

// ImageSave writes images to an archive or directory.
func (e *Engine) ImageSave(ctx context.Context, names []string, o engine.ImageSaveOptions, w io.Writer) error {
	m, err := e.images()
	if err != nil {
		return err
	}
	if err := m.Save(ctx, names, o, w); err != nil {
		return err
	}
	for _, n := range names {
		e.imageEvent(ctx, "save", n, n)
	}
	return nil
}

// ImageLoad loads the images of an archive.
func (e *Engine) ImageLoad(ctx context.Context, r io.Reader, o engine.ImageLoadOptions, progress io.Writer) (engine.ImageLoadReport, error) {
	m, err := e.images()
	if err != nil {
		return engine.ImageLoadReport{}, err
	}
	if o.Quiet {
		progress = nil
	}
	names, err := m.Load(ctx, r, o.Input, o.SignaturePolicy, progress)
	if err == nil {
		for _, n := range names {
			e.imageEvent(ctx, "loadfromarchive", n, n)
		}
	}
	return engine.ImageLoadReport{Names: names}, err
}

// ImageImport makes an image from a filesystem tarball.
func (e *Engine) ImageImport(ctx context.Context, r io.Reader, o engine.ImageImportOptions, progress io.Writer) (string, error) {
	m, err := e.images()
	if err != nil {
		return "", err
	}
	id, err := m.Import(ctx, r, o, progress)
	if err == nil {
		e.event(ctx, engine.EventTypeImage, "import", id, o.Reference, "", nil)
	}
	return id, err
}

// Login stores registry credentials after checking them.
func (e *Engine) Login(ctx context.Context, registry string, o engine.LoginOptions) error {
	m := image.New(nil, e.imageOptions()) // no store needed
	return m.Login(ctx, registry, o)
}

// Logout removes stored registry credentials.
func (e *Engine) Logout(ctx context.Context, registry string, o engine.LogoutOptions) error {
	m := image.New(nil, e.imageOptions()) // no store needed
	return m.Logout(ctx, registry, o)
}
