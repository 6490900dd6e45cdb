package local

import (
	"context"
	"fmt"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
)

// ContainerPause freezes every process of a running container through the
// runtime (the freezer cgroup).
func (e *Engine) ContainerPause(ctx context.Context, ref string) error {
	return e.withContainer(ctx, ref, func(c *state.Container) error {
		e.syncExit(c)
		switch c.State.Status {
		case state.StatusPaused:
			return fmt.Errorf("%q is already paused: %w", c.ID, engine.ErrCtrStateInvalid)
		case state.StatusRunning:
		default:
			return fmt.Errorf("%q is not running, can't pause: %w", shownStatus(c.State.Status), engine.ErrCtrStateInvalid)
		}
		rt, err := e.runtimeFor(c, false)
		if err != nil {
			return err
		}
		if err := rt.Pause(ctx, c.ID); err != nil {
			return fmt.Errorf("pausing container %s: %w", c.ID, err)
		}
		c.State.Status = state.StatusPaused
		e.ctrEvent(ctx, c, "pause")
		return nil
	})
}

// ContainerUnpause thaws a paused container.
func (e *Engine) ContainerUnpause(ctx context.Context, ref string) error {
	return e.withContainer(ctx, ref, func(c *state.Container) error {
		e.syncExit(c)
		if c.State.Status != state.StatusPaused {
			return fmt.Errorf("%q is not paused, can't unpause: %w", c.ID, engine.ErrCtrStateInvalid)
		}
		rt, err := e.runtimeFor(c, false)
		if err != nil {
			return err
		}
		if err := rt.Resume(ctx, c.ID); err != nil {
			return fmt.Errorf("unpausing container %s: %w", c.ID, err)
		}
		c.State.Status = state.StatusRunning
		e.ctrEvent(ctx, c, "unpause")
		return nil
	})
}

// shownStatus is the status as Podman names it to users ("configured" is
// shown as "created").
func shownStatus(s string) string {
	if s == state.StatusConfigured {
		return state.StatusCreated
	}
	return s
}
