package local

import (
	"context"
	"fmt"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
)

// ContainerMount mounts the container's rootfs (one more reference on the
// storage mount, so a running container's own mount is untouched) and
// returns its host path.
func (e *Engine) ContainerMount(ctx context.Context, ref string) (string, error) {
	var path string
	err := e.withContainer(ctx, ref, func(c *state.Container) error {
		if c.State.Status == state.StatusRemoving {
			return fmt.Errorf("container %s is being removed: %w", c.ID, engine.ErrCtrStateInvalid)
		}
		st, err := e.Store()
		if err != nil {
			return err
		}
		mp, err := st.Mount(c.StorageID, "")
		if err != nil {
			return fmt.Errorf("mounting storage for container %s: %w", c.ID, err)
		}
		path = mp
		c.State.Mountpoint = mp
		return nil
	})
	return path, err
}

// ContainerUnmount drops one reference on the rootfs mount (all of them with
// force). The mount a running container needs is kept unless forced.
func (e *Engine) ContainerUnmount(ctx context.Context, ref string, force bool) error {
	return e.withContainer(ctx, ref, func(c *state.Container) error {
		e.syncExit(c)
		st, err := e.Store()
		if err != nil {
			return err
		}
		n, err := st.Mounted(c.StorageID)
		if err != nil {
			return fmt.Errorf("checking mounts of container %s: %w", c.ID, err)
		}
		if n == 0 {
			c.State.Mountpoint = ""
			return nil
		}
		active := c.State.Status == state.StatusRunning || c.State.Status == state.StatusPaused || c.State.Status == state.StatusCreated
		if active && !force {
			if n <= 1 {
				return errNoSave // only the container's own mount is left
			}
		}
		still, err := st.Unmount(c.StorageID, force)
		if err != nil {
			return fmt.Errorf("unmounting container %s: %w", c.ID, err)
		}
		if !still {
			c.State.Mountpoint = ""
		}
		return nil
	})
}
