package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/copier"
	"github.com/selkie-containers/selkie/internal/spec"
	"github.com/selkie-containers/selkie/internal/state"
	"go.podman.io/storage/pkg/archive"
)

// ctrFS is a container's filesystem as cp sees it.
type ctrFS struct {
	c      *state.Container
	rootfs *copier.Root
	// running: rootfs is /proc/<pid>/root, whose lookups see the
	// container's own mounts (volumes, tmpfs).
	running bool
	mounts  []engine.Mount
	release func()
}

// open resolves the root a container path lives in: the rootfs, or, for a
// stopped container, the volume or bind mount that covers the path.
func (f *ctrFS) open(p string) (*copier.Root, string, func(), error) {
	p = copier.Clean(p)
	if !f.running {
		best := -1
		for i, m := range f.mounts {
			d := path.Clean(m.Destination)
			if (p == d || strings.HasPrefix(p, d+"/")) && (best < 0 || len(d) > len(f.mounts[best].Destination)) {
				best = i
			}
		}
		if best >= 0 {
			m := f.mounts[best]
			src := m.Source // a volume's directory, resolved by openContainerFS
			if src != "" {
				r, err := copier.OpenRoot(src)
				if err == nil {
					return r, "/" + strings.TrimPrefix(strings.TrimPrefix(p, path.Clean(m.Destination)), "/"), func() { r.Close() }, nil
				}
			}
		}
	}
	return f.rootfs, p, func() {}, nil
}

// openContainerFS gives access to a container's files: a running (or
// paused) container through /proc/<pid>/root, any other by mounting its
// rootfs for the duration of the copy.
func (e *Engine) openContainerFS(ctx context.Context, ref string) (*ctrFS, error) {
	fs := &ctrFS{release: func() {}}
	err := e.withContainer(ctx, ref, func(c *state.Container) error {
		e.syncExit(c)
		fs.c = c
		if isRunning(c.State.Status) && pidAlive(c.State.Pid) {
			r, err := copier.OpenRoot("/proc/" + strconv.Itoa(c.State.Pid) + "/root")
			if err == nil {
				// The PID may have been reused since the record was read: use
				// it only if its root is the container's rootfs mount.
				if r.SameFile(c.State.Mountpoint) {
					fs.rootfs, fs.running = r, true
					fs.release = func() { r.Close() }
					return errNoSave
				}
				r.Close()
			}
		}
		st, err := e.Store()
		if err != nil {
			return err
		}
		mp, err := st.Mount(c.StorageID, "")
		if err != nil {
			return fmt.Errorf("mounting storage for container %s: %w", c.ID, err)
		}
		r, err := copier.OpenRoot(mp)
		if err != nil {
			_, _ = st.Unmount(c.StorageID, false)
			return err
		}
		fs.rootfs = r
		fs.release = func() {
			r.Close()
			_, _ = st.Unmount(c.StorageID, false)
		}
		db, _ := e.db(ctx)
		for _, m := range c.Options.Mounts {
			if m.Type == "volume" {
				v, err := db.Volume(ctx, m.Name)
				if err != nil {
					continue
				}
				m.Source = v.Mountpoint
			} else if m.Type != "bind" {
				continue
			}
			fs.mounts = append(fs.mounts, m)
		}
		return errNoSave
	})
	if err != nil {
		return nil, err
	}
	return fs, nil
}

// notFound is Podman's text for a missing path; it names the container
// as the caller did (name, ID or prefix).
func notFound(p string, ref string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return &textError{msg: fmt.Sprintf("%q could not be found on container %s: no such file or directory", p, ref), kind: engine.ErrNoSuchPath}
	}
	return err
}

// ContainerStat describes a path inside the container.
func (e *Engine) ContainerStat(ctx context.Context, ref, p string) (*engine.FileStat, error) {
	fs, err := e.openContainerFS(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer fs.release()
	r, rel, done, err := fs.open(p)
	if err != nil {
		return nil, err
	}
	defer done()
	in, err := r.StatInfo(rel)
	if err != nil {
		return nil, notFound(p, ref, err)
	}
	return &engine.FileStat{Name: in.Name, Size: in.Size, Mode: in.Mode, Mtime: in.Mtime, LinkTarget: in.Resolved}, nil
}

// ContainerArchiveGet writes a tar of a container path.
func (e *Engine) ContainerArchiveGet(ctx context.Context, ref, p string, w io.Writer, o engine.ArchiveGetOptions) (*engine.FileStat, error) {
	fs, err := e.openContainerFS(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer fs.release()
	r, rel, done, err := fs.open(p)
	if err != nil {
		return nil, err
	}
	defer done()
	if _, err := r.Stat(rel); err != nil {
		return nil, notFound(p, ref, err)
	}
	in, err := r.Get(w, rel, copier.GetOptions{Rename: o.Rename})
	if err != nil {
		return nil, notFound(p, ref, err)
	}
	return &engine.FileStat{Name: in.Name, Size: in.Size, Mode: in.Mode, Mtime: in.Mtime}, nil
}

// ContainerArchivePut extracts a tar (decompressed in-process) into a
// directory of the container; files belong to the container's user unless
// o.KeepOwnership.
func (e *Engine) ContainerArchivePut(ctx context.Context, ref, p string, rd io.Reader, o engine.ArchivePutOptions) error {
	fs, err := e.openContainerFS(ctx, ref)
	if err != nil {
		return err
	}
	defer fs.release()
	r, rel, done, err := fs.open(p)
	if err != nil {
		return err
	}
	defer done()
	if o.CreateParents {
		if err := r.MkdirAll(rel, 0o755); err != nil {
			return err
		}
	}
	st, err := r.Stat(rel)
	if err != nil {
		return notFound(p, ref, err)
	}
	if st.Mode&0o170000 != 0o040000 {
		return fmt.Errorf("destination %q of container %s is not a directory: %w", p, fs.c.Name, engine.ErrInvalidArg)
	}
	po := copier.PutOptions{NoOverwriteDirNonDir: o.NoOverwriteDirNonDir, Rename: o.Rename}
	if !o.KeepOwnership {
		us := fs.c.Options.User
		if us == "" && fs.c.ImageConfig != nil {
			us = fs.c.ImageConfig.Config.User
		}
		u, err := spec.LookupUser(fs.rootfs.Path(), us, nil)
		if err != nil {
			u = &spec.User{}
		}
		po.Chown = &[2]int{int(u.UID), int(u.GID)}
	}
	dr, err := archive.DecompressStream(rd)
	if err != nil {
		return err
	}
	defer dr.Close()
	return r.Put(dr, rel, po)
}
