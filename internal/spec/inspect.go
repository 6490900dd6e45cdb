package spec

import (
	"sort"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
)

// InspectCapabilities is the effective and bounding capability sets as
// `inspect` shows them (sorted by name, as Podman): the same computation as
// the runtime spec's. nonRoot is whether the process user is not root.
func InspectCapabilities(o *engine.ContainerCreateOptions, cfg *config.Config, nonRoot bool) (effective, bounding []string) {
	caps, err := capabilities(o, cfg, nonRoot)
	if err != nil || caps == nil {
		return nil, nil
	}
	effective = append([]string(nil), caps.Effective...)
	bounding = append([]string(nil), caps.Bounding...)
	sort.Strings(effective)
	sort.Strings(bounding)
	return effective, bounding
}
