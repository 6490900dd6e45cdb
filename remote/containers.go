package remote

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

func (c *Client) ContainerCreate(ctx context.Context, o engine.ContainerCreateOptions) (engine.ContainerCreateReport, error) {
	var v engine.ContainerCreateReport
	err := c.streamJSON(ctx, http.MethodPost, "/containers/create", nil, o, o.PullProgress, nil, &v)
	return v, err
}

func (c *Client) ContainerInit(ctx context.Context, nameOrID string) error {
	return c.call(ctx, http.MethodPost, containerPath(nameOrID, "init"), nil, nil, nil)
}

// ContainerStart starts the container; with o.Attach the streams are
// connected over a hijacked connection before the process starts.
func (c *Client) ContainerStart(ctx context.Context, nameOrID string, o engine.ContainerStartOptions) error {
	if o.Attach == nil {
		return c.call(ctx, http.MethodPost, containerPath(nameOrID, "start"), nil, wire.StartRequest{}, nil)
	}
	req := wire.StartRequest{Streams: wire.SetTakingSize(*o.Attach), DetachKeys: o.Attach.DetachKeys}
	return c.hijack(ctx, containerPath(nameOrID, "start"), req, *o.Attach, func(sz engine.TerminalSize) error {
		return c.ContainerResize(context.WithoutCancel(ctx), nameOrID, sz)
	}, nil)
}

func (c *Client) ContainerStop(ctx context.Context, nameOrID string, o engine.ContainerStopOptions) error {
	return c.call(ctx, http.MethodPost, containerPath(nameOrID, "stop"), nil, o, nil)
}

func (c *Client) ContainerKill(ctx context.Context, nameOrID string, o engine.ContainerKillOptions) error {
	return c.call(ctx, http.MethodPost, containerPath(nameOrID, "kill"), nil, o, nil)
}

func (c *Client) ContainerRestart(ctx context.Context, nameOrID string, o engine.ContainerStopOptions) error {
	return c.call(ctx, http.MethodPost, containerPath(nameOrID, "restart"), nil, o, nil)
}

func (c *Client) ContainerRemove(ctx context.Context, nameOrID string, o engine.ContainerRemoveOptions) (engine.ContainerRemoveReport, error) {
	var v engine.ContainerRemoveReport
	err := c.call(ctx, http.MethodPost, containerPath(nameOrID, "remove"), nil, o, &v)
	return v, err
}

func (c *Client) ContainerList(ctx context.Context, o engine.ContainerListOptions) ([]engine.ContainerSummary, error) {
	var v []engine.ContainerSummary
	err := c.call(ctx, http.MethodGet, "/containers/json", options(o), nil, &v)
	return v, err
}

func (c *Client) ContainerInspect(ctx context.Context, nameOrID string, o engine.ContainerInspectOptions) (*engine.ContainerInspect, error) {
	var v engine.ContainerInspect
	if err := c.call(ctx, http.MethodGet, containerPath(nameOrID, "json"), options(o), nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (c *Client) ContainerExists(ctx context.Context, nameOrID string, o engine.ContainerExistsOptions) (bool, error) {
	var v wire.ExistsResponse
	err := c.call(ctx, http.MethodGet, containerPath(nameOrID, "exists"), options(o), nil, &v)
	return v.Exists, err
}

func (c *Client) ContainerWait(ctx context.Context, nameOrID string, o engine.ContainerWaitOptions) (int32, error) {
	var v wire.ExitResponse
	err := c.call(ctx, http.MethodPost, containerPath(nameOrID, "wait"), nil, o, &v)
	return v.ExitCode, err
}

func (c *Client) ContainerAttach(ctx context.Context, nameOrID string, o engine.ContainerAttachOptions) error {
	req := wire.AttachRequest{Options: o, Streams: wire.Set(o.Streams)}
	return c.hijack(ctx, containerPath(nameOrID, "attach"), req, o.Streams, func(sz engine.TerminalSize) error {
		return c.ContainerResize(context.WithoutCancel(ctx), nameOrID, sz)
	}, nil)
}

func (c *Client) ContainerLogs(ctx context.Context, nameOrID string, o engine.ContainerLogsOptions) error {
	req := wire.LogsRequest{Options: o, Streams: wire.StreamSet{Stdout: o.Stdout != nil, Stderr: o.Stderr != nil}}
	return c.stream(ctx, http.MethodGet, containerPath(nameOrID, "logs"), options(req), nil, "", o.Stdout, o.Stderr, nil)
}

func (c *Client) ContainerResize(ctx context.Context, nameOrID string, size engine.TerminalSize) error {
	return c.call(ctx, http.MethodPost, containerPath(nameOrID, "resize"), nil, size, nil)
}

func (c *Client) ContainerPause(ctx context.Context, nameOrID string) error {
	return c.call(ctx, http.MethodPost, containerPath(nameOrID, "pause"), nil, nil, nil)
}

func (c *Client) ContainerUnpause(ctx context.Context, nameOrID string) error {
	return c.call(ctx, http.MethodPost, containerPath(nameOrID, "unpause"), nil, nil, nil)
}

func (c *Client) ContainerRename(ctx context.Context, nameOrID, newName string) error {
	return c.call(ctx, http.MethodPost, containerPath(nameOrID, "rename"), query("name", newName), nil, nil)
}

func (c *Client) ContainerTop(ctx context.Context, nameOrID string, descriptors []string) ([][]string, error) {
	var v [][]string
	err := c.call(ctx, http.MethodGet, containerPath(nameOrID, "top"), query("ps_args", strings.Join(descriptors, ",")), nil, &v)
	return v, err
}

func (c *Client) ContainerStats(ctx context.Context, nameOrID string) (*engine.ContainerStats, error) {
	var v engine.ContainerStats
	if err := c.call(ctx, http.MethodGet, containerPath(nameOrID, "stats"), nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (c *Client) ContainerUpdate(ctx context.Context, nameOrID string, o engine.ContainerUpdateOptions) error {
	return c.call(ctx, http.MethodPost, containerPath(nameOrID, "update"), nil, o, nil)
}

func (c *Client) ContainerMount(ctx context.Context, nameOrID string) (string, error) {
	var v wire.MountResponse
	err := c.call(ctx, http.MethodPost, containerPath(nameOrID, "mount"), nil, nil, &v)
	return v.Path, err
}

func (c *Client) ContainerUnmount(ctx context.Context, nameOrID string, force bool) error {
	return c.call(ctx, http.MethodPost, containerPath(nameOrID, "unmount"), query("force", strconv.FormatBool(force)), nil, nil)
}

func (c *Client) ContainerChanges(ctx context.Context, nameOrID string) ([]engine.FileChange, error) {
	var v []engine.FileChange
	err := c.call(ctx, http.MethodGet, containerPath(nameOrID, "changes"), nil, nil, &v)
	return v, err
}

func (c *Client) ContainerExport(ctx context.Context, nameOrID string, w io.Writer) error {
	return c.stream(ctx, http.MethodGet, containerPath(nameOrID, "export"), nil, nil, "", w, nil, nil)
}

func (c *Client) ContainerCommit(ctx context.Context, nameOrID string, o engine.ContainerCommitOptions) (string, error) {
	var v wire.IDResponse
	err := c.streamJSON(ctx, http.MethodPost, containerPath(nameOrID, "commit"), nil, o, o.Progress, nil, &v)
	return v.ID, err
}

func (c *Client) ContainerCleanup(ctx context.Context, nameOrID string, o engine.ContainerCleanupOptions) error {
	return c.call(ctx, http.MethodPost, containerPath(nameOrID, "cleanup"), nil, o, nil)
}

func (c *Client) ContainerPort(ctx context.Context, nameOrID string) ([]engine.PortMapping, error) {
	var v []engine.PortMapping
	err := c.call(ctx, http.MethodGet, containerPath(nameOrID, "port"), nil, nil, &v)
	return v, err
}
