package image

import (
	"context"
	"fmt"
	"io"

	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/docker"
	storageTransport "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// copyOptions tune one copy.Image call.
type copyOptions struct {
	src, dst         *types.SystemContext
	progress         io.Writer
	manifestType     string
	removeSignatures bool
	allImages        bool
}

// copyImage copies src to dst under the signature policy of o.src and
// returns the manifest written and, for a containers-storage destination,
// the stored image.
func (m *Manager) copyImage(ctx context.Context, src, dst types.ImageReference, o copyOptions) ([]byte, *cstorage.Image, error) {
	if o.dst == nil {
		o.dst = o.src
	}
	pc, err := policyContext(o.src)
	if err != nil {
		return nil, nil, err
	}
	defer pc.Destroy()
	var resolved types.ImageReference
	co := &copy.Options{
		ReportWriter:          o.progress,
		SourceCtx:             o.src,
		DestinationCtx:        o.dst,
		ForceManifestMIMEType: o.manifestType,
		RemoveSignatures:      o.removeSignatures,
	}
	if o.allImages {
		co.ImageListSelection = copy.CopyAllImages
	}
	isStorage := dst.Transport().Name() == storageTransport.Transport.Name()
	if isStorage {
		co.ReportResolvedReference = &resolved
	}
	if isStorage && src.Transport().Name() != storageTransport.Transport.Name() && (o.progress == nil || !isTerminal(o.progress)) {
		// On a terminal containers/image draws bars; there the plain copy
		// keeps Podman's display.
		// Any error falls back to the plain copy, which reports it.
		_ = m.fastLayers(ctx, pc, src, o.src)
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
	}
	if src.Transport().Name() == docker.Transport.Name() || dst.Transport().Name() == docker.Transport.Name() {
		var stop func(error) error
		ctx, stop = guardCopy(ctx, co, m.opts.StallTimeout)
		man, err := copy.Image(ctx, pc, dst, src, co)
		if err = stop(err); err != nil {
			return nil, nil, err
		}
		return m.copied(man, dst, resolved, isStorage)
	}
	man, err := copy.Image(ctx, pc, dst, src, co)
	if err != nil {
		return nil, nil, err
	}
	return m.copied(man, dst, resolved, isStorage)
}

// copied finds the stored image after a copy into containers-storage.
func (m *Manager) copied(man []byte, dst, resolved types.ImageReference, isStorage bool) ([]byte, *cstorage.Image, error) {
	if !isStorage {
		return man, nil, nil
	}
	if resolved == nil {
		resolved = dst
	}
	img, err := storageTransport.Transport.GetStoreImage(m.store, resolved)
	if err != nil {
		return nil, nil, fmt.Errorf("locating the copied image: %w", err)
	}
	return man, img, nil
}

// storageRef names a destination in this manager's store for src; name
// may be empty (the image is then known by its ID only, computed from src).
func (m *Manager) storageRef(ctx context.Context, sys *types.SystemContext, src types.ImageReference, name string) (types.ImageReference, error) {
	if name == "" {
		id, err := imageID(ctx, sys, src)
		if err != nil {
			return nil, err
		}
		return storageTransport.Transport.NewStoreReference(m.store, nil, id)
	}
	named, err := normalizeLocal(name)
	if err != nil {
		return nil, err
	}
	return storageTransport.Transport.NewStoreReference(m.store, named, "")
}

// imageID is the ID src will have in storage: its config digest.
func imageID(ctx context.Context, sys *types.SystemContext, src types.ImageReference) (string, error) {
	img, err := src.NewImage(ctx, sys)
	if err != nil {
		return "", err
	}
	defer img.Close()
	return img.ConfigInfo().Digest.Encoded(), nil
}
