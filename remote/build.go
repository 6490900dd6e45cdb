package remote

import (
	"context"
	"fmt"

	"github.com/selkie-containers/selkie/engine"
)

// Build is not offered remotely yet: it needs the context streamed to the
// service as a tar, which the REST layer does not carry yet.
func (c *Client) Build(ctx context.Context, o engine.BuildOptions) (*engine.BuildReport, error) {
	return nil, fmt.Errorf("build over the remote API: %w", engine.ErrNotImplemented)
}
