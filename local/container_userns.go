package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/rootless"
	"github.com/selkie-containers/selkie/internal/state"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/idtools"
	"golang.org/x/sys/unix"
)

// storageContainerOptions gives the container's layer the ID mapping of its
// user namespace (--userns=keep-id/nomap), so that the image's root files
// belong to the container's root. Errors in the mode are reported by spec
// generation; here they just mean no mapping.
func (e *Engine) storageContainerOptions(o *engine.ContainerCreateOptions) *cstorage.ContainerOptions {
	opts := &cstorage.ContainerOptions{}
	if o == nil {
		return opts
	}
	if id, ok := strings.CutPrefix(o.UserNS, "container:"); ok {
		// The other container's mapping, so the rootfs owners match.
		if st, err := e.Store(); err == nil {
			if sc, err := st.Container(id); err == nil {
				opts.IDMappingOptions.UIDMap, opts.IDMappingOptions.GIDMap = sc.UIDMap, sc.GIDMap
			}
		}
		return opts
	}
	uns, err := containerUserNS(o, e.cfg.Rootless)
	if err != nil || !uns.Private {
		return opts
	}
	if uns.Auto {
		opts.IDMappingOptions.AutoUserNs = true
		opts.IDMappingOptions.AutoUserNsOpts.Size = uns.AutoSize
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

// nsIDs translates a container UID/GID into the IDs of the namespace selkie
// runs in, through the container's own user namespace when it has one
// (--userns=keep-id/nomap), for `-v …:U`.
func (e *Engine) nsIDs(o *engine.ContainerCreateOptions, uid, gid int) (int, int) {
	uns, err := containerUserNS(o, e.cfg.Rootless)
	if err != nil || !uns.Private || len(uns.UIDMap) == 0 || len(uns.GIDMap) == 0 {
		return uid, gid // (auto: the allocated maps are not translated yet)
	}
	return translate(uns.UIDMap, uid), translate(uns.GIDMap, gid)
}

// defaultUser is the process user the user namespace mode implies when
// neither --user nor the image sets one (keep-id: the user's IDs).
func (e *Engine) defaultUser(o *engine.ContainerCreateOptions) string {
	uns, err := containerUserNS(o, e.cfg.Rootless)
	if err != nil {
		return ""
	}
	return uns.User
}

func translate(m []specs.LinuxIDMapping, id int) int {
	for _, x := range m {
		if id >= int(x.ContainerID) && id < int(x.ContainerID)+int(x.Size) {
			return int(x.HostID) + id - int(x.ContainerID)
		}
	}
	return 65534 // unmapped: the overflow ID
}

func containerUserNS(o *engine.ContainerCreateOptions, isRootless bool) (rootless.UserNS, error) {
	return rootless.ContainerUserNSMaps(o.UserNS, o.UIDMap, o.GIDMap, o.SubUIDName, o.SubGIDName, isRootless)
}

// makeRootfsReachable lets the root of a container with its own user
// namespace reach its root filesystem, as Podman's makeAccessible does (runc
// mounts the rootfs from inside the namespace): every directory above it
// that this process owns gets search permission (o+x, never read).
// Directories owned by the container's root are left alone.
func makeRootfsReachable(s *specs.Spec) error {
	if s == nil || s.Linux == nil || len(s.Linux.UIDMappings) == 0 || s.Root == nil {
		return nil
	}
	uid := translate(s.Linux.UIDMappings, 0)
	gid := translate(s.Linux.GIDMappings, 0)
	me := os.Geteuid()
	for dir := filepath.Dir(s.Root.Path); dir != "/" && dir != "."; dir = filepath.Dir(dir) {
		var st unix.Stat_t
		if err := unix.Stat(dir, &st); err != nil {
			return err
		}
		if (int(st.Uid) == uid && int(st.Gid) == gid) || int(st.Uid) != me || st.Mode&0o111 == 0o111 {
			continue
		}
		if err := os.Chmod(dir, os.FileMode(st.Mode&0o777|0o111)); err != nil {
			return fmt.Errorf("making %s reachable for the container's user namespace: %w", dir, err)
		}
	}
	return nil
}

// autoUserNS gives a --userns=auto container the mappings containers/storage
// allocated for it (from /etc/subuid's "containers" ranges as root, from the
// user's namespace rootless) as explicit maps for spec generation.
func (e *Engine) autoUserNS(ctx context.Context, st cstorage.Store, storageID string, o *engine.ContainerCreateOptions) error {
	if id, ok := strings.CutPrefix(o.UserNS, "container:"); ok {
		return e.joinUserNS(ctx, id, o)
	}
	if kind, _, _ := strings.Cut(o.UserNS, ":"); kind != "auto" {
		return nil
	}
	sc, err := st.Container(storageID)
	if err != nil {
		return err
	}
	if len(sc.UIDMap) == 0 || len(sc.GIDMap) == 0 {
		return fmt.Errorf("userns=auto: the storage container has no ID mappings")
	}
	o.UserNS = ""
	o.UIDMap, o.GIDMap = triples(sc.UIDMap), triples(sc.GIDMap)
	return nil
}

func triples(m []idtools.IDMap) []string {
	out := make([]string, 0, len(m))
	for _, x := range m {
		out = append(out, fmt.Sprintf("%d:%d:%d", x.ContainerID, x.HostID, x.Size))
	}
	return out
}

// joinUserNS turns --userns=container:ID into the running container's
// namespace path (or, when that container shares ours, no namespace).
func (e *Engine) joinUserNS(ctx context.Context, id string, o *engine.ContainerCreateOptions) error {
	db, err := e.db(ctx)
	if err != nil {
		return err
	}
	d, err := db.Container(ctx, id)
	if err != nil {
		return err
	}
	if d.State.Pid <= 0 || (d.State.Status != state.StatusRunning && d.State.Status != state.StatusPaused) {
		return fmt.Errorf("userns: container %s is not running: %w", id, engine.ErrCtrStateInvalid)
	}
	path := fmt.Sprintf("/proc/%d/ns/user", d.State.Pid)
	theirs, err := os.Readlink(path)
	if err != nil {
		return fmt.Errorf("userns of container %s: %w", id, err)
	}
	ours, _ := os.Readlink("/proc/self/ns/user")
	if theirs == ours {
		o.UserNS = ""
		return nil
	}
	o.UserNS = "ns:" + path
	return nil
}

// validateUserNS refuses a --userns/--uidmap combination before anything is
// created (keep-id and nomap as root, bad maps), with Podman's wording.
func (e *Engine) validateUserNS(o *engine.ContainerCreateOptions) error {
	if _, ok := strings.CutPrefix(o.UserNS, "container:"); ok {
		return nil
	}
	if _, err := containerUserNS(o, e.cfg.Rootless); err != nil {
		return &textError{msg: err.Error(), kind: engine.ErrInvalidArg}
	}
	return nil
}
