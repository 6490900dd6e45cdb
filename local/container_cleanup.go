package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/monitor"
	"github.com/selkie-containers/selkie/internal/state"
)

// syncExit updates c (in memory) from conmon's exit file: a container whose
// record says running but whose exit file exists has exited.
func (e *Engine) syncExit(c *state.Container) bool {
	switch c.State.Status {
	case state.StatusRunning, state.StatusPaused, state.StatusCreated:
	default:
		return false
	}
	exits, err := e.exitDir()
	if err != nil {
		return false
	}
	code, at, err := monitor.ReadExitFile(exits, c.ID)
	if err != nil {
		return false
	}
	c.State.Status = state.StatusExited
	c.State.ExitCode = code
	c.State.FinishedAt = at
	c.State.Pid = 0
	if dir, err := e.ctrRunDir(c.ID); err == nil {
		if _, err := os.Stat(filepath.Join(dir, "oom")); err == nil {
			c.State.OOMKilled = true
		}
	}
	return true
}

// conmonGone reports that neither conmon nor the container's process is
// alive (conmon killed with -9 and the container gone with it).
func conmonGone(c *state.Container) bool {
	return !monitor.ProcessAlive(c.State.ConmonPid) && !monitor.ProcessAlive(c.State.Pid)
}

// cleanupLocked releases what a run of c holds: the runtime's record, the
// network namespace, the rootfs mount. Idempotent; errors are logged, as a
// half-cleaned container must still be removable.
func (e *Engine) cleanupLocked(ctx context.Context, c *state.Container) {
	if c.State.ConmonPid != 0 {
		defer e.diedEvent(ctx, c)()
	}
	if rt, err := e.runtimeFor(c, false); err == nil {
		if args := rt.GlobalArgs(); len(args) == 2 {
			if _, err := os.Stat(filepath.Join(args[1], c.ID)); err == nil {
				if done, err := rt.DeleteStopped(c.ID); err == nil && done {
					// Stopped: state and cgroups removed without running the runtime.
				} else if err := rt.Delete(ctx, c.ID, true); err != nil {
					e.log.Warn("removing container from the runtime", "id", c.ID, "err", err)
				}
			}
		}
	}
	if needsNetNS(c.Options.Network) {
		if p, err := e.netnsPath(c.ID); err == nil {
			if _, err := os.Lstat(p); err == nil {
				if err := e.teardownNetwork(ctx, c, p); err != nil {
					e.log.Warn("tearing down the network", "id", c.ID, "err", err)
				}
				e.removeNetNS(c.ID)
			}
		}
	}
	mounted := c.State.Mountpoint != ""
	if !mounted && c.State.Status == state.StatusCreated && c.State.ConmonPid == 0 {
		// An interrupted init may have mounted the rootfs without recording it.
		if st, err := e.Store(); err == nil {
			if n, err := st.Mounted(c.StorageID); err == nil && n > 0 {
				mounted = true
			}
		}
	}
	if mounted {
		if st, err := e.Store(); err == nil {
			if _, err := st.Unmount(c.StorageID, false); err != nil {
				e.log.Warn("unmounting container rootfs", "id", c.ID, "err", err)
			}
		}
		c.State.Mountpoint = ""
	}
	e.releaseVolumeMounts(ctx, c)
	e.releaseShm(c) // pod_shm.go
	c.State.Pid = 0
	c.State.ConmonPid = 0
}

// ContainerCleanup is conmon's exit command: it records the exit, releases
// the run's resources, restarts per the restart policy, and removes the
// container with --rm. It is safe to run any number of times, also after
// conmon was killed with -9.
func (e *Engine) ContainerCleanup(ctx context.Context, ref string, o engine.ContainerCleanupOptions) error {
	// conmon's delayed exit command may run after the container, or its
	// whole store (a test's temp dir), is gone: never create a store for it.
	if gr, _, err := e.roots(); err == nil {
		if _, err := os.Stat(filepath.Join(gr, "selkie", "state.db")); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no container with name or ID %q found: %w", ref, engine.ErrNoSuchContainer)
		}
	}
	if o.Exec != "" {
		// An exec session ended (container_exec_cleanup.go); the
		// container itself is not touched by an exec's cleanup.
		return e.execCleanup(ctx, ref, o.Exec)
	}
	remove := false
	var id, image string
	err := e.withContainer(ctx, ref, func(c *state.Container) error {
		id = c.ID
		image = c.ImageName
		if image == "" {
			image = c.ImageID
		}
		wasRunning := c.State.Status == state.StatusRunning || c.State.Status == state.StatusPaused
		exited := e.syncExit(c)
		if !exited && wasRunning {
			if !conmonGone(c) {
				return errNoSave // still running: nothing to clean
			}
			c.State.Status = state.StatusExited
			c.State.ExitCode = 137
			c.State.FinishedAt = time.Now()
			exited = true
		}
		switch c.State.Status {
		case state.StatusExited, state.StatusStopped:
		case state.StatusCreated:
			// Created but never started: conmon runs no exit command for
			// it, so this is rm or an explicit cleanup; release it all.
		default:
			return errNoSave
		}
		created := c.State.Status == state.StatusCreated
		e.log.Debug("cleaning up", "id", c.ID)
		e.cleanupLocked(ctx, c)
		e.log.Debug("cleaned up", "id", c.ID)
		if created {
			c.State.Status = state.StatusConfigured
		}
		if exited && wasRunning && shouldRestart(c) {
			c.State.RestartCount++
			if _, err := e.startLocked(ctx, c, false); err != nil {
				e.log.Warn("restarting container", "id", c.ID, "err", err)
			}
			return nil
		}
		remove = o.Remove && c.State.Status != state.StatusRunning
		return nil
	})
	if err != nil {
		return err
	}
	e.podMemberExited(ctx, id)
	if remove {
		if _, err := e.ContainerRemove(ctx, id, engine.ContainerRemoveOptions{Ignore: true}); err != nil &&
			!errors.Is(err, engine.ErrNoSuchContainer) {
			return err
		}
		if o.RemoveImage && image != "" {
			// run -d --rm --rmi: the image goes with the container (or
			// loses this tag); one still in use by another container stays.
			if _, err := e.ImageRemove(ctx, image, engine.ImageRemoveOptions{}); err != nil && !errors.Is(err, engine.ErrNoSuchImage) {
				e.log.Warn("removing the image after the container", "image", image, "err", err)
			}
		}
	}
	return nil
}

// shouldRestart applies the restart policy to an exit that was not a stop.
func shouldRestart(c *state.Container) bool {
	if c.State.StoppedByUser {
		return false
	}
	switch c.Options.RestartPolicy {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		if c.State.ExitCode == 0 {
			return false
		}
		return c.Options.RestartRetries == 0 || uint(c.State.RestartCount) < c.Options.RestartRetries
	}
	return false
}
