package remote

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/build"
)

// Build sends the context directory as a tar (built here, on the client)
// and streams the build's output back. Containerfiles outside the context
// travel as ContainerfileData; the iidfile is written on this side.
func (c *Client) Build(ctx context.Context, o engine.BuildOptions) (*engine.BuildReport, error) {
	remoteCtx := o.ContextArchive == nil && build.RemoteKind(o.ContextDir) != ""
	if o.ContextArchive == nil && !remoteCtx {
		dir := o.ContextDir
		if dir == "" {
			dir = "."
		}
		if err := inlineContainerfiles(&o, dir); err != nil {
			return nil, err
		}
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(tarDir(pw, dir)) }()
		defer pr.Close()
		o.ContextArchive = pr
	}
	var body io.Reader = o.ContextArchive
	if remoteCtx {
		// A URL context is fetched by the service, as Podman's does.
		body = http.NoBody
	} else {
		o.ContextDir = ""
	}
	iid := o.IIDFile
	o.IIDFile = ""
	var rep engine.BuildReport
	if err := c.stream(ctx, http.MethodPost, "/build", options(o), body, "application/x-tar", o.Out, o.Err, &rep); err != nil {
		return nil, err
	}
	if iid != "" {
		if err := os.WriteFile(iid, []byte(rep.ID), 0o644); err != nil {
			return &rep, err
		}
	}
	return &rep, nil
}

// inlineContainerfiles reads a Containerfile that lies outside the context.
func inlineContainerfiles(o *engine.BuildOptions, dir string) error {
	if len(o.Containerfiles) != 1 || o.ContainerfileData != nil {
		return nil
	}
	f := o.Containerfiles[0]
	if !filepath.IsAbs(f) {
		return nil
	}
	abs, _ := filepath.Abs(dir)
	if rel, err := filepath.Rel(abs, f); err == nil && !strings.HasPrefix(rel, "..") {
		o.Containerfiles = []string{rel}
		return nil
	}
	data, err := os.ReadFile(f)
	if err != nil {
		return err
	}
	o.ContainerfileData, o.Containerfiles = data, nil
	return nil
}

// tarDir writes dir as a tar stream (regular files, directories, symlinks).
func tarDir(w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&os.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		if !fi.Mode().IsRegular() && !fi.IsDir() && link == "" {
			return nil // sockets, devices: not build context
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sending the build context: %w", err)
	}
	return tw.Close()
}
