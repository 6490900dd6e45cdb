package local

import (
	"context"
	"fmt"
	"io"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
)

// ContainerExport writes the container's rootfs as an uncompressed tar. The
// tar is produced by a child chrooted into the rootfs (c/storage's
// chrootarchive), so a symlink a running container swaps in mid-walk can
// only ever point inside the container (security.md B5, CVE-2023-0778).
func (e *Engine) ContainerExport(ctx context.Context, ref string, w io.Writer) error {
	var storageID, mp string
	err := e.withContainer(ctx, ref, func(c *state.Container) error {
		if c.State.Status == state.StatusRemoving {
			return fmt.Errorf("container %s is being removed: %w", c.ID, engine.ErrCtrStateInvalid)
		}
		st, err := e.Store()
		if err != nil {
			return err
		}
		// Our own reference on the mount: the container may stop (and
		// unmount) while the tar is being written.
		if mp, err = st.Mount(c.StorageID, ""); err != nil {
			return fmt.Errorf("mounting storage for container %s: %w", c.ID, err)
		}
		storageID = c.StorageID
		return errNoSave
	})
	if err != nil {
		return err
	}
	st, err := e.Store()
	if err != nil {
		return err
	}
	defer func() {
		if _, err := st.Unmount(storageID, false); err != nil {
			e.log.Warn("unmounting after export", "id", storageID, "err", err)
		}
	}()
	rc, err := chrootarchive.Tar(mp, &archive.TarOptions{Compression: archive.Uncompressed}, mp)
	if err != nil {
		return fmt.Errorf("exporting container: %w", err)
	}
	defer rc.Close()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(w, rc)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("writing the export: %w", err)
		}
		return nil
	case <-ctx.Done():
		rc.Close()
		return ctx.Err()
	}
}
