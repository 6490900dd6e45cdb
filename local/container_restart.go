package local

import (
	"context"
	"errors"
	"fmt"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
)

// ContainerRestart stops the container if it runs, then starts it, holding
// the container's lock throughout: the exit command of the stopped run's
// conmon (cleanup, --rm's removal) waits for the lock and then finds the
// container running again, so a detached --rm container survives a restart
// instead of racing with its removal.
func (e *Engine) ContainerRestart(ctx context.Context, ref string, o engine.ContainerStopOptions) error {
	if err := e.startPodInfra(ctx, ref); err != nil {
		return err
	}
	return e.withContainer(ctx, ref, func(c *state.Container) error {
		e.ctrEvent(ctx, c, "restart") // first, as Podman 4.3: restart, died, init, start
		if err := e.stopLocked(ctx, c, o.Timeout); err != nil && !errors.Is(err, errNoSave) {
			return err
		}
		if c.State.Status == state.StatusRemoving {
			return fmt.Errorf("container %s is being removed: %w", c.ID, engine.ErrCtrStateInvalid)
		}
		_, err := e.startLocked(ctx, c, false)
		return err
	})
}
