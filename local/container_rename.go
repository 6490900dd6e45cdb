package local

import (
	"context"
	"errors"
	"fmt"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
	cstorage "go.podman.io/storage"
)

// ContainerRename gives the container a new, unique name. The record and the
// name table change in one transaction under the container's lock; the
// storage container's name follows.
func (e *Engine) ContainerRename(ctx context.Context, ref, newName string) error {
	// Unlike create, rename takes no Docker-style leading "/" (as Podman).
	if !nameRE.MatchString(newName) {
		return fmt.Errorf("names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: %w", engine.ErrInvalidArg)
	}
	n := newName
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
	var c *state.Container
	err = db.Update(ctx, func(tx *state.Tx) error {
		if err := tx.RenameContainer(id, n); err != nil {
			return err
		}
		c, err = tx.Container(id)
		return err
	})
	if err != nil {
		if errors.Is(err, engine.ErrNameInUse) {
			return fmt.Errorf("renaming container %s: name %s already in use, cannot rename container %s: %w", id, n, id, errCtrExists{})
		}
		return err
	}
	st, err := e.Store()
	if err != nil {
		return err
	}
	if err := st.SetNames(c.StorageID, []string{n}); err != nil && !errors.Is(err, cstorage.ErrContainerUnknown) {
		e.log.Warn("renaming storage container", "id", id, "err", err)
	}
	e.ctrEvent(ctx, c, "rename")
	return nil
}

// errCtrExists reads as Podman's define.ErrCtrExists and is engine.ErrNameInUse.
type errCtrExists struct{}

func (errCtrExists) Error() string { return "container already exists" }
func (errCtrExists) Unwrap() error { return engine.ErrNameInUse }
