package image

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
	"go.podman.io/image/v5/tarball"
	"go.podman.io/image/v5/types"
)

// Import makes a one-layer image from a filesystem tarball (a path, an
// http(s) URL, or "-" for r) and returns its ID.
func (m *Manager) Import(ctx context.Context, r io.Reader, o engine.ImageImportOptions, progress io.Writer) (string, error) {
	if o.Quiet {
		progress = nil
	}
	path, cleanup, err := m.importSource(ctx, r, o.Source)
	if err != nil {
		return "", err
	}
	defer cleanup()
	var cfg v1.ImageConfig
	if _, err := ApplyChanges(&cfg, o.Changes); err != nil {
		return "", err
	}
	now := time.Now().UTC()
	img := v1.Image{
		Config:   cfg,
		Created:  &now,
		Platform: v1.Platform{OS: o.OS, Architecture: o.Arch, Variant: o.Variant},
	}
	if o.Message != "" {
		// the tarball source builds the history and keeps this comment
		img.History = []v1.History{{Comment: o.Message}}
	}
	src, err := tarball.NewReference([]string{path}, nil)
	if err != nil {
		return "", err
	}
	if u, ok := src.(tarball.ConfigUpdater); ok {
		if err := u.ConfigUpdate(img, nil); err != nil {
			return "", err
		}
	}
	sys := &types.SystemContext{BigFilesTemporaryDir: m.opts.TmpDir, SignaturePolicyPath: o.SignaturePolicy}
	if sys.SignaturePolicyPath == "" {
		sys.SignaturePolicyPath = m.opts.SignaturePolicy
	}
	dst, err := m.storageRef(ctx, sys, src, o.Reference)
	if err != nil {
		return "", err
	}
	_, stored, err := m.copyImage(ctx, src, dst, copyOptions{src: sys, progress: progress})
	if err != nil {
		return "", fmt.Errorf("importing %s: %w", o.Source, err)
	}
	return stored.ID, nil
}

// importSource returns a local file holding the tarball.
func (m *Manager) importSource(ctx context.Context, r io.Reader, source string) (string, func(), error) {
	none := func() {}
	switch {
	case source == "" || source == "-":
		if r == nil {
			return "", none, Errorf(engine.ErrInvalidArg, "no input")
		}
		return m.spool(r)
	case strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://"):
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, source, nil)
		if err != nil {
			return "", none, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", none, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", none, fmt.Errorf("downloading %s: %s", source, resp.Status)
		}
		return m.spool(resp.Body)
	}
	fi, err := os.Stat(source)
	if err != nil {
		return "", none, err
	}
	if fi.IsDir() {
		return "", none, Errorf(engine.ErrInvalidArg, "%s is a directory, not a tarball", source)
	}
	return source, none, nil
}

func (m *Manager) spool(r io.Reader) (string, func(), error) {
	f, err := os.CreateTemp(m.opts.TmpDir, "selkie-import-")
	if err != nil {
		return "", func() {}, err
	}
	cleanup := func() { os.Remove(f.Name()) }
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		cleanup()
		return "", func() {}, err
	}
	if err := f.Close(); err != nil {
		cleanup()
		return "", func() {}, err
	}
	return f.Name(), cleanup, nil
}
