package remote

import (
	"context"
	"net/http"

	"github.com/selkie-containers/selkie/engine"
)

func networkPath(name, verb string) string {
	p := "/networks/" + esc(name)
	if verb != "" {
		p += "/" + verb
	}
	return p
}

func (c *Client) NetworkCreate(ctx context.Context, o engine.NetworkCreateOptions) (engine.Network, error) {
	var v engine.Network
	err := c.call(ctx, http.MethodPost, "/networks/create", nil, o, &v)
	return v, err
}

func (c *Client) NetworkList(ctx context.Context, o engine.NetworkListOptions) ([]engine.Network, error) {
	var v []engine.Network
	err := c.call(ctx, http.MethodGet, "/networks/json", options(o), nil, &v)
	return v, err
}

func (c *Client) NetworkInspect(ctx context.Context, nameOrID string) (*engine.Network, error) {
	var v engine.Network
	if err := c.call(ctx, http.MethodGet, networkPath(nameOrID, "json"), nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (c *Client) NetworkRemove(ctx context.Context, nameOrID string, o engine.NetworkRemoveOptions) (engine.NetworkRemoveReport, error) {
	var v engine.NetworkRemoveReport
	err := c.call(ctx, http.MethodPost, networkPath(nameOrID, "remove"), nil, o, &v)
	return v, err
}

func (c *Client) NetworkPrune(ctx context.Context, o engine.NetworkPruneOptions) ([]string, error) {
	var v []string
	err := c.call(ctx, http.MethodPost, "/networks/prune", nil, o, &v)
	return v, err
}

func (c *Client) NetworkExists(ctx context.Context, nameOrID string) (bool, error) {
	var v bool
	err := c.call(ctx, http.MethodGet, networkPath(nameOrID, "exists"), nil, nil, &v)
	return v, err
}

func (c *Client) NetworkConnect(ctx context.Context, network string, o engine.NetworkConnectOptions) error {
	return c.call(ctx, http.MethodPost, networkPath(network, "connect"), nil, o, nil)
}

func (c *Client) NetworkDisconnect(ctx context.Context, network string, o engine.NetworkDisconnectOptions) error {
	return c.call(ctx, http.MethodPost, networkPath(network, "disconnect"), nil, o, nil)
}

func (c *Client) NetworkReload(ctx context.Context, container string) (string, error) {
	var v string
	err := c.call(ctx, http.MethodPost, containerPath(container, "network-reload"), nil, nil, &v)
	return v, err
}
