package local

import (
	"context"
	"fmt"
)

// ImageMount mounts an image read-only through containers/storage.
func (e *Engine) ImageMount(ctx context.Context, nameOrID string) (string, error) {
	img, err := e.ImageInspect(ctx, nameOrID)
	if err != nil {
		return "", err
	}
	st, err := e.Store()
	if err != nil {
		return "", err
	}
	p, err := st.MountImage(img.ID, []string{"ro"}, "")
	if err != nil {
		return "", fmt.Errorf("mounting image %s: %w", nameOrID, err)
	}
	return p, nil
}

// ImageUnmount releases one mount of the image (all with force).
func (e *Engine) ImageUnmount(ctx context.Context, nameOrID string, force bool) error {
	img, err := e.ImageInspect(ctx, nameOrID)
	if err != nil {
		return err
	}
	st, err := e.Store()
	if err != nil {
		return err
	}
	if _, err := st.UnmountImage(img.ID, force); err != nil {
		return fmt.Errorf("unmounting image %s: %w", nameOrID, err)
	}
	return nil
}
