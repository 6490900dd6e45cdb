package image

import (
	"encoding/json"
	"path"
	"strconv"
	"strings"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/timearg"
	"go.podman.io/image/v5/docker/reference"
	cstorage "go.podman.io/storage"
)

// listing is a snapshot of the store that the filters and summaries share.
type listing struct {
	images     []cstorage.Image
	children   map[string]int // image ID -> number of child images
	containers map[string]int // image ID -> number of containers
}

func (m *Manager) snapshot() (*listing, error) {
	imgs, err := m.store.Images()
	if err != nil {
		return nil, err
	}
	l := &listing{images: imgs, children: map[string]int{}, containers: map[string]int{}}
	byTop := map[string][]string{}
	for _, img := range imgs {
		if img.TopLayer != "" {
			byTop[img.TopLayer] = append(byTop[img.TopLayer], img.ID)
		}
	}
	layers, err := m.store.Layers()
	if err != nil {
		return nil, err
	}
	parentOf := map[string]string{}
	for _, ly := range layers {
		parentOf[ly.ID] = ly.Parent
	}
	for i := range imgs {
		for _, pid := range byTop[parentOf[imgs[i].TopLayer]] {
			if m.isParent(pid, imgs[i].ID) {
				l.children[pid]++
			}
		}
		// A build step that only changed the config (ENV, CMD, …) has its
		// parent's top layer and a longer history.
		for _, pid := range byTop[imgs[i].TopLayer] {
			if pid != imgs[i].ID && m.isParent(pid, imgs[i].ID) {
				l.children[pid]++
			}
		}
	}
	ctrs, err := m.store.Containers()
	if err != nil {
		return nil, err
	}
	for _, c := range ctrs {
		l.containers[c.ImageID]++
	}
	return l, nil
}

// List returns summaries of the images matching the filters. Without all,
// intermediate images (unnamed, with children) are left out, as in Podman.
func (m *Manager) List(o engine.ImageListOptions) ([]engine.ImageSummary, error) {
	l, err := m.snapshot()
	if err != nil {
		return nil, err
	}
	filters := o.Filters
	if !o.All {
		filters = append(filters, "intermediate=false")
	}
	match, err := m.compileFilters(l, filters)
	if err != nil {
		return nil, err
	}
	out := []engine.ImageSummary{}
	for i := range l.images {
		img := &l.images[i]
		if !match(img) {
			continue
		}
		out = append(out, m.summary(l, img))
	}
	return out, nil
}

func (m *Manager) summary(l *listing, img *cstorage.Image) engine.ImageSummary {
	size, _ := m.store.ImageSize(img.ID)
	s := engine.ImageSummary{
		ID:          img.ID,
		RepoTags:    repoTags(img),
		RepoDigests: repoDigests(img),
		Size:        size,
		VirtualSize: size,
		Containers:  l.containers[img.ID],
		ReadOnly:    img.ReadOnly,
		Dangling:    len(img.Names) == 0 && l.children[img.ID] == 0,
		Names:       img.Names,
		Digest:      img.Digest.String(),
		History:     img.NamesHistory,
		Created:     img.Created.Unix(),
		CreatedAt:   time.Unix(img.Created.Unix(), 0).UTC(), // whole seconds, as Podman prints it
		Labels:      map[string]string{},
	}
	s.ParentID = m.parentID(img)
	if data, err := m.store.ImageBigData(img.ID, "sha256:"+img.ID); err == nil {
		s.ConfigDigest = "sha256:" + img.ID
		s.Labels = labelsOf(data)
	}
	return s
}

type imageFilter func(*cstorage.Image) bool

// compileFilters turns key=value filters into one predicate. Filters with
// different keys must all match; values of the same key are alternatives
// (labels must all match, as in Podman).
func (m *Manager) compileFilters(l *listing, filters []string) (imageFilter, error) {
	byKey := map[string][]imageFilter{}
	var keys []string
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, Errorf(engine.ErrInvalidArg, "invalid image filter %q: must be in the format \"filter=value or filter!=value\"", f)
		}
		fn, err := m.filter(l, k, v)
		if err != nil {
			return nil, err
		}
		if _, seen := byKey[k]; !seen {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], fn)
	}
	return func(img *cstorage.Image) bool {
		for _, k := range keys {
			fns := byKey[k]
			any := false
			for _, fn := range fns {
				ok := fn(img)
				if k == "label" && !ok {
					return false
				}
				any = any || ok
			}
			if !any {
				return false
			}
		}
		return true
	}, nil
}

func (m *Manager) filter(l *listing, key, value string) (imageFilter, error) {
	boolean := func() (bool, error) {
		b, err := strconv.ParseBool(value)
		if err != nil {
			return false, Errorf(engine.ErrInvalidArg, "non-boolean value %q for %s filter", value, key)
		}
		return b, nil
	}
	switch key {
	case "dangling", "intermediate", "readonly":
		want, err := boolean()
		if err != nil {
			return nil, err
		}
		return func(img *cstorage.Image) bool {
			var is bool
			switch key {
			case "dangling":
				is = len(img.Names) == 0 && l.children[img.ID] == 0
			case "intermediate":
				is = len(img.Names) == 0 && l.children[img.ID] > 0
			default:
				is = img.ReadOnly
			}
			return is == want
		}, nil
	case "label":
		lk, lv, hasValue := strings.Cut(value, "=")
		return func(img *cstorage.Image) bool {
			data, err := m.store.ImageBigData(img.ID, "sha256:"+img.ID)
			if err != nil {
				return false
			}
			v, ok := labelsOf(data)[lk]
			return ok && (!hasValue || v == lv)
		}, nil
	case "reference":
		return func(img *cstorage.Image) bool { return matchReference(img, value) }, nil
	case "before", "since":
		ref, err := m.Lookup(value)
		if err != nil {
			return nil, err
		}
		t := ref.Created
		if key == "before" {
			return func(img *cstorage.Image) bool { return img.Created.Before(t) }, nil
		}
		return func(img *cstorage.Image) bool { return img.Created.After(t) }, nil
	case "until":
		t, ok := timearg.Parse(value, time.Now())
		if !ok {
			return nil, Errorf(engine.ErrInvalidArg, "invalid until filter %q", value)
		}
		return func(img *cstorage.Image) bool { return img.Created.Before(t) }, nil
	case "id":
		v := strings.TrimPrefix(value, "sha256:")
		return func(img *cstorage.Image) bool { return strings.HasPrefix(img.ID, v) }, nil
	case "digest":
		return func(img *cstorage.Image) bool {
			for _, d := range append(img.Digests, img.Digest) {
				if d.String() == value {
					return true
				}
			}
			return false
		}, nil
	case "containers":
		want, err := boolean()
		if err != nil {
			return nil, err
		}
		return func(img *cstorage.Image) bool { return (l.containers[img.ID] > 0) == want }, nil
	}
	return nil, Errorf(engine.ErrInvalidArg, "unsupported image filter %q", key)
}

// matchReference matches a glob against every form of every name.
func matchReference(img *cstorage.Image, pattern string) bool {
	for _, n := range img.Names {
		named, err := reference.ParseNormalizedNamed(n)
		if err != nil {
			continue
		}
		cands := []string{n, named.Name(), reference.FamiliarName(named), reference.FamiliarString(named)}
		p := reference.Path(named)
		last := p[strings.LastIndex(p, "/")+1:]
		cands = append(cands, last)
		if t, ok := named.(reference.NamedTagged); ok {
			cands = append(cands, last+":"+t.Tag(), named.Name()+":"+t.Tag())
		}
		for _, c := range cands {
			if ok, _ := path.Match(pattern, c); ok {
				return true
			}
		}
	}
	return false
}

// isParent reports whether child was built on parent, as Podman decides it:
// the parent's layers and history are a prefix of the child's. (Sharing a
// base layer alone does not make two unrelated images parent and child.)
func (m *Manager) isParent(parentID, childID string) bool {
	p, perr := m.configOf(parentID)
	c, cerr := m.configOf(childID)
	if perr != nil || cerr != nil {
		return false
	}
	if len(p.RootFS.DiffIDs) > len(c.RootFS.DiffIDs) || len(p.History) >= len(c.History) {
		return false
	}
	for i := range p.RootFS.DiffIDs {
		if p.RootFS.DiffIDs[i] != c.RootFS.DiffIDs[i] {
			return false
		}
	}
	for i := range p.History {
		a, b := p.History[i], c.History[i]
		if a.CreatedBy != b.CreatedBy || a.Comment != b.Comment || a.EmptyLayer != b.EmptyLayer ||
			(a.Created == nil) != (b.Created == nil) || (a.Created != nil && !a.Created.Equal(*b.Created)) {
			return false
		}
	}
	return true
}

func (m *Manager) configOf(id string) (*v1.Image, error) {
	data, err := m.store.ImageBigData(id, "sha256:"+id)
	if err != nil {
		return nil, err
	}
	var c v1.Image
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	return &c, nil
}
