package remote

import (
	"context"
	"net/http"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

func (c *Client) ExecCreate(ctx context.Context, nameOrID string, o engine.ExecCreateOptions) (string, error) {
	var v wire.IDResponse
	err := c.call(ctx, http.MethodPost, containerPath(nameOrID, "exec"), nil, o, &v)
	return v.ID, err
}

// ExecStart runs the session; attached sessions run over a hijacked connection.
func (c *Client) ExecStart(ctx context.Context, execID string, o engine.ExecStartOptions) (int, error) {
	var v wire.ExitResponse
	req := wire.ExecStartRequest{Options: o, Streams: wire.SetTakingSize(o.Streams)}
	if o.Detach {
		err := c.call(ctx, http.MethodPost, "/exec/"+esc(execID)+"/start", nil, req, &v)
		return int(v.ExitCode), err
	}
	err := c.hijack(ctx, "/exec/"+esc(execID)+"/start", req, o.Streams, func(sz engine.TerminalSize) error {
		return c.ExecResize(context.WithoutCancel(ctx), execID, sz)
	}, &v)
	return int(v.ExitCode), err
}

func (c *Client) ExecInspect(ctx context.Context, execID string) (*engine.ExecInspect, error) {
	var v engine.ExecInspect
	if err := c.call(ctx, http.MethodGet, "/exec/"+esc(execID)+"/json", nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (c *Client) ExecResize(ctx context.Context, execID string, size engine.TerminalSize) error {
	return c.call(ctx, http.MethodPost, "/exec/"+esc(execID)+"/resize", nil, size, nil)
}
