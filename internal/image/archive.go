package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/selkie-containers/selkie/engine"
	"go.podman.io/image/v5/directory"
	dockerArchive "go.podman.io/image/v5/docker/archive"
	"go.podman.io/image/v5/docker/reference"
	ociArchive "go.podman.io/image/v5/oci/archive"
	ociLayout "go.podman.io/image/v5/oci/layout"
	storageTransport "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// Save writes the images to o.Output, or to w for archive formats when
// o.Output is empty. docker-archive takes several images; the others one.
func (m *Manager) Save(ctx context.Context, names []string, o engine.ImageSaveOptions, w io.Writer) error {
	if len(names) == 0 {
		return Errorf(engine.ErrInvalidArg, "need at least 1 argument")
	}
	format := o.Format
	if format == "" {
		format = engine.SaveFormatDockerArchive
	}
	progress := o.Progress
	if o.Quiet {
		progress = nil
	}
	sys := &types.SystemContext{BigFilesTemporaryDir: m.opts.TmpDir, DirForceCompress: o.Compress}
	sys.SignaturePolicyPath = m.opts.SignaturePolicy
	out := o.Output
	switch format {
	case engine.SaveFormatDockerArchive, engine.SaveFormatOCIArchive:
	case engine.SaveFormatOCIDir, engine.SaveFormatDockerDir:
		if out == "" {
			return Errorf(engine.ErrInvalidArg, "--format %s requires an output directory (-o)", format)
		}
	default:
		return Errorf(engine.ErrInvalidArg, "unsupported format %q for image save", format)
	}
	if len(names) > 1 && format != engine.SaveFormatDockerArchive {
		return Errorf(engine.ErrInvalidArg, "unsupported format %q for multi-image archives", format)
	}
	tmp := ""
	if out == "" {
		f, err := os.CreateTemp(m.opts.TmpDir, "selkie-save-")
		if err != nil {
			return err
		}
		tmp = f.Name()
		f.Close()
		os.Remove(tmp)
		defer os.Remove(tmp)
		out = tmp
	}
	if err := m.save(ctx, names, format, out, sys, progress); err != nil {
		return err
	}
	if tmp == "" {
		return nil
	}
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

func (m *Manager) save(ctx context.Context, names []string, format, out string, sys *types.SystemContext, progress io.Writer) error {
	type item struct {
		img  *cstorage.Image
		name reference.NamedTagged
	}
	var items []item
	for _, n := range names {
		img, err := m.Lookup(n)
		if err != nil {
			return err
		}
		it := item{img: img}
		if full := m.matchingName(img, n); full != "" && !strings.HasPrefix(img.ID, strings.TrimPrefix(n, "sha256:")) {
			if named, err := reference.ParseNormalizedNamed(full); err == nil {
				it.name, _ = named.(reference.NamedTagged)
			}
		}
		items = append(items, it)
	}
	copyOne := func(it item, dst types.ImageReference) error {
		src, err := storageTransport.Transport.NewStoreReference(m.store, nil, it.img.ID)
		if err != nil {
			return err
		}
		_, _, err = m.copyImage(ctx, src, dst, copyOptions{src: sys, progress: progress})
		return err
	}
	switch format {
	case engine.SaveFormatDockerArchive:
		// One entry per image; its other names go in as additional tags
		// (copying one image twice into an archive is not supported).
		var order []string
		tags := map[string][]reference.NamedTagged{}
		imgs := map[string]item{}
		for _, it := range items {
			if _, ok := imgs[it.img.ID]; !ok {
				order = append(order, it.img.ID)
				imgs[it.img.ID] = it
			}
			if it.name != nil {
				tags[it.img.ID] = append(tags[it.img.ID], it.name)
			}
		}
		wr, err := dockerArchive.NewWriter(sys, out)
		if err != nil {
			return err
		}
		for _, id := range order {
			var first reference.NamedTagged
			if t := tags[id]; len(t) > 0 {
				first = t[0]
			}
			dst, err := wr.NewReference(first)
			if err != nil {
				wr.Close()
				return err
			}
			isys := *sys
			if t := tags[id]; len(t) > 1 {
				isys.DockerArchiveAdditionalTags = t[1:]
			}
			src, err := storageTransport.Transport.NewStoreReference(m.store, nil, id)
			if err == nil {
				_, _, err = m.copyImage(ctx, src, dst, copyOptions{src: &isys, progress: progress})
			}
			if err != nil {
				wr.Close()
				return err
			}
		}
		return wr.Close()
	case engine.SaveFormatOCIArchive, engine.SaveFormatOCIDir:
		refName := ""
		if items[0].name != nil {
			refName = items[0].name.String()
		}
		var dst types.ImageReference
		var err error
		if format == engine.SaveFormatOCIArchive {
			dst, err = ociArchive.NewReference(out, refName)
		} else {
			dst, err = ociLayout.NewReference(out, refName)
		}
		if err != nil {
			return err
		}
		return copyOne(items[0], dst)
	default: // docker-dir
		dst, err := directory.NewReference(out)
		if err != nil {
			return err
		}
		return copyOne(items[0], dst)
	}
}

// Load stores the images of an archive or directory (input), trying each
// format Podman accepts, and returns their names (sha256:ID when unnamed).
func (m *Manager) Load(ctx context.Context, r io.Reader, input, policy string, progress io.Writer) ([]string, error) {
	if input == "" {
		if r == nil {
			return nil, Errorf(engine.ErrInvalidArg, "no input")
		}
		f, err := os.CreateTemp(m.opts.TmpDir, "selkie-load-")
		if err != nil {
			return nil, err
		}
		defer os.Remove(f.Name())
		if _, err := io.Copy(f, r); err != nil {
			f.Close()
			return nil, fmt.Errorf("reading the archive: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		input = f.Name()
	}
	fi, err := os.Stat(input)
	if err != nil {
		return nil, err
	}
	sys := &types.SystemContext{BigFilesTemporaryDir: m.opts.TmpDir, SignaturePolicyPath: policy}
	if policy == "" {
		sys.SignaturePolicyPath = m.opts.SignaturePolicy
	}
	var attempts []string
	var errs []error
	try := func(name string, fn func() ([]Pulled, error)) ([]string, bool) {
		pulled, err := fn()
		if err != nil {
			attempts = append(attempts, name)
			errs = append(errs, err)
			return nil, false
		}
		return loadedNames(m, pulled), true
	}
	if fi.IsDir() {
		if names, ok := try("oci-dir", func() ([]Pulled, error) {
			ref, err := ociLayout.NewReference(input, "")
			if err != nil {
				return nil, err
			}
			return m.pullTransport(ctx, ref, sys, progress)
		}); ok {
			return names, nil
		}
		if names, ok := try("docker-dir", func() ([]Pulled, error) {
			ref, err := directory.NewReference(input)
			if err != nil {
				return nil, err
			}
			return m.pullTransport(ctx, ref, sys, progress)
		}); ok {
			return names, nil
		}
	} else {
		if names, ok := try("docker-archive", func() ([]Pulled, error) {
			ref, err := dockerArchive.ParseReference(input)
			if err != nil {
				return nil, err
			}
			return m.pullDockerArchive(ctx, ref, sys, progress)
		}); ok {
			return names, nil
		}
		if names, ok := try("oci-archive", func() ([]Pulled, error) {
			ref, err := ociArchive.NewReference(input, "")
			if err != nil {
				return nil, err
			}
			return m.pullTransport(ctx, ref, sys, progress)
		}); ok {
			return names, nil
		}
	}
	var b strings.Builder
	b.WriteString("payload does not match any of the supported image formats:")
	for i, a := range attempts {
		fmt.Fprintf(&b, "\n * %s: %v", a, errs[i])
	}
	return nil, Errorf(engine.ErrInvalidArg, "%s", b.String())
}

func loadedNames(m *Manager, pulled []Pulled) []string {
	var out []string
	for _, p := range pulled {
		img, err := m.store.Image(p.ID)
		if err == nil && len(img.Names) > 0 && p.Name != "" {
			out = append(out, img.Names...)
			continue
		}
		out = append(out, "sha256:"+p.ID)
	}
	return out
}

var _ = errors.New
var _ = filepath.Join
