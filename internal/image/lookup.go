package image

import (
	"errors"
	"strings"

	"github.com/opencontainers/go-digest"
	"github.com/selkie-containers/selkie/engine"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/pkg/shortnames"
	"go.podman.io/image/v5/pkg/sysregistriesv2"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// Lookup finds a local image by full or short ID (with or without
// "sha256:"), by full name, by short name (localhost/, the unqualified-search
// registries, then any repository ending in the name) or by digest.
func (m *Manager) Lookup(nameOrID string) (*cstorage.Image, error) {
	img, err := m.lookup(nameOrID)
	if err != nil {
		return nil, err
	}
	if img == nil {
		return nil, Errorf(engine.ErrNoSuchImage, "%s: image not known", nameOrID)
	}
	return img, nil
}

func (m *Manager) lookup(name string) (*cstorage.Image, error) {
	if name == "" {
		return nil, Errorf(engine.ErrInvalidArg, "invalid reference format")
	}
	name = strings.TrimPrefix(name, "containers-storage:")
	if id, ok := strings.CutPrefix(name, "sha256:"); ok && isHex(id) {
		name = id
	}
	if img, err := m.store.Image(name); err == nil {
		return img, nil
	} else if !errors.Is(err, cstorage.ErrImageUnknown) {
		return nil, err
	}
	if isHex(name) && len(name) >= 64 {
		return nil, nil
	}
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return nil, nil // not a name: simply not known
	}
	all, err := m.store.Images()
	if err != nil {
		return nil, err
	}
	if d, ok := named.(reference.Digested); ok {
		return lookupDigest(all, named, d.Digest(), shortnames.IsShortName(name)), nil
	}
	named = reference.TagNameOnly(named)
	tagged, _ := named.(reference.NamedTagged)
	for _, cand := range m.candidates(name, named) {
		if img, err := m.store.Image(cand); err == nil {
			return img, nil
		}
	}
	if !shortnames.IsShortName(name) || tagged == nil {
		return nil, nil
	}
	// A short name matches any repository whose path ends in it.
	suffix := "/" + reference.Path(named)
	if p, ok := strings.CutPrefix(reference.Path(named), "library/"); ok && !strings.Contains(name, "library/") {
		suffix = "/" + p
	}
	for i := range all {
		for _, n := range all[i].Names {
			nn, err := reference.ParseNormalizedNamed(n)
			if err != nil {
				continue
			}
			t, ok := nn.(reference.NamedTagged)
			if ok && t.Tag() == tagged.Tag() && strings.HasSuffix(nn.Name(), suffix) {
				return &all[i], nil
			}
		}
	}
	return nil, nil
}

// candidates lists the full names a (possibly short) name may have locally.
func (m *Manager) candidates(input string, named reference.Named) []string {
	if !shortnames.IsShortName(input) {
		return []string{named.String()}
	}
	rest := strings.TrimPrefix(named.String(), "docker.io/")
	rest = strings.TrimPrefix(rest, "library/")
	if strings.Contains(input, "library/") {
		rest = "library/" + rest
	}
	out := []string{"localhost/" + rest}
	regs, _ := sysregistriesv2.UnqualifiedSearchRegistries(&types.SystemContext{SystemRegistriesConfPath: m.opts.RegistriesConf})
	for _, r := range regs {
		out = append(out, r+"/"+rest)
	}
	return append(out, named.String())
}

func lookupDigest(all []cstorage.Image, named reference.Named, d digest.Digest, short bool) *cstorage.Image {
	for i := range all {
		if !hasDigest(&all[i], d) {
			continue
		}
		for _, n := range all[i].Names {
			nn, err := reference.ParseNormalizedNamed(n)
			if err != nil {
				continue
			}
			if nn.Name() == named.Name() || (short && strings.HasSuffix(nn.Name(), "/"+reference.Path(named))) {
				return &all[i]
			}
		}
	}
	return nil
}

func hasDigest(img *cstorage.Image, d digest.Digest) bool {
	if img.Digest == d {
		return true
	}
	for _, x := range img.Digests {
		if x == d {
			return true
		}
	}
	return false
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
