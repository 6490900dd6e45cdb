package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
	cstorage "go.podman.io/storage"
)

// ContainerRemove removes a container: its runtime leftovers, its storage
// container (rootfs), its record, name, exec sessions and lock file.
//
// A running or paused container needs o.Force; it is stopped first through
// ContainerStop (which takes and releases the container's lock itself), then
// cleaned up, and only then locked here. A record whose storage container is
// missing (a create killed half-way) is removed without complaint.
func (e *Engine) ContainerRemove(ctx context.Context, ref string, o engine.ContainerRemoveOptions) (engine.ContainerRemoveReport, error) {
	var rep engine.ContainerRemoveReport
	c, err := e.lookupContainer(ctx, ref)
	if err != nil {
		if errors.Is(err, engine.ErrNoSuchContainer) {
			// A storage container of another tool (Buildah), or one left
			// by a crash: Podman's rm removes those too.
			if id, ok := e.removeExternal(ref); ok {
				rep.Removed = append(rep.Removed, id)
				return rep, nil
			}
			if o.Ignore {
				return rep, nil
			}
		}
		return rep, err
	}
	if err := e.infraRemoveGuard(ctx, c); err != nil {
		return rep, err
	}
	deps, err := e.dependents(ctx, c)
	if err != nil {
		return rep, err
	}
	if len(deps) > 0 {
		if !o.Depend {
			// Podman's text; not a state error (that would exit 2).
			return rep, fmt.Errorf("container %s has dependent containers which must be removed before it: %s: container already exists",
				c.ID, joinIDs(deps))
		}
		for _, d := range deps {
			r, err := e.ContainerRemove(ctx, d.ID, o)
			rep.Removed = append(rep.Removed, r.Removed...)
			if err != nil {
				return rep, err
			}
		}
	}

	exits, _ := e.exitDir()
	observeExit(c, exits)
	if isRunning(c.State.Status) {
		if !o.Force {
			return rep, fmt.Errorf("cannot remove container %s as it is %s - running or paused containers cannot be removed without force: %w",
				c.ID, c.State.Status, engine.ErrCtrStateInvalid)
		}
		if err := e.ContainerStop(ctx, c.ID, engine.ContainerStopOptions{Timeout: o.Timeout, Ignore: true}); err != nil {
			e.log.Warn("stopping container before removal", "id", c.ID, "err", err)
		}
	}
	if c.State.Status == state.StatusCreated {
		// Created in the runtime (init) but never started: no force needed;
		// stop deletes it from the runtime, which also ends its conmon.
		if err := e.ContainerStop(ctx, c.ID, engine.ContainerStopOptions{Ignore: true}); err != nil {
			e.log.Warn("deleting created container from the runtime", "id", c.ID, "err", err)
		}
	}
	if c.State.Status != state.StatusConfigured && c.State.Status != state.StatusRemoving {
		// Runtime leftovers (runc state, mounts, network): the cleanup
		// path owns them. A failure is not fatal to rm.
		if err := e.ContainerCleanup(ctx, c.ID, engine.ContainerCleanupOptions{}); err != nil &&
			!errors.Is(err, engine.ErrNotImplemented) && !errors.Is(err, engine.ErrNoSuchContainer) {
			e.log.Warn("cleaning up container before removal", "id", c.ID, "err", err)
		}
	}

	db, err := e.db(ctx)
	if err != nil {
		return rep, err
	}
	unlock, err := e.lockMgr.Container(ctx, c.ID)
	if err != nil {
		return rep, err
	}
	defer unlock()
	c, err = db.Container(ctx, c.ID)
	if err != nil {
		if o.Ignore && errors.Is(err, engine.ErrNoSuchContainer) {
			return rep, nil
		}
		return rep, err // removed meanwhile by another process
	}
	observeExit(c, exits)
	if isRunning(c.State.Status) {
		if pidAlive(c.State.Pid) {
			return rep, fmt.Errorf("cannot remove container %s as it is %s - running or paused containers cannot be removed without force: %w",
				c.ID, c.State.Status, engine.ErrCtrStateInvalid)
		}
		// Its process is gone and nothing cleaned up: nothing to stop.
	}

	// Mark it removing first, so that a crash below leaves a record that
	// says what was happening (and the next rm finishes the job).
	c.State.Status = state.StatusRemoving
	if err := db.Update(ctx, func(tx *state.Tx) error { return tx.PutContainer(c) }); err != nil {
		return rep, err
	}
	if err := e.removeStorage(c); err != nil {
		return rep, err
	}
	if run, err := e.runDir(); err == nil {
		_ = os.RemoveAll(filepath.Join(run, "containers", c.ID))
		if exits != "" {
			_ = os.Remove(filepath.Join(exits, c.ID))
		}
	}
	if err := db.Update(context.WithoutCancel(ctx), func(tx *state.Tx) error { return tx.DeleteContainer(c.ID) }); err != nil {
		return rep, err
	}
	_ = e.lockMgr.RemoveContainer(c.ID)
	if o.Volumes || c.Options.Remove {
		e.removeAnonVolumes(ctx, c)
	}
	rep.Removed = append(rep.Removed, c.ID)
	e.ctrEvent(ctx, c, "remove")
	e.log.Debug("container removed", "id", c.ID, "name", c.Name)
	return rep, nil
}

// removeStorage deletes the storage container; an unknown one is fine.
func (e *Engine) removeStorage(c *state.Container) error {
	st, err := e.Store()
	if err != nil {
		return err
	}
	id := c.StorageID
	if id == "" {
		id = c.ID
	}
	// Cleanup has normally unmounted it already: a forced unmount of an
	// unmounted layer still rewrites (and fsyncs) mountpoints.json.
	if n, err := st.Mounted(id); err != nil || n > 0 {
		if _, err := st.Unmount(id, true); err != nil && !errors.Is(err, cstorage.ErrContainerUnknown) && !errors.Is(err, cstorage.ErrLayerUnknown) {
			e.log.Warn("unmounting container rootfs", "id", id, "err", err)
		}
	}
	if err := st.DeleteContainer(id); err != nil && !errors.Is(err, cstorage.ErrContainerUnknown) && !errors.Is(err, cstorage.ErrNotAContainer) {
		return fmt.Errorf("removing storage for container %s: %w", c.ID, err)
	}
	return nil
}

// dependents are the containers that use c (container:c namespaces,
// --volumes-from c).
func (e *Engine) dependents(ctx context.Context, c *state.Container) ([]*state.Container, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, err
	}
	// Dependencies are recorded by full ID (create resolves them), so only
	// records mentioning the ID need decoding; the name catches records
	// written before IDs were recorded.
	all, err := db.ContainersMentioning(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	byName, err := db.ContainersMentioning(ctx, "container:"+c.Name+"\"")
	if err != nil {
		return nil, err
	}
	all = append(all, byName...)
	var out []*state.Container
	seen := map[string]bool{c.ID: true}
	for _, o := range all {
		if seen[o.ID] {
			continue
		}
		seen[o.ID] = true
		for _, ref := range dependencies(o) {
			if ref == c.Name || ref == c.ID {
				out = append(out, o)
				break
			}
		}
	}
	return out, nil
}

func joinIDs(cs []*state.Container) string {
	s := ""
	for i, c := range cs {
		if i > 0 {
			s += ", "
		}
		s += c.ID
	}
	return s
}

// pidAlive reports whether pid exists (signal 0).
func pidAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscallZero) == nil
}

// removeExternal deletes the storage container ref when no record owns it.
func (e *Engine) removeExternal(ref string) (string, bool) {
	st, err := e.Store()
	if err != nil {
		return "", false
	}
	sc, err := st.Container(ref)
	if err != nil {
		return "", false
	}
	if _, err := st.Unmount(sc.ID, true); err != nil {
		e.log.Warn("unmounting storage container", "id", sc.ID, "err", err)
	}
	if err := st.DeleteContainer(sc.ID); err != nil {
		e.log.Warn("removing storage container", "id", sc.ID, "err", err)
		return "", false
	}
	return sc.ID, true
}
