package local

import (
	"context"
	"fmt"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
)

// ContainerInit creates the container in the runtime (conmon running, the
// process not yet started): status created.
func (e *Engine) ContainerInit(ctx context.Context, ref string) error {
	return e.withContainer(ctx, ref, func(c *state.Container) error {
		e.syncExit(c)
		switch c.State.Status {
		case state.StatusConfigured:
		case state.StatusExited, state.StatusStopped:
			e.cleanupLocked(ctx, c)
		default:
			return fmt.Errorf("container %s has already been created in runtime: %w", c.ID, engine.ErrCtrStateInvalid)
		}
		return e.initLocked(ctx, c, false)
	})
}
