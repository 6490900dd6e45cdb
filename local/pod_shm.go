package local

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
	"golang.org/x/sys/unix"
)

// shmDir is where a shareable container's /dev/shm tmpfs is mounted on the
// host (in its run directory), so that containers joining its IPC
// namespace bind the same one.
func shmDir(runDir string) string { return filepath.Join(runDir, "shm") }

// shareShm gives /dev/shm the sharing Podman gives it: POSIX shared memory
// lives in files there, not in the IPC namespace. A container whose IPC
// namespace others join (--ipc shareable: a pod's infra) gets a tmpfs
// mounted on the host and bound in; one that joins another's (--ipc
// container:X: pod members) binds that container's. A /dev/shm the user
// mounts wins; without a host tmpfs to share, the container keeps a
// /dev/shm of its own.
func (e *Engine) shareShm(ctx context.Context, c *state.Container, o *engine.ContainerCreateOptions, runDir string) error {
	for _, m := range o.Mounts {
		if path.Clean(m.Destination) == "/dev/shm" {
			return nil
		}
	}
	var src string
	switch {
	case c.Options.IPCMode == "shareable":
		size := int64(0)
		if o.ShmSize != nil {
			size = *o.ShmSize
		} else if n, err := e.cfg.ShmSizeBytes(); err == nil {
			size = n
		}
		dir := shmDir(runDir)
		e.releaseShmDir(dir) // a leftover of an interrupted run
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		opts := "mode=1777"
		if size > 0 {
			opts += fmt.Sprintf(",size=%d", size)
		}
		if err := unix.Mount("shm", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, opts); err != nil {
			e.log.DebugContext(ctx, "no shared /dev/shm", "id", c.ID, "err", err)
			_ = os.Remove(dir)
			return nil
		}
		src = dir
	case strings.HasPrefix(c.Options.IPCMode, "container:"):
		depRun, err := e.ctrRunDir(strings.TrimPrefix(c.Options.IPCMode, "container:"))
		if err != nil {
			return err
		}
		if !isTmpfsMount(shmDir(depRun)) {
			return nil
		}
		src = shmDir(depRun)
	default:
		return nil
	}
	o.Mounts = append(o.Mounts, engine.Mount{Type: "bind", Source: src, Destination: "/dev/shm", Options: []string{"nosuid", "noexec", "nodev"}, RW: true})
	return nil
}

// isTmpfsMount reports whether dir is a directory on a tmpfs (not a
// symlink).
func isTmpfsMount(dir string) bool {
	var st unix.Statfs_t
	fi, err := os.Lstat(dir)
	return err == nil && fi.IsDir() && unix.Statfs(dir, &st) == nil && st.Type == unix.TMPFS_MAGIC
}

// releaseShm unmounts c's shared /dev/shm tmpfs, if it has one.
func (e *Engine) releaseShm(c *state.Container) {
	if c.Options.IPCMode != "shareable" {
		return
	}
	if runDir, err := e.ctrRunDir(c.ID); err == nil {
		e.releaseShmDir(shmDir(runDir))
	}
}

func (e *Engine) releaseShmDir(dir string) {
	if _, err := os.Lstat(dir); err != nil {
		return
	}
	if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
		e.log.Warn("unmounting shared /dev/shm", "dir", dir, "err", err)
	}
	_ = os.Remove(dir)
}
