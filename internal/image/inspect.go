package image

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/manifest"
	storageTransport "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// imageData is what containers/image reads of a stored image.
type imageData struct {
	manifest     []byte
	manifestType string
	config       *v1.Image
	rawConfig    []byte
}

func (m *Manager) readImage(ctx context.Context, img *cstorage.Image) (*imageData, error) {
	ref, err := storageTransport.Transport.NewStoreReference(m.store, nil, img.ID)
	if err != nil {
		return nil, err
	}
	sys := &types.SystemContext{}
	src, err := ref.NewImage(ctx, sys)
	if err != nil {
		return nil, fmt.Errorf("reading image %s: %w", img.ID, err)
	}
	defer src.Close()
	d := &imageData{}
	d.manifest, d.manifestType, err = src.Manifest(ctx)
	if err != nil {
		return nil, err
	}
	if d.config, err = src.OCIConfig(ctx); err != nil {
		return nil, fmt.Errorf("reading config of image %s: %w", img.ID, err)
	}
	if d.rawConfig, err = src.ConfigBlob(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// Inspect builds Podman's inspect document for a stored image.
func (m *Manager) Inspect(ctx context.Context, img *cstorage.Image) (*engine.ImageInspect, error) {
	d, err := m.readImage(ctx, img)
	if err != nil {
		return nil, err
	}
	size, err := m.store.ImageSize(img.ID)
	if err != nil {
		size = -1
	}
	cfg := d.config
	out := &engine.ImageInspect{
		ID:           img.ID,
		Digest:       img.Digest.String(),
		RepoTags:     repoTags(img),
		RepoDigests:  repoDigests(img),
		Config:       &cfg.Config,
		Architecture: cfg.Architecture,
		Os:           cfg.OS,
		Author:       cfg.Author,
		Size:         size,
		VirtualSize:  size,
		Labels:       cfg.Config.Labels,
		ManifestType: d.manifestType,
		User:         cfg.Config.User,
		History:      cfg.History,
		NamesHistory: img.NamesHistory,
		Annotations:  map[string]string{},
		RootFS:       &engine.ImageRootFS{Type: cfg.RootFS.Type, Layers: []string{}},
	}
	if out.RepoTags == nil {
		out.RepoTags = []string{}
	}
	if out.NamesHistory == nil {
		out.NamesHistory = []string{}
	}
	if cfg.Created != nil {
		c := *cfg.Created
		out.Created = &c
	} else {
		c := img.Created
		out.Created = &c
	}
	for _, l := range cfg.RootFS.DiffIDs {
		out.RootFS.Layers = append(out.RootFS.Layers, l.String())
	}
	if d.manifestType == v1.MediaTypeImageManifest {
		var om v1.Manifest
		if json.Unmarshal(d.manifest, &om) == nil && om.Annotations != nil {
			out.Annotations = om.Annotations
		}
	}
	var docker struct {
		Comment       string `json:"comment"`
		DockerVersion string `json:"docker_version"`
		Parent        string `json:"parent"`
		Config        struct {
			Healthcheck *manifest.Schema2HealthConfig `json:"Healthcheck"`
		} `json:"config"`
	}
	if len(cfg.History) > 0 {
		out.Comment = cfg.History[0].Comment // what Podman shows
	}
	if json.Unmarshal(d.rawConfig, &docker) == nil {
		if docker.Comment != "" {
			out.Comment = docker.Comment
		}
		out.Version = docker.DockerVersion
		if hc := docker.Config.Healthcheck; hc != nil {
			out.HealthCheck = &engine.ImageHealthConfig{Test: hc.Test, StartPeriod: hc.StartPeriod, Interval: hc.Interval, Timeout: hc.Timeout, Retries: hc.Retries}
		}
	}
	out.Parent = m.parentID(img)
	out.GraphDriver = m.graphDriver(img)
	return out, nil
}

func (m *Manager) graphDriver(img *cstorage.Image) *engine.ImageGraphDriver {
	gd := &engine.ImageGraphDriver{Data: map[string]string{}}
	drv, err := m.store.GraphDriver()
	if err != nil {
		return gd
	}
	gd.Name = drv.String()
	if img.TopLayer != "" {
		if md, err := drv.Metadata(img.TopLayer); err == nil {
			gd.Data = md
			delete(gd.Data, "MergedDir") // Podman shows the lower, upper and work dirs
		}
	}
	return gd
}

// repoTags lists the names that are not digest references.
func repoTags(img *cstorage.Image) []string {
	var out []string
	for _, n := range img.Names {
		named, err := reference.ParseNormalizedNamed(n)
		if err != nil {
			continue
		}
		if _, ok := named.(reference.Digested); ok {
			continue
		}
		out = append(out, n)
	}
	return out
}

// repoDigests is repository@digest for every repository and digest.
func repoDigests(img *cstorage.Image) []string {
	seen := map[string]bool{}
	var out []string
	digests := img.Digests
	if len(digests) == 0 && img.Digest != "" {
		digests = append(digests, img.Digest)
	}
	for _, n := range img.Names {
		named, err := reference.ParseNormalizedNamed(n)
		if err != nil {
			continue
		}
		for _, d := range digests {
			s := named.Name() + "@" + d.String()
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.Strings(out) // Podman lists them sorted
	return out
}

// parentID is the image whose top layer is the parent of img's top layer.
func (m *Manager) parentID(img *cstorage.Image) string {
	if img.TopLayer == "" {
		return ""
	}
	l, err := m.store.Layer(img.TopLayer)
	if err != nil || l.Parent == "" {
		return ""
	}
	imgs, err := m.store.ImagesByTopLayer(l.Parent)
	if err != nil {
		return ""
	}
	for _, p := range imgs {
		if m.isParent(p.ID, img.ID) {
			return p.ID
		}
	}
	return ""
}

// History lists the image's history newest first, as `podman history`
// does: walking down the layers, an entry whose layer is the top layer of an
// image shows that image's ID (each ID once), the others "<missing>".
func (m *Manager) History(ctx context.Context, img *cstorage.Image) ([]engine.ImageHistoryEntry, error) {
	d, err := m.readImage(ctx, img)
	if err != nil {
		return nil, err
	}
	hist := d.config.History
	if len(hist) == 0 {
		hist = []v1.History{{Created: &img.Created}}
	}
	var layer *cstorage.Layer
	if img.TopLayer != "" {
		if layer, err = m.store.Layer(img.TopLayer); err != nil {
			return nil, err
		}
	}
	used := map[string]bool{}
	out := make([]engine.ImageHistoryEntry, 0, len(hist))
	for x := len(hist) - 1; x >= 0; x-- {
		h := hist[x]
		e := engine.ImageHistoryEntry{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment}
		if h.Created != nil {
			e.Created = *h.Created
		}
		if x == len(hist)-1 {
			e.ID = img.ID
			e.Tags = repoTags(img)
			used[img.ID] = true
		}
		if layer != nil {
			if !h.EmptyLayer {
				e.Size = layer.UncompressedSize
			}
			if imgs, err := m.store.ImagesByTopLayer(layer.ID); err == nil && len(imgs) > 0 && e.ID == "<missing>" && !used[imgs[0].ID] {
				e.ID = imgs[0].ID
				used[e.ID] = true
			}
			if layer.Parent != "" && !h.EmptyLayer {
				if layer, err = m.store.Layer(layer.Parent); err != nil {
					return nil, err
				}
			}
		}
		out = append(out, e)
	}
	return out, nil
}
