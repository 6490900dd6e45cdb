package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/selkie-containers/selkie/internal/lock"
	"github.com/selkie-containers/selkie/internal/state"
	"github.com/selkie-containers/selkie/internal/storage"
)

// roots returns the resolved graph root and run root of the store, without
// opening it.
func (e *Engine) roots() (graphRoot, runRoot string, err error) {
	so, err := storage.StoreOptions(e.storeOptions())
	if err != nil {
		return "", "", err
	}
	return so.GraphRoot, so.RunRoot, nil
}

// runDir is <runroot>/selkie: runtime state that a reboot wipes (locks, the
// alive marker, per-container runtime directories).
func (e *Engine) runDir() (string, error) {
	_, rr, err := e.roots()
	if err != nil {
		return "", err
	}
	return filepath.Join(rr, "selkie"), nil
}

// db opens the state database on first use (<graphroot>/selkie/state.db)
// and, the first time after a reboot, refreshes the containers' runtime state.
func (e *Engine) db(ctx context.Context) (*state.DB, error) {
	e.stateMu.Lock()
	defer e.stateMu.Unlock()
	if e.stateDB != nil {
		return e.stateDB, nil
	}
	// Not a sync.Once: a failure (a lock timeout, a full disk) is not
	// remembered, so a long-running service recovers on the next call.
	gr, rr, err := e.roots()
	if err != nil {
		return nil, err
	}
	run := filepath.Join(rr, "selkie")
	e.lockMgr = lock.New(filepath.Join(run, "locks"))
	db, err := state.Open(ctx, filepath.Join(gr, "selkie", "state.db"))
	if err != nil {
		return nil, err
	}
	if err := e.refreshAfterReboot(ctx, db, run); err != nil {
		db.Close()
		return nil, err
	}
	e.stateDB = db
	return db, nil
}

// locks returns the lock manager (valid once db has succeeded).
func (e *Engine) locks(ctx context.Context) (*lock.Manager, error) {
	if _, err := e.db(ctx); err != nil {
		return nil, err
	}
	return e.lockMgr, nil
}

// refreshAfterReboot resets runtime state when the run root was wiped (the
// `alive` marker in <runroot>/selkie is gone), as Podman's refresh does:
// containers that are not exited become configured, PIDs and mount points
// are cleared, exec sessions are dropped. It runs under the refresh lock; a
// second process waits and then finds the marker.
func (e *Engine) refreshAfterReboot(ctx context.Context, db *state.DB, run string) error {
	alive := filepath.Join(run, "alive")
	boot := bootID()
	fresh := func() bool {
		data, err := os.ReadFile(alive)
		// The marker holds the boot ID, so a run root that is not on a
		// tmpfs (and survives a reboot) is still noticed, as Podman does.
		return err == nil && string(data) == boot
	}
	if fresh() {
		return nil
	}
	if err := os.MkdirAll(run, 0o700); err != nil {
		return fmt.Errorf("creating run directory: %w", err)
	}
	unlock, err := e.lockMgr.Refresh(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if fresh() {
		return nil
	}
	e.log.Debug("run root is new: refreshing container state", "dir", run)
	// Containers stuck in removing, and --rm containers that had run, are
	// removed (as Podman's refresh does): nothing else would ever do it.
	var gone []*state.Container
	err = db.Update(ctx, func(tx *state.Tx) error {
		cs, err := tx.Containers()
		if err != nil {
			return err
		}
		gone = nil
		for _, c := range cs {
			s := &c.State
			if s.Status == state.StatusRemoving || (c.Options.Remove && s.Status != state.StatusConfigured) {
				gone = append(gone, c)
			}
			s.Pid, s.ConmonPid, s.Mountpoint, s.Network = 0, 0, "", nil
			if s.Status != state.StatusExited {
				s.Status = state.StatusConfigured
			}
			sessions, err := tx.ExecSessions(c.ID)
			if err != nil {
				return err
			}
			for _, x := range sessions {
				if err := tx.DeleteExecSession(x.ID); err != nil {
					return err
				}
			}
			if err := tx.PutContainer(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("refreshing state after reboot: %w", err)
	}
	for _, c := range gone {
		// Only the storage and the record: after a reboot there is no
		// process, mount or network to release. Failures leave the record
		// (shown as created) for a later rm.
		if err := e.removeStorage(c); err != nil {
			e.log.Warn("removing container after reboot", "id", c.ID, "err", err)
			continue
		}
		if err := db.Update(ctx, func(tx *state.Tx) error { return tx.DeleteContainer(c.ID) }); err != nil {
			e.log.Warn("removing container after reboot", "id", c.ID, "err", err)
			continue
		}
		_ = e.lockMgr.RemoveContainer(c.ID)
	}
	return writeFileAtomic(alive, []byte(boot), 0o600)
}

// bootID identifies this boot of the kernel ("" when unreadable).
func bootID() string {
	data, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// lookupContainer resolves ref (name, ID or unique ID prefix) and reads the record.
func (e *Engine) lookupContainer(ctx context.Context, ref string) (*state.Container, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, err
	}
	var c *state.Container
	err = db.View(ctx, func(tx *state.Tx) error {
		id, err := tx.ResolveContainer(ref)
		if err != nil {
			return err
		}
		c, err = tx.Container(id)
		return err
	})
	return c, err
}

// errNoSave, returned by a withContainer callback, ends it without saving the
// record and without an error.
var errNoSave = errors.New("do not save")

// withContainer is the one path for a state change (conventions C11): resolve
// ref, take the container's lock, re-read the record (another process may
// have changed it while we waited), call fn, then save the record in a short
// transaction. fn may call the runtime; no transaction is open meanwhile.
// fn returning errNoSave skips the save and makes withContainer return nil.
func (e *Engine) withContainer(ctx context.Context, ref string, fn func(c *state.Container) error) error {
	db, err := e.db(ctx)
	if err != nil {
		return err
	}
	id, err := db.ResolveContainer(ctx, ref)
	if err != nil {
		return err
	}
	unlock, err := e.lockMgr.Container(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	c, err := db.Container(ctx, id)
	if err != nil {
		// Removed while we waited for the lock.
		return fmt.Errorf("no container with name or ID %q found: %w", ref, errors.Unwrap(err))
	}
	if err := fn(c); err != nil {
		if errors.Is(err, errNoSave) {
			return nil
		}
		return err
	}
	return db.Update(ctx, func(tx *state.Tx) error { return tx.PutContainer(c) })
}

// saveContainer saves a record the caller holds the lock of.
func (e *Engine) saveContainer(ctx context.Context, c *state.Container) error {
	db, err := e.db(ctx)
	if err != nil {
		return err
	}
	return db.Update(ctx, func(tx *state.Tx) error { return tx.PutContainer(c) })
}
