package local

import (
	"context"
	"errors"
	"syscall"

	"github.com/selkie-containers/selkie/engine"
)

const syscallZero = syscall.Signal(0)

// ContainerExists reports whether ref names a container. With o.External a
// storage container of another tool (Buildah) counts too.
func (e *Engine) ContainerExists(ctx context.Context, ref string, o engine.ContainerExistsOptions) (bool, error) {
	_, err := e.lookupContainer(ctx, ref)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, engine.ErrNoSuchContainer) {
		return false, err
	}
	if o.External {
		st, err := e.Store()
		if err != nil {
			return false, err
		}
		if _, err := st.Container(ref); err == nil {
			return true, nil
		}
	}
	return false, nil
}
