package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	selkiestorage "github.com/selkie-containers/selkie/internal/storage"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/image"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/pkg/blobinfocache/none"
	"go.podman.io/image/v5/pkg/compression"
	"go.podman.io/image/v5/signature"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
	drivers "go.podman.io/storage/drivers"
	"golang.org/x/term"
)

// fastLayers stores the layers of src (a registry, an archive, a layout)
// that the store lacks with the
// in-process extractor (internal/storage.LayerDiffer) before copy.Image
// runs; copy.Image then finds every layer under the ID it computes (the
// chain of DiffIDs) and only writes the config and manifest. This avoids
// containers/storage's re-executed, chrooted untar, its second tar parse
// and its pipe, which dominate pulls of layers with many small files.
//
// It is an optimisation only: any error makes the caller fall back to the
// plain copy, which then reports the error in its own words. The progress
// output is unchanged: containers/image prints "Copying blob" for reused
// blobs too.
func (m *Manager) fastLayers(ctx context.Context, pc *signature.PolicyContext, src types.ImageReference, sys *types.SystemContext) error {
	if m.opts.Getenv("SELKIE_PULL_FAST_LAYERS") == "0" {
		return nil
	}
	var stallTimeout time.Duration // only registries stall; archives may take long to open
	if src.Transport().Name() == docker.Transport.Name() {
		stallTimeout = m.opts.StallTimeout
	}
	ctx, st, stop := newStall(ctx, stallTimeout)
	defer stop()
	raw, err := src.NewImageSource(ctx, sys)
	if err != nil {
		return err
	}
	defer raw.Close()
	unparsed := image.UnparsedInstance(raw, nil)
	if ok, err := pc.IsRunningImageAllowed(ctx, unparsed); !ok || err != nil {
		return fmt.Errorf("policy: %w", err) // never store anything the policy may refuse
	}
	blob, mime, err := unparsed.Manifest(ctx)
	if err != nil {
		return err
	}
	if manifest.MIMETypeIsMultiImage(mime) {
		list, err := manifest.ListFromBlob(blob, mime)
		if err != nil {
			return err
		}
		d, err := list.ChooseInstance(sys)
		if err != nil {
			return err
		}
		unparsed = image.UnparsedInstance(raw, &d)
		if ok, err := pc.IsRunningImageAllowed(ctx, unparsed); !ok || err != nil {
			return fmt.Errorf("policy: %w", err)
		}
		if _, mime, err = unparsed.Manifest(ctx); err != nil {
			return err
		}
	}
	if mime != manifest.DockerV2Schema2MediaType && mime != "application/vnd.oci.image.manifest.v1+json" {
		return fmt.Errorf("manifest type %s", mime)
	}
	img, err := image.FromUnparsedImage(ctx, sys, unparsed)
	if err != nil {
		return err
	}
	cfg, err := img.OCIConfig(ctx)
	if err != nil {
		return err
	}
	layers := img.LayerInfos()
	diffIDs := cfg.RootFS.DiffIDs
	if len(layers) != len(diffIDs) || len(layers) == 0 {
		return errors.New("layers and DiffIDs differ")
	}
	var todo []int
	ids := make([]string, len(layers))
	for i, l := range layers {
		if len(l.URLs) > 0 || strings.Contains(l.MediaType, "encrypted") {
			return fmt.Errorf("layer %s: not a plain layer", l.Digest)
		}
		if err := l.Digest.Validate(); err != nil {
			return err
		}
		if err := diffIDs[i].Validate(); err != nil || diffIDs[i].Algorithm() != digest.SHA256 {
			return fmt.Errorf("DiffID %q", diffIDs[i])
		}
		ids[i] = diffIDs[i].Encoded()
		if i > 0 {
			ids[i] = digest.Canonical.FromString(ids[i-1] + "+" + ids[i]).Encoded()
		}
		if _, err := m.store.Layer(ids[i]); err != nil {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	staged, err := m.stageLayers(ctx, st, raw, layers, diffIDs, todo)
	if err != nil {
		return err
	}
	for k, i := range todo {
		out := staged[k]
		parent := ""
		if i > 0 {
			parent = ids[i-1]
		}
		// Unless a concurrent pull stored it (checked under a lock: storage
		// would replace the directory of the existing layer).
		_, err := selkiestorage.ApplyStaged(m.store, cstorage.ApplyStagedLayerOptions{
			ID: ids[i], ParentLayer: parent, DiffOutput: out,
			DiffOptions: &drivers.ApplyDiffWithDifferOpts{},
		})
		if err != nil {
			for _, o := range staged[k+1:] {
				m.store.CleanupStagedLayer(o)
			}
			return err
		}
	}
	return nil
}

// stageLayers fetches and extracts the layers todo (indexes into layers)
// into staging directories, two at a time, verifying each blob's digest
// and size against the manifest and its content against the DiffID.
func (m *Manager) stageLayers(ctx context.Context, st *stall, raw types.ImageSource, layers []types.BlobInfo, diffIDs []digest.Digest, todo []int) ([]*drivers.DriverWithDifferOutput, error) {
	staged := make([]*drivers.DriverWithDifferOutput, len(todo))
	errs := make([]error, len(todo))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for k, i := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			staged[k], errs[k] = m.stageLayer(ctx, st, raw, layers[i], diffIDs[i])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, o := range staged {
			if o != nil {
				m.store.CleanupStagedLayer(o)
			}
		}
		return nil, err
	}
	return staged, nil
}

func (m *Manager) stageLayer(ctx context.Context, st *stall, raw types.ImageSource, info types.BlobInfo, diffID digest.Digest) (*drivers.DriverWithDifferOutput, error) {
	rc, _, err := raw.GetBlob(ctx, info, none.NoCache)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	verifier := info.Digest.Verifier()
	var r io.Reader = io.TeeReader(rc, verifier)
	if info.Size >= 0 {
		r = io.LimitReader(r, info.Size+1)
	}
	counted := &countingReader{r: r, stall: st}
	plain, _, err := compression.AutoDecompress(counted)
	if err != nil {
		return nil, err
	}
	defer plain.Close()
	out, err := m.store.PrepareStagedLayer(&drivers.ApplyDiffWithDifferOpts{}, &selkiestorage.LayerDiffer{R: plain})
	if err != nil {
		if out != nil && out.Target != "" {
			m.store.CleanupStagedLayer(out)
		}
		return nil, err
	}
	fail := func(err error) (*drivers.DriverWithDifferOutput, error) {
		m.store.CleanupStagedLayer(out)
		return nil, err
	}
	if _, err := io.Copy(io.Discard, counted); err != nil { // the rest of the blob, for its digest
		return fail(err)
	}
	if info.Size >= 0 && counted.n != info.Size || !verifier.Verified() {
		return fail(fmt.Errorf("blob %s: digest or size does not match", info.Digest))
	}
	if out.UncompressedDigest != diffID {
		return fail(fmt.Errorf("layer %s does not match config's DiffID %s", info.Digest, diffID))
	}
	out.CompressedDigest = info.Digest
	return out, nil
}

type countingReader struct {
	r     io.Reader
	n     int64
	stall *stall
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if n > 0 {
		c.stall.touch()
	}
	return n, err
}

// isTerminal says whether w is a terminal (containers/image then draws
// progress bars instead of printing lines).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// stall cancels a context when touch is not called for a while (no
// timeout: never).
type stall struct {
	t *time.Timer
	d time.Duration
}

func newStall(ctx context.Context, timeout time.Duration) (context.Context, *stall, func()) {
	if timeout <= 0 {
		return ctx, nil, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &stall{t: time.AfterFunc(timeout, cancel), d: timeout}
	return ctx, s, func() { s.t.Stop(); cancel() }
}

func (s *stall) touch() {
	if s != nil {
		s.t.Reset(s.d)
	}
}
