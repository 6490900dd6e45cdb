package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/image"
	cstorage "go.podman.io/storage"
)

// resolvedImage is an image found (or pulled) for a container.
type resolvedImage struct {
	ID     string
	Name   string // the full name the user's reference resolved to
	Digest string
	Config *v1.Image
}

// resolveImage finds ref in local storage, pulling it according to pullPolicy
// (always, missing, never, newer; "" means missing) when needed. Short names
// are looked up locally first, then resolved through registries.conf.
func (e *Engine) resolveImage(ctx context.Context, ref, pullPolicy string, progress io.Writer) (*resolvedImage, error) {
	return e.resolveImageWith(ctx, ref, pullPolicy, engine.ImagePullOptions{}, progress)
}

// resolveImageWith is resolveImage with the registry options of a pull.
func (e *Engine) resolveImageWith(ctx context.Context, ref, pullPolicy string, o engine.ImagePullOptions, progress io.Writer) (*resolvedImage, error) {
	m, err := e.images()
	if err != nil {
		return nil, err
	}
	if pullPolicy == "" {
		pullPolicy = engine.PullPolicyMissing
	}
	switch pullPolicy {
	case engine.PullPolicyAlways, engine.PullPolicyMissing, engine.PullPolicyNever, engine.PullPolicyNewer:
	default:
		return nil, image.Errorf(engine.ErrInvalidArg, "unsupported pull policy %q", pullPolicy)
	}
	st := m.Store()
	var local *cstorage.Image
	if pullPolicy != engine.PullPolicyAlways {
		img, err := m.Lookup(ref)
		switch {
		case err == nil:
			local = img
		case !errors.Is(err, engine.ErrNoSuchImage):
			return nil, err
		}
	}
	if local != nil && pullPolicy != engine.PullPolicyNewer {
		return imageFromStore(st, local)
	}
	if pullPolicy == engine.PullPolicyNever {
		return nil, image.Errorf(engine.ErrNoSuchImage, "%s: image not known", ref)
	}
	pulled, err := m.Pull(ctx, ref, o, progress)
	if err != nil {
		if local != nil { // newer: the registry is unreachable, keep what we have
			e.log.Debug("pull for policy newer failed, using the local image", "ref", ref, "err", err)
			return imageFromStore(st, local)
		}
		return nil, err
	}
	img, err := st.Image(pulled[0].ID)
	if err != nil {
		return nil, image.Errorf(engine.ErrNoSuchImage, "%s: image not known after pull", ref)
	}
	r, err := imageFromStore(st, img)
	if err != nil {
		return nil, err
	}
	if pulled[0].Name != "" {
		r.Name = pulled[0].Name
	}
	return r, nil
}

func imageFromStore(st cstorage.Store, img *cstorage.Image) (*resolvedImage, error) {
	r := &resolvedImage{ID: img.ID, Digest: img.Digest.String()}
	if len(img.Names) > 0 {
		r.Name = img.Names[0]
	}
	key := "sha256:" + img.ID
	data, err := st.ImageBigData(img.ID, key)
	if err != nil {
		return nil, fmt.Errorf("reading config of image %s: %w", img.ID, err)
	}
	var cfg v1.Image
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("decoding config of image %s: %w", img.ID, err)
	}
	r.Config = &cfg
	return r, nil
}
