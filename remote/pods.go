package remote

import (
	"context"
	"net/http"
	"net/url"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

func podPath(id, verb string) string {
	p := "/pods/" + esc(id)
	if verb != "" {
		p += "/" + verb
	}
	return p
}

func (c *Client) PodCreate(ctx context.Context, o engine.PodCreateOptions) (string, error) {
	var r struct {
		ID string `json:"Id"`
	}
	err := c.call(ctx, http.MethodPost, "/pods/create", nil, o, &r)
	return r.ID, err
}

func (c *Client) podAction(ctx context.Context, id, verb string, q url.Values, in any) (engine.PodActionReport, error) {
	var r engine.PodActionReport
	err := c.call(ctx, http.MethodPost, podPath(id, verb), q, in, &r)
	return r, err
}

func (c *Client) PodStart(ctx context.Context, id string) (engine.PodActionReport, error) {
	return c.podAction(ctx, id, "start", nil, nil)
}

func (c *Client) PodStop(ctx context.Context, id string, o engine.ContainerStopOptions) (engine.PodActionReport, error) {
	return c.podAction(ctx, id, "stop", options(o), nil)
}

func (c *Client) PodRestart(ctx context.Context, id string) (engine.PodActionReport, error) {
	return c.podAction(ctx, id, "restart", nil, nil)
}

func (c *Client) PodKill(ctx context.Context, id, signal string) (engine.PodActionReport, error) {
	return c.podAction(ctx, id, "kill", url.Values{"signal": {signal}}, nil)
}

func (c *Client) PodPause(ctx context.Context, id string) (engine.PodActionReport, error) {
	return c.podAction(ctx, id, "pause", nil, nil)
}

func (c *Client) PodUnpause(ctx context.Context, id string) (engine.PodActionReport, error) {
	return c.podAction(ctx, id, "unpause", nil, nil)
}

func (c *Client) PodRemove(ctx context.Context, id string, o engine.PodRemoveOptions) (engine.PodRemoveReport, error) {
	var r engine.PodRemoveReport
	err := c.call(ctx, http.MethodDelete, podPath(id, ""), options(o), nil, &r)
	return r, err
}

func (c *Client) PodList(ctx context.Context, o engine.PodListOptions) ([]engine.PodSummary, error) {
	var r []engine.PodSummary
	err := c.call(ctx, http.MethodGet, "/pods/json", options(o), nil, &r)
	return r, err
}

func (c *Client) PodInspect(ctx context.Context, id string) (*engine.PodInspect, error) {
	var r engine.PodInspect
	if err := c.call(ctx, http.MethodGet, podPath(id, "json"), nil, nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func (c *Client) PodExists(ctx context.Context, id string) (bool, error) {
	var v wire.ExistsResponse
	err := c.call(ctx, http.MethodGet, podPath(id, "exists"), nil, nil, &v)
	return v.Exists, err
}

func (c *Client) PodClone(ctx context.Context, id string, o engine.PodCloneOptions) (string, error) {
	var r struct {
		ID string `json:"Id"`
	}
	err := c.call(ctx, http.MethodPost, podPath(id, "clone"), nil, o, &r)
	return r.ID, err
}
