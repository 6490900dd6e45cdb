package image

import (
	"encoding/json"
	"strings"

	"github.com/selkie-containers/selkie/engine"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/pkg/shortnames"
)

// normalizeLocal gives a name the form Podman stores: a short name gets
// "localhost/", a missing tag becomes "latest".
func normalizeLocal(name string) (reference.Named, error) {
	if shortnames.IsShortName(name) {
		name = "localhost/" + strings.TrimPrefix(name, "/")
	}
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return nil, Errorf(engine.ErrInvalidArg, "normalizing name %q: %w", name, err)
	}
	if _, ok := named.(reference.Digested); ok {
		return named, nil
	}
	return reference.TagNameOnly(named), nil
}

// splitRepoTag splits a stored name into repository and tag for tables;
// "<none>" stands for a missing part.
func splitRepoTag(name string) (repo, tag string) {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return name, "<none>"
	}
	repo = named.Name()
	tag = "<none>"
	if t, ok := named.(reference.NamedTagged); ok {
		tag = t.Tag()
	}
	return repo, tag
}

// labelsOf reads config.Labels of a raw image config.
func labelsOf(rawConfig []byte) map[string]string {
	var c struct {
		Config struct {
			Labels map[string]string `json:"Labels"`
		} `json:"config"`
	}
	if json.Unmarshal(rawConfig, &c) != nil || c.Config.Labels == nil {
		return map[string]string{}
	}
	return c.Config.Labels
}
