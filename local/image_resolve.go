package local

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
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
// (always, missing, never, newer) when needed.
//
// TODO(#2): short names, pull policies and pulling; this first version only
// looks up exact names and IDs in the store.
func (e *Engine) resolveImage(ctx context.Context, ref, pullPolicy string, progress io.Writer) (*resolvedImage, error) {
	st, err := e.Store()
	if err != nil {
		return nil, err
	}
	img, err := st.Image(ref)
	if err != nil {
		return nil, fmt.Errorf("%s: image not known: %w", ref, engine.ErrNoSuchImage)
	}
	return imageFromStore(st, img)
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
