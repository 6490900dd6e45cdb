package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/selkie-containers/selkie/engine"
	"go.podman.io/image/v5/docker"
	dockerArchive "go.podman.io/image/v5/docker/archive"
	"go.podman.io/image/v5/docker/reference"
	ociArchive "go.podman.io/image/v5/oci/archive"
	ociLayout "go.podman.io/image/v5/oci/layout"
	"go.podman.io/image/v5/pkg/shortnames"
	storageTransport "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/transports"
	"go.podman.io/image/v5/transports/alltransports"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// Pulled is one image a pull stored.
type Pulled struct {
	ID   string
	Name string // the name it was stored under ("" when unnamed)
}

// Pull copies rawRef into the store. rawRef may carry a transport; without
// one it is a registry reference, and short names are resolved through
// registries.conf (aliases, unqualified-search registries, short-name mode).
func (m *Manager) Pull(ctx context.Context, rawRef string, o engine.ImagePullOptions, progress io.Writer) ([]Pulled, error) {
	if o.Quiet {
		progress = nil
	}
	sys, err := m.systemContext(o.RegistryOptions)
	if err != nil {
		return nil, err
	}
	sys.OSChoice, sys.ArchitectureChoice, sys.VariantChoice = o.OS, o.Arch, o.Variant
	if rawRef == "" {
		return nil, Errorf(engine.ErrInvalidArg, "invalid reference format")
	}
	src, err := alltransports.ParseImageName(rawRef)
	if err != nil {
		if t, _, ok := strings.Cut(rawRef, ":"); ok && transports.Get(t) != nil && t != docker.Transport.Name() {
			return nil, Errorf(engine.ErrInvalidArg, "%w", err)
		}
		if terr := unknownTransport(rawRef); terr != nil {
			return nil, terr
		}
		return m.pullRegistry(ctx, rawRef, true, o, sys, progress)
	}
	if src.Transport().Name() == docker.Transport.Name() {
		return m.pullRegistry(ctx, strings.TrimPrefix(rawRef, "docker://"), false, o, sys, progress)
	}
	if o.AllTags {
		return nil, Errorf(engine.ErrInvalidArg, "pulling all tags is not supported for %s transport", src.Transport().Name())
	}
	return m.pullTransport(ctx, src, sys, progress)
}

// unknownTransport reports "bogus:/x" and "bogus://x", which can only be
// meant as a transport; "bogus:x" stays a (short) image name as in Podman.
func unknownTransport(raw string) error {
	t, rest, ok := strings.Cut(raw, ":")
	if !ok || !strings.HasPrefix(rest, "/") {
		return nil
	}
	if _, err := reference.ParseNormalizedNamed(raw); err == nil {
		return nil
	}
	return Errorf(engine.ErrInvalidArg, "invalid image name %q, unknown transport %q (valid transports: %s)",
		raw, t, strings.Join(transports.ListNames(), ", "))
}

// pullRegistry pulls from a registry. short says the user typed no
// transport, so short-name resolution applies.
func (m *Manager) pullRegistry(ctx context.Context, name string, short bool, o engine.ImagePullOptions, sys *types.SystemContext, progress io.Writer) ([]Pulled, error) {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return nil, Errorf(engine.ErrInvalidArg, "parsing reference %q: %w", name, err)
	}
	if o.AllTags {
		return m.pullAllTags(ctx, named, o, sys, progress)
	}
	if !short || !shortnames.IsShortName(name) {
		p, err := m.pullCandidate(ctx, reference.TagNameOnly(named), o, sys, progress)
		if err != nil {
			return nil, err
		}
		return []Pulled{p}, nil
	}
	resolved, err := shortnames.Resolve(sys, name)
	if err != nil {
		return nil, Errorf(engine.ErrInvalidArg, "%w", err)
	}
	if desc := resolved.Description(); desc != "" && progress != nil {
		fmt.Fprintln(progress, desc)
	}
	var errs []error
	for _, c := range resolved.PullCandidates {
		p, err := m.pullCandidate(ctx, c.Value, o, sys, progress)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_ = c.Record() // recording the alias is best effort, as in Podman
		return []Pulled{p}, nil
	}
	if len(errs) == 1 {
		return nil, errs[0]
	}
	return nil, resolved.FormatPullErrors(errs)
}

func (m *Manager) pullCandidate(ctx context.Context, named reference.Named, o engine.ImagePullOptions, sys *types.SystemContext, progress io.Writer) (Pulled, error) {
	if progress != nil {
		fmt.Fprintf(progress, "Trying to pull %s...\n", named.String())
	}
	src, err := docker.NewReference(named)
	if err != nil {
		return Pulled{}, err
	}
	dst, err := storageTransport.Transport.NewStoreReference(m.store, named, "")
	if err != nil {
		return Pulled{}, err
	}
	n, delay, err := m.retryOptions(o.RegistryOptions)
	if err != nil {
		return Pulled{}, err
	}
	var img *cstorage.Image
	err = retry(ctx, progress, n, delay, func() error {
		var cerr error
		_, img, cerr = m.copyImage(ctx, src, dst, copyOptions{src: sys, progress: progress})
		return cerr
	})
	if err != nil {
		return Pulled{}, err
	}
	return Pulled{ID: img.ID, Name: named.String()}, nil
}

func (m *Manager) pullAllTags(ctx context.Context, named reference.Named, o engine.ImagePullOptions, sys *types.SystemContext, progress io.Writer) ([]Pulled, error) {
	if _, ok := named.(reference.Tagged); ok {
		return nil, Errorf(engine.ErrInvalidArg, "unable to pull %s: tag can't be used with --all-tags/-a", named)
	}
	if _, ok := named.(reference.Digested); ok {
		return nil, Errorf(engine.ErrInvalidArg, "unable to pull %s: digest can't be used with --all-tags/-a", named)
	}
	ref, err := docker.NewReference(reference.TagNameOnly(named)) // the tag is ignored when listing
	if err != nil {
		return nil, err
	}
	tags, err := docker.GetRepositoryTags(ctx, sys, ref)
	if err != nil {
		return nil, fmt.Errorf("unable to get tags: %w", err)
	}
	sort.Strings(tags)
	var out []Pulled
	for _, tag := range tags {
		t, err := reference.WithTag(named, tag)
		if err != nil {
			return nil, err
		}
		p, err := m.pullCandidate(ctx, t, o, sys, progress)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// pullTransport copies from a non-registry transport, naming the image as
// Podman does: archive tags, OCI ref names, else by ID only.
func (m *Manager) pullTransport(ctx context.Context, src types.ImageReference, sys *types.SystemContext, progress io.Writer) ([]Pulled, error) {
	switch src.Transport().Name() {
	case storageTransport.Transport.Name():
		img, err := storageTransport.Transport.GetStoreImage(m.store, src)
		if err != nil {
			return nil, Errorf(engine.ErrNoSuchImage, "%s: image not known", transports.ImageName(src))
		}
		return []Pulled{{ID: img.ID}}, nil
	case dockerArchive.Transport.Name():
		return m.pullDockerArchive(ctx, src, sys, progress)
	}
	name, err := localName(src, sys)
	if err != nil {
		return nil, err
	}
	dst, err := m.storageRef(ctx, sys, src, name)
	if err != nil {
		return nil, err
	}
	_, img, err := m.copyImage(ctx, src, dst, copyOptions{src: sys, progress: progress})
	if err != nil {
		return nil, err
	}
	if name != "" {
		if n, nerr := normalizeLocal(name); nerr == nil {
			name = n.String()
		}
	}
	return []Pulled{{ID: img.ID, Name: name}}, nil
}

// localName is the name an image from an OCI layout or archive is stored
// under: its ref-name annotation (or the layout's image part), else none.
func localName(src types.ImageReference, sys *types.SystemContext) (string, error) {
	switch src.Transport().Name() {
	case ociArchive.Transport.Name():
		desc, err := ociArchive.LoadManifestDescriptorWithContext(sys, src)
		if err != nil {
			return "", err
		}
		return validName(nameFromAnnotations(desc.Annotations)), nil
	case ociLayout.Transport.Name():
		// Podman names it after the layout directory, not the ref name.
		dir, _, _ := strings.Cut(src.StringWithinTransport(), ":")
		return validName("localhost/" + strings.TrimLeft(dir, "/")), nil
	}
	return "", nil
}

func nameFromAnnotations(a map[string]string) string {
	if n := a["io.containerd.image.name"]; n != "" {
		return n
	}
	return a["org.opencontainers.image.ref.name"]
}

// validName keeps name when it normalizes to a reference.
func validName(name string) string {
	if name == "" {
		return ""
	}
	if _, err := normalizeLocal(name); err != nil {
		return ""
	}
	return name
}

// pullDockerArchive stores every image of a docker archive (or the one the
// reference selects), under the tags it records.
func (m *Manager) pullDockerArchive(ctx context.Context, src types.ImageReference, sys *types.SystemContext, progress io.Writer) ([]Pulled, error) {
	reader, ref, err := dockerArchive.NewReaderForReference(sys, src)
	if err != nil {
		return nil, err
	}
	defer reader.Close()
	var groups [][]types.ImageReference                     // one group per image, one ref per tag
	if strings.Contains(src.StringWithinTransport(), ":") { // path:tag or path:@index
		groups = [][]types.ImageReference{{ref}}
	} else {
		if groups, err = reader.List(); err != nil {
			return nil, err
		}
	}
	var out []Pulled
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		r := g[0]
		var tags []string
		for _, gr := range g {
			t, err := reader.ManifestTagsForReference(gr)
			if err != nil {
				return nil, err
			}
			tags = append(tags, t...)
		}
		first := ""
		if len(tags) > 0 {
			first = tags[0]
		}
		dst, err := m.storageRef(ctx, sys, r, first)
		if err != nil {
			return nil, err
		}
		_, img, err := m.copyImage(ctx, r, dst, copyOptions{src: sys, progress: progress})
		if err != nil {
			return nil, err
		}
		for _, t := range tags[min(1, len(tags)):] {
			if err := m.addName(img.ID, t); err != nil {
				return nil, err
			}
		}
		name := ""
		if first != "" {
			n, _ := normalizeLocal(first)
			name = n.String()
		}
		out = append(out, Pulled{ID: img.ID, Name: name})
	}
	if len(out) == 0 {
		return nil, errors.New("no images found in archive")
	}
	return out, nil
}

// addName adds a (normalized) name to an image.
func (m *Manager) addName(id, name string) error {
	named, err := normalizeLocal(name)
	if err != nil {
		return err
	}
	return m.store.AddNames(id, []string{named.String()})
}
