package remote

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/selkie-containers/selkie/engine"
)

func volumePath(name, verb string) string {
	p := "/volumes/" + esc(name)
	if verb != "" {
		p += "/" + verb
	}
	return p
}

func (c *Client) VolumeCreate(ctx context.Context, o engine.VolumeCreateOptions) (*engine.Volume, error) {
	var v engine.Volume
	if err := c.call(ctx, http.MethodPost, "/volumes/create", nil, o, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (c *Client) VolumeList(ctx context.Context, o engine.VolumeListOptions) ([]*engine.Volume, error) {
	var v []*engine.Volume
	err := c.call(ctx, http.MethodGet, "/volumes/json", options(o), nil, &v)
	return v, err
}

func (c *Client) VolumeInspect(ctx context.Context, name string) (*engine.Volume, error) {
	var v engine.Volume
	if err := c.call(ctx, http.MethodGet, volumePath(name, "json"), nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (c *Client) VolumeRemove(ctx context.Context, name string, o engine.VolumeRemoveOptions) error {
	return c.call(ctx, http.MethodPost, volumePath(name, "remove"), nil, o, nil)
}

func (c *Client) VolumePrune(ctx context.Context, o engine.VolumePruneOptions) ([]engine.VolumePruneReport, error) {
	var v []engine.VolumePruneReport
	err := c.call(ctx, http.MethodPost, "/volumes/prune", nil, o, &v)
	return v, err
}

func (c *Client) VolumeExists(ctx context.Context, name string) (bool, error) {
	var v bool
	err := c.call(ctx, http.MethodGet, volumePath(name, "exists"), nil, nil, &v)
	return v, err
}

func (c *Client) VolumeExport(ctx context.Context, name string, w io.Writer) error {
	return c.stream(ctx, http.MethodGet, volumePath(name, "export"), nil, nil, "", w, nil, nil)
}

func (c *Client) VolumeImport(ctx context.Context, name string, r io.Reader) error {
	return c.stream(ctx, http.MethodPost, volumePath(name, "import"), nil, r, "application/x-tar", nil, nil, nil)
}

func (c *Client) VolumeMount(ctx context.Context, name string) (string, error) {
	var v string
	err := c.call(ctx, http.MethodPost, volumePath(name, "mount"), nil, nil, &v)
	return v, err
}

func (c *Client) VolumeUnmount(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodPost, volumePath(name, "unmount"), nil, nil, nil)
}

func (c *Client) ContainerStat(ctx context.Context, nameOrID, path string) (*engine.FileStat, error) {
	var v engine.FileStat
	if err := c.call(ctx, http.MethodGet, containerPath(nameOrID, "stat"), url.Values{"path": {path}}, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (c *Client) ContainerArchiveGet(ctx context.Context, nameOrID, path string, w io.Writer, o engine.ArchiveGetOptions) (*engine.FileStat, error) {
	q := options(o)
	q.Set("path", path)
	var v engine.FileStat
	if err := c.stream(ctx, http.MethodGet, containerPath(nameOrID, "archive"), q, nil, "", w, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (c *Client) ContainerArchivePut(ctx context.Context, nameOrID, path string, r io.Reader, o engine.ArchivePutOptions) error {
	q := options(o)
	q.Set("path", path)
	return c.stream(ctx, http.MethodPut, containerPath(nameOrID, "archive"), q, r, "application/x-tar", nil, nil, nil)
}

func (c *Client) ImageMount(ctx context.Context, nameOrID string) (string, error) {
	var v string
	err := c.call(ctx, http.MethodPost, "/images/"+esc(nameOrID)+"/mount", nil, nil, &v)
	return v, err
}

func (c *Client) ImageUnmount(ctx context.Context, nameOrID string, force bool) error {
	q := url.Values{}
	if force {
		q.Set("force", "true")
	}
	return c.call(ctx, http.MethodPost, "/images/"+esc(nameOrID)+"/unmount", q, nil, nil)
}
