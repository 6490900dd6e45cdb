package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	digest "github.com/opencontainers/go-digest"
	specsgo "github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
	cstorage "go.podman.io/storage"
)

// writeImage records the image: config and manifest as big data under the
// keys containers/image's storage transport uses, the image ID being the
// config digest.
func writeImage(st cstorage.Store, top *cstorage.Layer, img *v1.Image, onbuild []string, mtype string, names []string, squash bool) (string, error) {
	var chain []*cstorage.Layer
	for l := top; l != nil; {
		chain = append([]*cstorage.Layer{l}, chain...)
		if l.Parent == "" || squash {
			break
		}
		p, err := st.Layer(l.Parent)
		if err != nil {
			return "", fmt.Errorf("reading layer %s: %w", l.Parent, err)
		}
		l = p
	}
	img.RootFS = v1.RootFS{Type: "layers"}
	layerType, configType := v1.MediaTypeImageLayer, v1.MediaTypeImageConfig
	if mtype == dockerManifestType {
		layerType, configType = dockerLayerType, dockerConfigType
	}
	var layers []v1.Descriptor
	for _, l := range chain {
		if l.UncompressedDigest == "" {
			return "", fmt.Errorf("layer %s has no recorded digest: %w", l.ID, engine.ErrInvalidArg)
		}
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, l.UncompressedDigest)
		layers = append(layers, v1.Descriptor{MediaType: layerType, Digest: l.UncompressedDigest, Size: l.UncompressedSize})
	}
	if squash {
		img.History = img.History[len(img.History)-1:]
	}
	config, err := json.Marshal(img)
	if err != nil {
		return "", err
	}
	if len(onbuild) > 0 && mtype == dockerManifestType {
		if config, err = withOnBuild(config, onbuild); err != nil {
			return "", err
		}
	}
	configDigest := digest.FromBytes(config)
	m := v1.Manifest{
		Versioned: specsgo.Versioned{SchemaVersion: 2},
		MediaType: mtype,
		Config:    v1.Descriptor{MediaType: configType, Digest: configDigest, Size: int64(len(config))},
		Layers:    layers,
	}
	manifest, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	manifestDigest := digest.FromBytes(manifest)
	id := configDigest.Encoded()
	_, err = st.CreateImage(id, names, top.ID, "", &cstorage.ImageOptions{
		CreationDate: *img.Created,
		Digest:       manifestDigest,
		BigData: []cstorage.ImageBigDataOption{
			{Key: configDigest.String(), Data: config, Digest: configDigest},
			{Key: "manifest-" + manifestDigest.String(), Data: manifest, Digest: manifestDigest},
			{Key: "manifest", Data: manifest, Digest: manifestDigest},
		},
	})
	if errors.Is(err, cstorage.ErrDuplicateID) {
		// Same config (and so the same content) committed before: name it.
		if len(names) > 0 {
			if err := st.AddNames(id, names); err != nil {
				return "", err
			}
		}
		return id, nil
	}
	if err != nil {
		return "", fmt.Errorf("storing the committed image: %w", err)
	}
	// A name now on this image leaves any image that had it (as a tag move).
	return id, nil
}

// withOnBuild adds Docker's config.OnBuild, which the OCI config lacks.
func withOnBuild(config []byte, onbuild []string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(config, &m); err != nil {
		return nil, err
	}
	var cc map[string]any
	if err := json.Unmarshal(m["config"], &cc); err != nil || cc == nil {
		cc = map[string]any{}
	}
	cc["OnBuild"] = onbuild
	raw, err := json.Marshal(cc)
	if err != nil {
		return nil, err
	}
	m["config"] = raw
	return json.Marshal(m)
}

// commitProgress prints what Podman (through containers/image) prints while
// committing, one line per layer and for the config.
func commitProgress(w io.Writer, st cstorage.Store, top *cstorage.Layer, id string, squash bool) {
	var lines []string
	for l := top; l != nil; {
		lines = append([]string{"Copying blob " + l.UncompressedDigest.String()}, lines...)
		if l.Parent == "" || squash {
			break
		}
		p, err := st.Layer(l.Parent)
		if err != nil {
			break
		}
		l = p
	}
	fmt.Fprintln(w, "Getting image source signatures")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w, "Copying config sha256:"+id)
	fmt.Fprintln(w, "Writing manifest to image destination")
}

// spoolFile is a temporary file on the store's filesystem (layers can be big).
func (e *Engine) spoolFile(st cstorage.Store) (*os.File, error) {
	dir := filepath.Join(st.GraphRoot(), "selkie", "tmp")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return os.CreateTemp(dir, "commit-*.tar")
}
