package local

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/rootless"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/idtools"
)

// storageContainerOptions gives the container's layer the ID mapping of its
// user namespace (--userns=keep-id/nomap), so that the image's root files
// belong to the container's root. Errors in the mode are reported by spec
// generation; here they just mean no mapping.
func (e *Engine) storageContainerOptions(o *engine.ContainerCreateOptions) *cstorage.ContainerOptions {
	opts := &cstorage.ContainerOptions{}
	if o == nil || o.UserNS == "" {
		return opts
	}
	uns, err := rootless.ContainerUserNS(o.UserNS, e.cfg.Rootless)
	if err != nil || !uns.Private {
		return opts
	}
	opts.IDMappingOptions.UIDMap = toIDMap(uns.UIDMap)
	opts.IDMappingOptions.GIDMap = toIDMap(uns.GIDMap)
	return opts
}

func toIDMap(m []specs.LinuxIDMapping) []idtools.IDMap {
	out := make([]idtools.IDMap, 0, len(m))
	for _, x := range m {
		out = append(out, idtools.IDMap{ContainerID: int(x.ContainerID), HostID: int(x.HostID), Size: int(x.Size)})
	}
	return out
}
