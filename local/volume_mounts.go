package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/copier"
	"github.com/selkie-containers/selkie/internal/spec"
	"github.com/selkie-containers/selkie/internal/state"
	"github.com/selkie-containers/selkie/internal/volume"
	"golang.org/x/sys/unix"
)

// createVolumeMounts completes o.Mounts at create time, before anything is
// written for the container: bind sources must exist (Podman's statfs
// error), named volumes are created on first use, anonymous ones (-v /dst,
// image VOLUMEs) get a fresh volume each, --volumes-from copies the other
// container's volume and bind mounts. undo removes the anonymous volumes
// it created (the caller runs it when the create fails later).
func (e *Engine) createVolumeMounts(ctx context.Context, o *engine.ContainerCreateOptions, img *v1.Image) (undo func(), err error) {
	var anon []string
	removeAnon := func() {
		for _, n := range anon {
			_ = e.removeVolume(context.WithoutCancel(ctx), n)
		}
	}
	defer func() {
		if err != nil {
			removeAnon()
			undo = func() {}
		}
	}()
	seen := map[string]bool{}
	// Validate first, so that bad input creates nothing.
	for i := range o.Mounts {
		m := &o.Mounts[i]
		m.Destination = path.Clean(m.Destination)
		if seen[m.Destination] {
			return nil, fmt.Errorf("%s: duplicate mount destination: %w", m.Destination, engine.ErrInvalidArg)
		}
		seen[m.Destination] = true
		switch m.Type {
		case "glob", "ramfs": // newer than Podman 4.3, which refuses them so
			return nil, &textError{msg: fmt.Sprintf("invalid filesystem type %q", m.Type), kind: engine.ErrInvalidArg}
		case "bind":
			if !filepath.IsAbs(m.Source) {
				abs, err := filepath.Abs(m.Source)
				if err != nil {
					return nil, err
				}
				m.Source = abs
			}
			var fs unix.Statfs_t
			if err := unix.Statfs(m.Source, &fs); err != nil {
				return nil, &textError{msg: fmt.Sprintf("statfs %s: %v", m.Source, err), kind: engine.ErrInvalidArg}
			}
		case "image":
			if m.Source == "" {
				return nil, fmt.Errorf("must set source for image mount: %w", engine.ErrInvalidArg)
			}
			if _, err := e.ImageInspect(ctx, m.Source); err != nil {
				return nil, err
			}
		case "volume":
			if m.Name != "" {
				if err := volume.ValidateName(m.Name); err != nil {
					return nil, err
				}
			}
		}
		if err := e.validateIDMapMount(o, m); err != nil {
			return nil, err
		}
		for _, op := range m.Options {
			if op == "O" && m.Type == "volume" && m.Name == "" {
				return nil, fmt.Errorf("overlay mounts need a source: %w", engine.ErrInvalidArg)
			}
		}
	}
	// --volumes-from: the other container's volume and bind mounts.
	for _, ref := range o.VolumesFrom {
		name, opts, _ := strings.Cut(ref, ":")
		mode := ""
		for _, op := range strings.Split(opts, ",") {
			switch op {
			case "", "z":
			case "ro", "rw":
				mode = op
			default:
				return nil, fmt.Errorf("invalid option %q specified - volumes from another container can only use z,ro,rw options: %w", op, engine.ErrInvalidArg)
			}
		}
		src, err := e.lookupContainer(ctx, name)
		if err != nil {
			return nil, err
		}
		for _, m := range src.Options.Mounts {
			if m.Type != "volume" && m.Type != "bind" {
				continue
			}
			if seen[m.Destination] {
				continue
			}
			seen[m.Destination] = true
			m.Options = append([]string(nil), m.Options...)
			if mode == "ro" {
				m.RW = false
				m.Options = append(withoutOpt(m.Options, "rw"), "ro")
			} else if mode == "rw" {
				m.RW = true
				m.Options = withoutOpt(m.Options, "ro")
			}
			o.Mounts = append(o.Mounts, m)
		}
	}
	// Image VOLUMEs become anonymous volumes (or tmpfs, or nothing).
	if img != nil && o.ImageVolume != "ignore" {
		var dests []string
		for d := range img.Config.Volumes {
			dests = append(dests, copier.Clean(d)) // "/../../etc" stays inside: /etc (B8)
		}
		sort.Strings(dests)
		for _, d := range dests {
			if seen[d] || d == "/" {
				continue
			}
			seen[d] = true
			if o.ImageVolume == "tmpfs" {
				o.Mounts = append(o.Mounts, engine.Mount{Type: "tmpfs", Source: "tmpfs", Destination: d, RW: true, Options: []string{}})
				continue
			}
			o.Mounts = append(o.Mounts, engine.Mount{Type: "volume", Destination: d, RW: true, Options: []string{}})
		}
	}
	for i := range o.Mounts {
		m := &o.Mounts[i]
		if m.Type == "volume" || m.Type == "bind" {
			defaultMountOptions(m)
		}
		if m.Type != "volume" {
			continue
		}
		// --mount type=volume,volume-opt=K=V,volume-driver=D: the options
		// of a volume made on first use, as Podman.
		var vopts map[string]string
		for _, op := range m.Options {
			if kv, ok := strings.CutPrefix(op, "volume-opt="); ok {
				k, v, _ := strings.Cut(kv, "=")
				if vopts == nil {
					vopts = map[string]string{}
				}
				vopts[k] = v
			}
		}
		if m.Name == "" {
			v, err := e.VolumeCreate(ctx, engine.VolumeCreateOptions{Anonymous: true, Options: vopts, Driver: m.Driver})
			if err != nil {
				return nil, err
			}
			anon = append(anon, v.Name)
			m.Name, m.Source, m.Driver = v.Name, v.Mountpoint, v.Driver
			continue
		}
		v, err := e.VolumeCreate(ctx, engine.VolumeCreateOptions{Name: m.Name, Ignore: true, Options: vopts, Driver: m.Driver})
		if err != nil {
			return nil, err
		}
		m.Source, m.Driver = v.Mountpoint, v.Driver
	}
	return removeAnon, nil
}

// defaultMountOptions gives volume and bind mounts Podman's defaults, as
// inspect shows them: volumes nosuid,nodev (unless suid/dev), both rbind
// (unless bind) and rprivate propagation.
func defaultMountOptions(m *engine.Mount) {
	// z/Z (relabel=shared|private) show as the mount's Mode, as in Podman.
	for _, l := range []string{"z", "Z"} {
		if hasOption(m.Options, l) {
			m.Mode = l
			m.Options = withoutOpt(m.Options, l)
		}
	}
	has := func(o string) bool { return hasOption(m.Options, o) }
	if m.Type == "volume" {
		if !has("suid") && !has("nosuid") {
			m.Options = append(m.Options, "nosuid")
		}
		if !has("dev") && !has("nodev") {
			m.Options = append(m.Options, "nodev")
		}
	}
	if !has("bind") && !has("rbind") {
		m.Options = append(m.Options, "rbind")
	}
	if m.Propagation == "" {
		m.Propagation = "rprivate"
		for _, p := range []string{"shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable"} {
			if has(p) {
				m.Propagation = p
			}
		}
	}
}

func withoutOpt(opts []string, o string) []string {
	out := opts[:0]
	for _, x := range opts {
		if x != o {
			out = append(out, x)
		}
	}
	return out
}

// volumesFile lists, in the container's run dir, the mount-backed volumes
// this run mounted, so that cleanup releases each exactly once.
func volumesFile(runDir string) string { return filepath.Join(runDir, "volumes-mounted") }

// imagesFile lists the images mounted for --mount type=image.
func imagesFile(runDir string) string { return filepath.Join(runDir, "images-mounted") }

// startVolumeMounts turns the container's volume mounts into bind mounts of
// the volumes' directories for spec generation: mount-backed volumes are
// mounted, a new volume is populated from the image content at its
// destination (copy-up, once: the flag is cleared before copying, and only
// an empty volume is filled; CVE-2020-1726), options the runtime does not
// know are dropped, U chowns the source to the container user.
func (e *Engine) startVolumeMounts(ctx context.Context, c *state.Container, rootfs, runDir string) ([]engine.Mount, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, err
	}
	var user *spec.User
	containerUser := func() (*spec.User, error) {
		if user != nil {
			return user, nil
		}
		us := c.Options.User
		if us == "" {
			us = e.defaultUser(&c.Options)
		}
		if us == "" && c.ImageConfig != nil {
			us = c.ImageConfig.Config.User
		}
		u, err := spec.LookupUser(rootfs, us, nil)
		if err != nil {
			return nil, err
		}
		user = u
		return u, nil
	}
	var mounted, imgs []string
	e.releaseIDMapMounts(c) // a previous run's, if its cleanup never ran
	userns := map[string]*os.File{}
	defer func() {
		for _, f := range userns {
			f.Close()
		}
	}()
	out := make([]engine.Mount, 0, len(c.Options.Mounts))
	for i, m := range c.Options.Mounts {
		m.Options = append([]string(nil), m.Options...)
		copyUp := true
		chown := false
		imageRW := m.Type == "image" && hasOption(m.Options, "rw=true")
		var kept []string
		for _, op := range m.Options {
			key, val, _ := strings.Cut(op, "=")
			switch key {
			case "nocopy", "volume-nocopy":
				copyUp = val == "" || val == "true"
				copyUp = !copyUp
			case "idmap":
				kept = append(kept, op) // for idmapMount below
			case "copy", "z", "Z", "relabel", "volume-opt", "volume-label", "consistency", "bind-nonrecursive":
			case "U", "chown":
				chown = val == "" || val == "true"
			default:
				if m.Type == "tmpfs" || m.Type == "devpts" || !strings.Contains(op, "=") {
					kept = append(kept, op)
				}
			}
		}
		m.Options = kept
		if m.Type == "volume" {
			v, err := db.Volume(ctx, m.Name)
			if err != nil {
				return nil, fmt.Errorf("volume %s of container %s: %w", m.Name, c.ID, err)
			}
			if volume.NeedsMount(v.Options) {
				if err := e.mountVolume(ctx, v.Name); err != nil {
					return nil, err
				}
				mounted = append(mounted, v.Name)
				if err := os.WriteFile(volumesFile(runDir), []byte(strings.Join(mounted, "\n")), 0o600); err != nil {
					return nil, err
				}
			}
			if v.NeedsCopyUp || v.NeedsChown { // re-checked under the volume's lock
				if err := e.copyUp(ctx, v.Name, rootfs, m.Destination, copyUp, containerUser); err != nil {
					return nil, err
				}
			}
			m.Type = "bind"
			m.Source = v.Mountpoint
		}
		if m.Type == "image" {
			p, err := e.ImageMount(ctx, m.Source)
			if err != nil {
				return nil, err
			}
			imgs = append(imgs, m.Source)
			if err := os.WriteFile(imagesFile(runDir), []byte(strings.Join(imgs, "\n")), 0o600); err != nil {
				return nil, err
			}
			m = engine.Mount{Type: "bind", Source: p, Destination: m.Destination, Options: []string{"ro", "nosuid", "nodev"}}
			if imageRW {
				// rw=true: writes go to a throwaway upper layer, as Podman's.
				if m, err = overlayMount(engine.Mount{Source: p, Destination: m.Destination, Options: []string{"nosuid", "nodev"}}, runDir); err != nil {
					return nil, err
				}
			}
		}
		if chown && m.Type == "tmpfs" {
			// As Podman: the tmpfs belongs to the container's user.
			u, err := containerUser()
			if err != nil {
				return nil, err
			}
			m.Options = append(m.Options, fmt.Sprintf("uid=%d", u.UID), fmt.Sprintf("gid=%d", u.GID))
		}
		if chown && m.Type == "bind" {
			u, err := containerUser()
			if err != nil {
				return nil, err
			}
			uid, gid := e.nsIDs(&c.Options, int(u.UID), int(u.GID))
			if err := chownTree(m.Source, uid, gid); err != nil {
				return nil, err
			}
		}
		if m.Type == "bind" && idmapOption(m.Options) != "" {
			if m, err = e.idmapMount(ctx, c, m, i, userns); err != nil {
				return nil, err
			}
		}
		if m.Type == "bind" && hasOption(m.Options, "O") {
			om, err := overlayMount(m, runDir)
			if err != nil {
				return nil, err
			}
			m = om
		}
		out = append(out, m)
	}
	return out, nil
}

func hasOption(opts []string, o string) bool {
	for _, x := range opts {
		if x == o {
			return true
		}
	}
	return false
}

// copyUp fills a new, empty volume from the rootfs content at dest.
func (e *Engine) copyUp(ctx context.Context, name, rootfs, dest string, allowed bool, containerUser func() (*spec.User, error)) error {
	db, err := e.db(ctx)
	if err != nil {
		return err
	}
	unlock, err := e.lockMgr.Volume(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	v, err := db.Volume(ctx, name)
	if err != nil {
		return err
	}
	if !v.NeedsCopyUp && !v.NeedsChown {
		return nil
	}
	doCopy, doChown := v.NeedsCopyUp && allowed, v.NeedsChown
	// Clear the flags before copying: a kill -9 mid-copy must not lead to a
	// second copy over what the user put in the volume since.
	v.NeedsCopyUp, v.NeedsChown = false, false
	if err := db.Update(ctx, func(tx *state.Tx) error { return tx.PutVolume(v) }); err != nil {
		return err
	}
	src, err := copier.OpenRoot(rootfs)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := copier.OpenRoot(v.Mountpoint)
	if err != nil {
		return err
	}
	defer dst.Close()
	empty, err := dst.IsEmptyDir("/")
	if err != nil || !empty {
		return err
	}
	st, serr := src.Stat(dest)
	if serr == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		if doChown {
			uid, gid := volume.Owner(v.Options)
			if uid < 0 {
				uid = int(st.Uid)
			}
			if gid < 0 {
				gid = int(st.Gid)
			}
			if err := os.Lchown(v.Mountpoint, uid, gid); err != nil {
				return err
			}
			if err := unix.Chmod(v.Mountpoint, st.Mode&0o7777); err != nil { // raw bits: sticky/setgid kept
				return err
			}
		}
		if doCopy {
			if err := copier.Copy(src, dest, dst, "/", "."); err != nil {
				return fmt.Errorf("copying up the content of %s into volume %s: %w", dest, name, err)
			}
			e.log.Debug("volume populated from the image", "volume", name, "path", dest)
		}
		return nil
	}
	if doChown {
		// Nothing at the mount point in the image: the volume belongs to
		// the container's user.
		if uid, gid := volume.Owner(v.Options); uid >= 0 || gid >= 0 {
			return nil
		}
		u, err := containerUser()
		if err == nil && (u.UID != 0 || u.GID != 0) {
			return os.Lchown(v.Mountpoint, int(u.UID), int(u.GID))
		}
	}
	return nil
}

// chownTree chowns a directory tree without following symlinks.
func chownTree(root string, uid, gid int) error {
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// overlayMount turns a bind mount with O into an overlay with the source as
// lower layer and a throwaway upper/work dir under the run dir.
func overlayMount(m engine.Mount, runDir string) (engine.Mount, error) {
	base := filepath.Join(runDir, "overlay", strings.ReplaceAll(strings.TrimPrefix(m.Destination, "/"), "/", "_"))
	upper, work := filepath.Join(base, "upper"), filepath.Join(base, "work")
	_ = os.RemoveAll(base)
	for _, d := range []string{upper, work} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return m, err
		}
	}
	opts := []string{"lowerdir=" + m.Source, "upperdir=" + upper, "workdir=" + work}
	for _, op := range m.Options {
		switch op {
		case "O", "ro", "rw", "bind", "rbind":
		default:
			opts = append(opts, op)
		}
	}
	return engine.Mount{Type: "overlay", Source: "overlay", Destination: m.Destination, RW: true, Options: opts}, nil
}

// releaseVolumeMounts unmounts (counts down) the mount-backed volumes the
// last start mounted; idempotent.
func (e *Engine) releaseVolumeMounts(ctx context.Context, c *state.Container) {
	e.releaseIDMapMounts(c)
	runDir, err := e.ctrRunDir(c.ID)
	if err != nil {
		return
	}
	if data, err := os.ReadFile(imagesFile(runDir)); err == nil {
		_ = os.Remove(imagesFile(runDir))
		for _, n := range strings.Split(string(data), "\n") {
			if n == "" {
				continue
			}
			if err := e.ImageUnmount(ctx, n, false); err != nil {
				e.log.Warn("unmounting image", "image", n, "id", c.ID, "err", err)
			}
		}
	}
	data, err := os.ReadFile(volumesFile(runDir))
	if err != nil {
		return
	}
	_ = os.Remove(volumesFile(runDir))
	for _, n := range strings.Split(string(data), "\n") {
		if n == "" {
			continue
		}
		if err := e.unmountVolume(ctx, n); err != nil && !errors.Is(err, engine.ErrNoSuchVolume) {
			e.log.Warn("unmounting volume", "volume", n, "id", c.ID, "err", err)
		}
	}
}

// removeAnonVolumes removes the anonymous volumes of a removed container
// (rm -v, run --rm), unless another container uses them (--volumes-from).
func (e *Engine) removeAnonVolumes(ctx context.Context, c *state.Container) {
	db, err := e.db(ctx)
	if err != nil {
		return
	}
	for _, m := range c.Options.Mounts {
		if m.Type != "volume" || m.Name == "" {
			continue
		}
		v, err := db.Volume(ctx, m.Name)
		if err != nil || !v.Anonymous {
			continue
		}
		if err := e.removeVolume(ctx, m.Name); err != nil && !errors.Is(err, engine.ErrVolumeInUse) && !errors.Is(err, engine.ErrNoSuchVolume) {
			e.log.Warn("removing anonymous volume", "volume", m.Name, "id", c.ID, "err", err)
		}
	}
}

// inspectMount is a mount as Podman's inspect shows it in .Mounts: no
// tmpfs/devpts (they are in HostConfig.Tmpfs), ro/rw only as RW, the
// propagation only as Propagation.
func inspectMount(m engine.Mount) (engine.Mount, bool) {
	if m.Type == "tmpfs" || m.Type == "devpts" {
		return m, false
	}
	opts := make([]string, 0, len(m.Options))
	for _, o := range m.Options {
		switch o {
		case "ro", "rw", "shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable":
			continue
		}
		opts = append(opts, o)
	}
	m.Options = opts
	return m, true
}
