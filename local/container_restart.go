package local

import (
	"context"

	"github.com/selkie-containers/selkie/engine"
)

// ContainerRestart stops the container if it runs, then starts it.
func (e *Engine) ContainerRestart(ctx context.Context, ref string, o engine.ContainerStopOptions) error {
	if err := e.ContainerStop(ctx, ref, engine.ContainerStopOptions{Timeout: o.Timeout}); err != nil {
		return err
	}
	return e.ContainerStart(ctx, ref, engine.ContainerStartOptions{})
}
