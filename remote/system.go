package remote

import (
	"context"
	"net/http"

	"github.com/selkie-containers/selkie/engine"
)

// Info asks the service for its host and store information.
func (c *Client) Info(ctx context.Context) (*engine.InfoReport, error) {
	var v engine.InfoReport
	if err := c.call(ctx, http.MethodGet, "/info", nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Ping checks that the service answers.
func (c *Client) Ping(ctx context.Context) error {
	return c.call(ctx, http.MethodGet, "/_ping", nil, nil, nil)
}
