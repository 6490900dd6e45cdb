package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/selkie-containers/selkie/api/wire"

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

// Events streams the service's events log.
func (c *Client) Events(ctx context.Context, o engine.EventsOptions, fn func(engine.Event) error) error {
	q := query("since", o.Since, "until", o.Until, "stream", strconv.FormatBool(o.Stream))
	if len(o.Filters) > 0 {
		m := map[string][]string{}
		for _, f := range o.Filters {
			k, v, _ := strings.Cut(f, "=")
			m[k] = append(m[k], v)
		}
		b, _ := json.Marshal(m)
		q.Set("filters", string(b))
	}
	resp, err := c.do(ctx, http.MethodGet, "/events", q, nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var m wire.EventMessage
		if err := dec.Decode(&m); err != nil {
			if err == io.EOF || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("reading events: %w", err)
		}
		if err := fn(wire.FromEventMessage(m)); err != nil {
			return err
		}
	}
}

// SystemDf asks the service for the store's disk usage.
func (c *Client) SystemDf(ctx context.Context) (*engine.SystemDfReport, error) {
	var v engine.SystemDfReport
	if err := c.call(ctx, http.MethodGet, "/system/df", nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
