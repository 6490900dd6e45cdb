package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
	"github.com/selkie-containers/selkie/internal/volume"
	"go.podman.io/storage/pkg/idtools"
	"golang.org/x/sys/unix"
)

// The runtime here (runc 1.1) does not know the OCI mount uidMappings, so
// Selkie makes idmapped mounts itself, as crun does inside the runtime:
// the source is cloned (open_tree), given the mapping of a user namespace
// (mount_setattr MOUNT_ATTR_IDMAP) and attached under
// <runroot>/selkie/idmap/<container ID>/<n>, which the spec then binds into
// the container. Those staging mounts are released by the container's
// cleanup (also after a crash: the next cleanup, rm or start finds them).
// They live outside the container's run dir, which rm removes recursively.

// idmapDir is the staging directory of a container's idmapped mounts.
func (e *Engine) idmapDir(id string) (string, error) {
	run, err := e.runDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(run, "idmap", id), nil
}

// validateIDMapMount refuses, at create, an idmap option that cannot work:
// rootless (the kernel allows idmapped mounts of host file systems only to
// the initial user namespace's root), with O, a bad custom mapping, a
// container without a user namespace and without a custom mapping, a bind
// source that is not a directory.
func (e *Engine) validateIDMapMount(o *engine.ContainerCreateOptions, m *engine.Mount) error {
	opt := idmapOption(m.Options)
	if opt == "" {
		return nil
	}
	if m.Type != "bind" && m.Type != "volume" {
		return &textError{msg: "idmap: invalid mount option", kind: engine.ErrInvalidArg}
	}
	if e.cfg.Rootless {
		return &textError{msg: "idmap: idmapped mounts need root (the kernel refuses them to a user namespace)", kind: engine.ErrInvalidArg}
	}
	if hasOption(m.Options, "O") {
		return &textError{msg: "can't use 'O' with other options", kind: engine.ErrInvalidArg}
	}
	var uids, gids []specs.LinuxIDMapping
	if uns, err := containerUserNS(o, e.cfg.Rootless); err == nil && (uns.Private || uns.Path != "") || strings.HasPrefix(o.UserNS, "container:") {
		// The mapping is known at start; stand-ins pass the check.
		uids = []specs.LinuxIDMapping{{Size: 1}}
		gids = uids
	}
	if _, _, err := volume.IDMapMappings(opt, uids, gids); err != nil {
		return err
	}
	if m.Type == "bind" {
		var st unix.Stat_t
		if err := unix.Stat(m.Source, &st); err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return &textError{msg: fmt.Sprintf("idmap: %s is not a directory", m.Source), kind: engine.ErrInvalidArg}
		}
	}
	return nil
}

func idmapOption(opts []string) string {
	for _, o := range opts {
		if volume.IsIDMapOption(o) {
			return o
		}
	}
	return ""
}

// containerIDMaps is the container's user namespace mapping relative to
// the namespace selkie runs in: --uidmap/--gidmap, the maps storage
// allocated for --userns=auto, or those of the namespace it joins
// (container:ID, ns:PATH, a pod's infra). Empty without a user namespace.
func (e *Engine) containerIDMaps(ctx context.Context, c *state.Container) ([]specs.LinuxIDMapping, []specs.LinuxIDMapping, error) {
	o := c.Options
	if id, ok := strings.CutPrefix(o.UserNS, "container:"); ok {
		if err := e.joinUserNS(ctx, id, &o); err != nil {
			return nil, nil, err
		}
	}
	uns, err := containerUserNS(&o, e.cfg.Rootless)
	if err != nil {
		return nil, nil, err
	}
	if uns.Auto {
		st, err := e.Store()
		if err != nil {
			return nil, nil, err
		}
		sc, err := st.Container(c.StorageID)
		if err != nil {
			return nil, nil, err
		}
		return fromIDMap(sc.UIDMap), fromIDMap(sc.GIDMap), nil
	}
	return uns.UIDMap, uns.GIDMap, nil
}

// idmapMount stages the idmapped mount of m (the n-th of the container)
// and returns m binding the staged mount instead of its source. The user
// namespace of each distinct mapping is made once per start (cache).
func (e *Engine) idmapMount(ctx context.Context, c *state.Container, m engine.Mount, n int, cache map[string]*os.File) (engine.Mount, error) {
	opt := idmapOption(m.Options)
	m.Options = withoutIDMap(m.Options)
	uids, gids, err := e.containerIDMaps(ctx, c)
	if err != nil {
		return m, err
	}
	uids, gids, err = volume.IDMapMappings(opt, uids, gids)
	if err != nil {
		return m, err
	}
	key := fmt.Sprint(uids, gids)
	ns := cache[key]
	if ns == nil {
		if ns, err = volume.NewUserNS(uids, gids); err != nil {
			return m, err
		}
		cache[key] = ns
	}
	dir, err := e.idmapDir(c.ID)
	if err != nil {
		return m, err
	}
	target := filepath.Join(dir, strconv.Itoa(n))
	if err := volume.MountIDMapped(m.Source, target, ns); err != nil {
		return m, err
	}
	e.log.Debug("idmapped mount staged", "id", c.ID, "source", m.Source, "staged", target)
	m.Source = target
	return m, nil
}

func withoutIDMap(opts []string) []string {
	out := make([]string, 0, len(opts))
	for _, o := range opts {
		if !volume.IsIDMapOption(o) {
			out = append(out, o)
		}
	}
	return out
}

// releaseIDMapMounts detaches the container's staged idmapped mounts.
func (e *Engine) releaseIDMapMounts(c *state.Container) {
	dir, err := e.idmapDir(c.ID)
	if err != nil {
		return
	}
	if err := volume.UnmountIDMapped(dir); err != nil {
		e.log.Warn("releasing idmapped mounts", "id", c.ID, "err", err)
	}
}

func fromIDMap(m []idtools.IDMap) []specs.LinuxIDMapping {
	out := make([]specs.LinuxIDMapping, 0, len(m))
	for _, x := range m {
		out = append(out, specs.LinuxIDMapping{ContainerID: uint32(x.ContainerID), HostID: uint32(x.HostID), Size: uint32(x.Size)})
	}
	return out
}
