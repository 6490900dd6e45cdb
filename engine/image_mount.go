package engine

import "context"

// ImageMounter mounts images read-only (`image mount`, --mount type=image).
type ImageMounter interface {
	// ImageMount mounts the image's root filesystem and returns its path.
	ImageMount(ctx context.Context, nameOrID string) (string, error)
	// ImageUnmount undoes one ImageMount (all of them with force).
	ImageUnmount(ctx context.Context, nameOrID string, force bool) error
}
