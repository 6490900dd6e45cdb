package local

import (
	"context"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
)

// setupNetwork attaches the container's network namespace (a bind-mounted
// netns file at netnsPath, created by the caller) to the networks the
// container asked for, and returns what inspect shows about it.
//
// TODO(#5): netavark/aardvark-dns for bridge networks and port mappings. Until
// then a private namespace has only loopback, which is what --network none gives.
func (e *Engine) setupNetwork(ctx context.Context, c *state.Container, netnsPath string) (*engine.NetworkSettings, error) {
	return &engine.NetworkSettings{}, nil
}

// teardownNetwork undoes setupNetwork; it must succeed when called twice or
// after a crash half-way through setup.
func (e *Engine) teardownNetwork(ctx context.Context, c *state.Container, netnsPath string) error {
	return nil
}
