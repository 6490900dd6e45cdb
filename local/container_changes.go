package local

import (
	"context"
	"fmt"
	"sort"

	"github.com/selkie-containers/selkie/engine"
)

// ContainerChanges lists what changed in the container's rootfs against its
// image (the container layer against its parent), sorted by path.
func (e *Engine) ContainerChanges(ctx context.Context, ref string) ([]engine.FileChange, error) {
	c, err := e.lookupContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	st, err := e.Store()
	if err != nil {
		return nil, err
	}
	sc, err := st.Container(c.StorageID)
	if err != nil {
		return nil, fmt.Errorf("reading storage of container %s: %w", c.ID, err)
	}
	changes, err := st.Changes("", sc.LayerID)
	if err != nil {
		return nil, fmt.Errorf("computing changes of container %s: %w", c.ID, err)
	}
	out := make([]engine.FileChange, 0, len(changes))
	for _, ch := range changes {
		if initPaths[ch.Path] {
			continue
		}
		out = append(out, engine.FileChange{Path: ch.Path, Kind: int(ch.Kind)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// initPaths are created in the rootfs as mount points for the files and
// file systems the runtime mounts; Podman leaves them out of diff.
var initPaths = map[string]bool{
	"/dev": true, "/etc/hostname": true, "/etc/hosts": true, "/etc/resolv.conf": true,
	"/proc": true, "/run": true, "/run/notify": true, "/run/.containerenv": true,
	"/run/secrets": true, "/sys": true, "/etc/mtab": true,
}
