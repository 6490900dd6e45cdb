package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/copier"
	"github.com/selkie-containers/selkie/internal/state"
	"github.com/selkie-containers/selkie/internal/timearg"
	"github.com/selkie-containers/selkie/internal/volume"
	"go.podman.io/storage/pkg/archive"
)

// volumePath is where volumes live: containers.conf volume_path, or
// <graphroot>/volumes as Podman.
func (e *Engine) volumePath() (string, error) {
	gr, _, err := e.roots()
	if err != nil {
		return "", err
	}
	return e.cfg.Paths(gr).VolumePath, nil
}

// VolumeCreate records the volume first (reserving the name), then makes
// its directories; a failure removes the record again.
func (e *Engine) VolumeCreate(ctx context.Context, o engine.VolumeCreateOptions) (*engine.Volume, error) {
	if o.Driver == "" {
		o.Driver = volume.Driver
	}
	if o.Driver != volume.Driver {
		return nil, fmt.Errorf("volume %s uses volume plugin %s but it could not be retrieved: no volume plugin with name %s available: %w",
			o.Name, o.Driver, o.Driver, engine.ErrInvalidArg)
	}
	if err := volume.ValidateOptions(o.Driver, o.Options); err != nil {
		return nil, err
	}
	if o.Name == "" {
		n, err := volume.NewName()
		if err != nil {
			return nil, err
		}
		o.Name = n
	} else if err := volume.ValidateName(o.Name); err != nil {
		return nil, err
	}
	db, err := e.db(ctx)
	if err != nil {
		return nil, err
	}
	vp, err := e.volumePath()
	if err != nil {
		return nil, err
	}
	unlock, err := e.lockMgr.Volume(ctx, o.Name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	v := &engine.Volume{
		Name:        o.Name,
		Driver:      o.Driver,
		Mountpoint:  volume.Data(vp, o.Name),
		CreatedAt:   time.Now(),
		Labels:      map[string]string{},
		Scope:       "local",
		Options:     map[string]string{},
		Anonymous:   o.Anonymous,
		NeedsCopyUp: true,
		NeedsChown:  true,
	}
	for k, val := range o.Labels {
		v.Labels[k] = val
	}
	for k, val := range o.Options {
		v.Options[k] = val
	}
	if _, ok := o.Options["nocopy"]; ok {
		v.NeedsCopyUp = false
	}
	if err := db.Update(ctx, func(tx *state.Tx) error { return tx.AddVolume(v) }); err != nil {
		if o.Ignore && errors.Is(err, engine.ErrVolumeExists) {
			return db.Volume(ctx, o.Name)
		}
		return nil, err
	}
	if _, err := volume.Create(vp, o.Name, o.Options); err != nil {
		_ = db.Update(context.WithoutCancel(ctx), func(tx *state.Tx) error { return tx.DeleteVolume(o.Name) })
		return nil, err
	}
	e.log.Debug("volume created", "name", o.Name)
	e.event(ctx, engine.EventTypeVolume, "create", "", o.Name, "", nil)
	return v, nil
}

// volumeUsers are the containers whose mounts name the volume.
func (e *Engine) volumeUsers(ctx context.Context, name string) ([]*state.Container, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, err
	}
	all, err := db.ContainersForList(ctx)
	if err != nil {
		return nil, err
	}
	var out []*state.Container
	for _, c := range all {
		for _, m := range c.Options.Mounts {
			if m.Type == "volume" && m.Name == name {
				out = append(out, c)
				break
			}
		}
	}
	return out, nil
}

// VolumeInspect returns the record.
func (e *Engine) VolumeInspect(ctx context.Context, name string) (*engine.Volume, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, err
	}
	return db.Volume(ctx, name)
}

// VolumeExists reports whether the volume exists.
func (e *Engine) VolumeExists(ctx context.Context, name string) (bool, error) {
	_, err := e.VolumeInspect(ctx, name)
	if errors.Is(err, engine.ErrNoSuchVolume) {
		return false, nil
	}
	return err == nil, err
}

// VolumeList filters the records.
func (e *Engine) VolumeList(ctx context.Context, o engine.VolumeListOptions) ([]*engine.Volume, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, err
	}
	var vs []*engine.Volume
	if err := db.View(ctx, func(tx *state.Tx) error { vs, err = tx.Volumes(); return err }); err != nil {
		return nil, err
	}
	var used map[string]bool
	if len(o.Filters["dangling"]) > 0 {
		if used, err = e.usedVolumes(ctx); err != nil {
			return nil, err
		}
	}
	out := []*engine.Volume{}
	for _, v := range vs {
		ok, err := volumeMatches(v, o.Filters, used)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (e *Engine) usedVolumes(ctx context.Context) (map[string]bool, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, err
	}
	all, err := db.ContainersForList(ctx)
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, c := range all {
		for _, m := range c.Options.Mounts {
			if m.Type == "volume" && m.Name != "" {
				used[m.Name] = true
			}
		}
	}
	return used, nil
}

// volumeMatches applies Podman's volume filters: every key must match, any
// value of a key may.
func volumeMatches(v *engine.Volume, filters map[string][]string, used map[string]bool) (bool, error) {
	for key, vals := range filters {
		any := false
		for _, val := range vals {
			ok, err := volumeFilter(v, key, val, used)
			if err != nil {
				return false, err
			}
			if ok {
				any = true
				break
			}
		}
		if strings.HasSuffix(key, "!") {
			any = true
			for _, val := range vals {
				if ok, _ := volumeFilter(v, strings.TrimSuffix(key, "!"), val, used); ok {
					any = false
				}
			}
		}
		if !any {
			return false, nil
		}
	}
	return true, nil
}

func volumeFilter(v *engine.Volume, key, val string, used map[string]bool) (bool, error) {
	switch key {
	case "name":
		re, err := regexp.Compile(val)
		if err != nil {
			return false, fmt.Errorf("invalid name filter %q: %w", val, engine.ErrInvalidArg)
		}
		return re.MatchString(v.Name), nil
	case "label":
		k, want, hasVal := strings.Cut(val, "=")
		got, ok := v.Labels[k]
		return ok && (!hasVal || got == want), nil
	case "driver":
		return v.Driver == val, nil
	case "scope":
		return v.Scope == val, nil
	case "opt":
		k, want, hasVal := strings.Cut(val, "=")
		got, ok := v.Options[k]
		return ok && (!hasVal || got == want), nil
	case "dangling":
		switch strings.ToLower(val) {
		case "true", "1":
			return !used[v.Name], nil
		case "false", "0":
			return used[v.Name], nil
		}
		return false, &textError{msg: fmt.Sprintf("%q is not a valid value for the \"dangling\" filter - must be true or false", val), kind: engine.ErrInvalidArg}
	case "until":
		t, ok := timearg.Parse(val, time.Now())
		if !ok {
			return false, fmt.Errorf("invalid until filter %q: %w", val, engine.ErrInvalidArg)
		}
		return v.CreatedAt.Before(t), nil
	}
	return false, &textError{msg: fmt.Sprintf("%q is an invalid volume filter", key), kind: engine.ErrInvalidArg}
}

// VolumeRemove refuses a volume in use unless o.Force, which removes the
// containers using it first (through ContainerRemove, as Podman).
func (e *Engine) VolumeRemove(ctx context.Context, name string, o engine.VolumeRemoveOptions) error {
	db, err := e.db(ctx)
	if err != nil {
		return err
	}
	if _, err := db.Volume(ctx, name); err != nil {
		return err
	}
	users, err := e.volumeUsers(ctx, name)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		if !o.Force {
			ids := make([]string, len(users))
			for i, c := range users {
				ids[i] = c.ID
			}
			return fmt.Errorf("volume %s is being used by the following container(s): %s: %w", name, strings.Join(ids, ", "), engine.ErrVolumeInUse)
		}
		for _, c := range users {
			if _, err := e.ContainerRemove(ctx, c.ID, engine.ContainerRemoveOptions{Force: true, Ignore: true, Timeout: o.Timeout}); err != nil {
				return fmt.Errorf("removing container %s that uses volume %s: %w", c.ID, name, err)
			}
		}
	}
	return e.removeVolume(ctx, name)
}

// removeVolume deletes an unused volume's data and record under its lock.
func (e *Engine) removeVolume(ctx context.Context, name string) error {
	db, err := e.db(ctx)
	if err != nil {
		return err
	}
	vp, err := e.volumePath()
	if err != nil {
		return err
	}
	unlock, err := e.lockMgr.Volume(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	if users, err := e.volumeUsers(ctx, name); err != nil {
		return err
	} else if len(users) > 0 {
		return fmt.Errorf("volume %s is being used by the following container(s): %s: %w", name, users[0].ID, engine.ErrVolumeInUse)
	}
	if _, err := db.Volume(ctx, name); err != nil {
		return err
	}
	if err := volume.Remove(vp, name); err != nil {
		return err
	}
	if err := db.Update(context.WithoutCancel(ctx), func(tx *state.Tx) error { return tx.DeleteVolume(name) }); err != nil {
		return err
	}
	_ = e.lockMgr.RemoveVolume(name)
	e.log.Debug("volume removed", "name", name)
	e.event(ctx, engine.EventTypeVolume, "remove", "", name, "", nil)
	return nil
}

// VolumePrune removes unused volumes matching the filters.
func (e *Engine) VolumePrune(ctx context.Context, o engine.VolumePruneOptions) ([]engine.VolumePruneReport, error) {
	filters := map[string][]string{}
	for k, v := range o.Filters {
		filters[k] = v
	}
	filters["dangling"] = []string{"true"}
	vs, err := e.VolumeList(ctx, engine.VolumeListOptions{Filters: filters})
	if err != nil {
		return nil, err
	}
	var out []engine.VolumePruneReport
	for _, v := range vs {
		size := dirSize(v.Mountpoint)
		if err := e.removeVolume(ctx, v.Name); err != nil {
			if errors.Is(err, engine.ErrVolumeInUse) || errors.Is(err, engine.ErrNoSuchVolume) {
				continue // taken or removed meanwhile
			}
			out = append(out, engine.VolumePruneReport{Name: v.Name, Err: err.Error()})
			continue
		}
		out = append(out, engine.VolumePruneReport{Name: v.Name, Size: size})
	}
	return out, nil
}

func dirSize(dir string) uint64 {
	r, err := copier.OpenRoot(dir)
	if err != nil {
		return 0
	}
	defer r.Close()
	var n countWriter
	_, _ = r.Get(&n, "/", copier.GetOptions{Rename: "."})
	return n.size
}

// countWriter counts the file bytes of a tar stream roughly (all bytes).
type countWriter struct{ size uint64 }

func (c *countWriter) Write(p []byte) (int, error) { c.size += uint64(len(p)); return len(p), nil }

// withVolumeMounted runs fn with the volume's data directory mounted (for
// mount-backed volumes) and opened as a copier root.
func (e *Engine) withVolumeMounted(ctx context.Context, name string, fn func(r *copier.Root) error) error {
	db, err := e.db(ctx)
	if err != nil {
		return err
	}
	v, err := db.Volume(ctx, name)
	if err != nil {
		return err
	}
	if err := e.mountVolume(ctx, v.Name); err != nil {
		return err
	}
	defer func() { _ = e.unmountVolume(context.WithoutCancel(ctx), v.Name) }()
	r, err := copier.OpenRoot(v.Mountpoint)
	if err != nil {
		return err
	}
	defer r.Close()
	return fn(r)
}

// VolumeExport writes the volume's content as a tar (entries relative to
// the volume; symlinks archived as symlinks, never followed: B5).
func (e *Engine) VolumeExport(ctx context.Context, name string, w io.Writer) error {
	return e.withVolumeMounted(ctx, name, func(r *copier.Root) error {
		_, err := r.Get(w, "/", copier.GetOptions{Rename: "."})
		return err
	})
}

// VolumeImport extracts a tar stream (decompressed in-process) into the
// volume, confined to it.
func (e *Engine) VolumeImport(ctx context.Context, name string, rd io.Reader) error {
	return e.withVolumeMounted(ctx, name, func(r *copier.Root) error {
		dr, err := archive.DecompressStream(rd)
		if err != nil {
			return err
		}
		defer dr.Close()
		return r.Put(dr, "/", copier.PutOptions{})
	})
}

// VolumeMount mounts a mount-backed volume (counting users) and returns its
// path; plain volumes are just their directory.
func (e *Engine) VolumeMount(ctx context.Context, name string) (string, error) {
	db, err := e.db(ctx)
	if err != nil {
		return "", err
	}
	v, err := db.Volume(ctx, name)
	if err != nil {
		return "", err
	}
	if err := e.mountVolume(ctx, name); err != nil {
		return "", err
	}
	return v.Mountpoint, nil
}

// VolumeUnmount releases one VolumeMount.
func (e *Engine) VolumeUnmount(ctx context.Context, name string) error {
	if _, err := e.VolumeInspect(ctx, name); err != nil {
		return err
	}
	return e.unmountVolume(ctx, name)
}

// mountVolume mounts a mount-backed volume on first use and counts users.
func (e *Engine) mountVolume(ctx context.Context, name string) error {
	db, err := e.db(ctx)
	if err != nil {
		return err
	}
	vp, err := e.volumePath()
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
	if !volume.NeedsMount(v.Options) {
		return nil
	}
	if v.MountCount == 0 || !isMountPoint(v.Mountpoint) {
		if _, err := os.Stat(v.Mountpoint); err != nil {
			if _, err := volume.Create(vp, name, nil); err != nil {
				return err
			}
		}
		if !isMountPoint(v.Mountpoint) {
			if err := volume.Mount(vp, name, v.Options); err != nil {
				return err
			}
		}
		v.MountCount = 0
	}
	v.MountCount++
	return db.Update(ctx, func(tx *state.Tx) error { return tx.PutVolume(v) })
}

// unmountVolume drops one user of a mount-backed volume; the last unmounts.
func (e *Engine) unmountVolume(ctx context.Context, name string) error {
	db, err := e.db(ctx)
	if err != nil {
		return err
	}
	vp, err := e.volumePath()
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
	if !volume.NeedsMount(v.Options) {
		return nil
	}
	if v.MountCount > 0 {
		v.MountCount--
	}
	if v.MountCount == 0 {
		if err := volume.Unmount(vp, name); err != nil {
			return err
		}
	}
	return db.Update(ctx, func(tx *state.Tx) error { return tx.PutVolume(v) })
}

// isMountPoint reports whether p is a mount point (its device differs from
// its parent's, or /proc/self/mountinfo lists it).
func isMountPoint(p string) bool {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && unescapeMountinfo(f[4]) == p {
			return true
		}
	}
	return false
}

func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}
