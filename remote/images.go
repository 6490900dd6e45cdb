package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

// ImagePull pulls on the service's host.
func (c *Client) ImagePull(ctx context.Context, ref string, o engine.ImagePullOptions, progress io.Writer) (engine.ImagePullReport, error) {
	var v engine.ImagePullReport
	err := c.streamJSON(ctx, http.MethodPost, "/images/pull", query("reference", ref), o, progress, nil, &v)
	return v, err
}

func (c *Client) ImagePush(ctx context.Context, source, destination string, o engine.ImagePushOptions, progress io.Writer) error {
	return c.streamJSON(ctx, http.MethodPost, "/images/push", nil, wire.PushRequest{Source: source, Destination: destination, Options: o}, progress, nil, nil)
}

func (c *Client) ImageList(ctx context.Context, o engine.ImageListOptions) ([]engine.ImageSummary, error) {
	var v []engine.ImageSummary
	err := c.call(ctx, http.MethodGet, "/images/json", options(o), nil, &v)
	return v, err
}

func (c *Client) ImageInspect(ctx context.Context, nameOrID string) (*engine.ImageInspect, error) {
	var v engine.ImageInspect
	if err := c.call(ctx, http.MethodGet, "/images/inspect", query("name", nameOrID), nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (c *Client) ImageExists(ctx context.Context, nameOrID string) (bool, error) {
	var v wire.ExistsResponse
	err := c.call(ctx, http.MethodGet, "/images/exists", query("name", nameOrID), nil, &v)
	return v.Exists, err
}

func (c *Client) ImageRemove(ctx context.Context, nameOrID string, o engine.ImageRemoveOptions) (engine.ImageRemoveReport, error) {
	var v engine.ImageRemoveReport
	err := c.call(ctx, http.MethodPost, "/images/remove", query("name", nameOrID), o, &v)
	return v, err
}

func (c *Client) ImageTag(ctx context.Context, nameOrID, newName string) error {
	return c.call(ctx, http.MethodPost, "/images/tag", query("name", nameOrID, "tag", newName), nil, nil)
}

func (c *Client) ImageUntag(ctx context.Context, nameOrID, name string) error {
	return c.call(ctx, http.MethodPost, "/images/untag", query("name", nameOrID, "tag", name), nil, nil)
}

func (c *Client) ImagePrune(ctx context.Context, o engine.ImagePruneOptions) ([]engine.ImagePruneReport, error) {
	var v []engine.ImagePruneReport
	err := c.call(ctx, http.MethodPost, "/images/prune", nil, o, &v)
	return v, err
}

func (c *Client) ImageHistory(ctx context.Context, nameOrID string) ([]engine.ImageHistoryEntry, error) {
	var v []engine.ImageHistoryEntry
	err := c.call(ctx, http.MethodGet, "/images/history", query("name", nameOrID), nil, &v)
	return v, err
}

func (c *Client) ImageTree(ctx context.Context, nameOrID string, o engine.ImageTreeOptions) (string, error) {
	var v string
	err := c.call(ctx, http.MethodGet, "/images/tree", query("name", nameOrID, "whatrequires", strconv.FormatBool(o.WhatRequires)), nil, &v)
	return v, err
}

// ImageSave streams the archive from the service; o.Output names a file on
// this (the client's) side. Directory formats cannot travel as one stream.
func (c *Client) ImageSave(ctx context.Context, names []string, o engine.ImageSaveOptions, w io.Writer) error {
	if o.Format == engine.SaveFormatOCIDir || o.Format == engine.SaveFormatDockerDir {
		return fmt.Errorf("saving to a directory (%s) over the remote API: %w", o.Format, engine.ErrNotImplemented)
	}
	if o.Output != "" {
		f, err := os.CreateTemp(dirOf(o.Output), ".selkie-save-*")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		out := o.Output
		o.Output = ""
		if err := c.streamJSON(ctx, http.MethodPost, "/images/save", nil, wire.SaveRequest{Names: names, Options: o}, f, nil, nil); err != nil {
			return err
		}
		if err := f.Chmod(0o644); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		return os.Rename(f.Name(), out)
	}
	return c.streamJSON(ctx, http.MethodPost, "/images/save", nil, wire.SaveRequest{Names: names, Options: o}, w, nil, nil)
}

// ImageLoad sends the archive (o.Input on this side, or r) to the service.
func (c *Client) ImageLoad(ctx context.Context, r io.Reader, o engine.ImageLoadOptions, progress io.Writer) (engine.ImageLoadReport, error) {
	var v engine.ImageLoadReport
	if o.Input != "" {
		f, err := os.Open(o.Input)
		if err != nil {
			return v, err
		}
		defer f.Close()
		r = f
		o.Input = ""
	}
	err := c.stream(ctx, http.MethodPost, "/images/load", options(o), r, "application/x-tar", progress, nil, &v)
	return v, err
}

// ImageImport sends a local tarball (or r for "-"); URLs are fetched by the service.
func (c *Client) ImageImport(ctx context.Context, r io.Reader, o engine.ImageImportOptions, progress io.Writer) (string, error) {
	var body io.Reader = http.NoBody
	switch {
	case o.Source == "-":
		body = r
	case strings.HasPrefix(o.Source, "http://") || strings.HasPrefix(o.Source, "https://"):
	default:
		f, err := os.Open(o.Source)
		if err != nil {
			return "", err
		}
		defer f.Close()
		body = f
		o.Source = "-"
	}
	var v wire.IDResponse
	err := c.stream(ctx, http.MethodPost, "/images/import", options(o), body, "application/x-tar", progress, nil, &v)
	return v.ID, err
}

func (c *Client) Login(ctx context.Context, registry string, o engine.LoginOptions) error {
	return c.call(ctx, http.MethodPost, "/auth/login", query("registry", registry), o, nil)
}

func (c *Client) Logout(ctx context.Context, registry string, o engine.LogoutOptions) error {
	return c.call(ctx, http.MethodPost, "/auth/logout", query("registry", registry), o, nil)
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		if i == 0 {
			return "/"
		}
		return p[:i]
	}
	return "."
}

// ImageSearch has the service search registries.
func (c *Client) ImageSearch(ctx context.Context, term string, o engine.ImageSearchOptions) ([]engine.ImageSearchResult, error) {
	q := query("term", term)
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.ListTags {
		q.Set("listTags", "true")
	}
	if o.TLSVerify != nil {
		q.Set("tlsVerify", strconv.FormatBool(*o.TLSVerify))
	}
	if len(o.Filters) > 0 {
		m := map[string][]string{}
		for _, f := range o.Filters {
			k, v, _ := strings.Cut(f, "=")
			m[k] = append(m[k], v)
		}
		b, _ := json.Marshal(m)
		q.Set("filters", string(b))
	}
	var v []engine.ImageSearchResult
	if err := c.call(ctx, http.MethodGet, "/images/search", q, nil, &v); err != nil {
		return nil, err
	}
	return v, nil
}
