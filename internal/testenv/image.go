// Package testenv holds the fixtures the tests and the demo share: a builder
// of offline busybox images (OCI layout, oci-archive, docker-archive), a real
// docker-registry on a loopback port, the selkie binary and a CLI driver with
// private storage, and skips for missing root or binaries.
package testenv

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// DefaultCreated is the timestamp of images whose ImageSpec.Created is zero;
// a fixed date makes digests reproducible.
var DefaultCreated = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultPath is the PATH put in the image config when ImageSpec.Config.Env is nil.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ImageSpec describes an offline busybox image.
type ImageSpec struct {
	// Layers is the number of base layers. 1 (or 0): busybox, its applet
	// links, /etc/passwd and /etc/group in one layer; N>1: layers 2..N each
	// add a small file /layerN.txt containing "layer N\n".
	Layers int
	// Config is the image-spec config. A nil Env gets DefaultPath; nil
	// Entrypoint and Cmd get Cmd ["sh"], as Docker Hub's busybox.
	Config v1.ImageConfig
	// Healthcheck is a Docker-format-only field; when set the image is
	// written with Docker schema2 media types.
	Healthcheck *Healthcheck
	// Files are extra regular files (path -> content) in the top layer.
	// Content starting with "#!" is written mode 0755, other files 0644.
	Files map[string]string
	// Created is the image and file timestamp (default DefaultCreated).
	Created time.Time

	// RandomLayers adds, after the base layers, one layer per element with a
	// single file /random/layerK.bin of that many incompressible bytes (for
	// pull benchmarks). The data is pseudo-random with a fixed seed.
	RandomLayers []int64
	// SmallFiles, when > 0, adds a layer with that many small files under /many.
	SmallFiles int
}

// Healthcheck is Docker's HealthConfig (schema2 image config "Healthcheck").
type Healthcheck struct {
	Test        []string      `json:"Test,omitempty"`
	Interval    time.Duration `json:"Interval,omitempty"`
	Timeout     time.Duration `json:"Timeout,omitempty"`
	StartPeriod time.Duration `json:"StartPeriod,omitempty"`
	Retries     int           `json:"Retries,omitempty"`
}

// Media types of Docker schema2 images.
const (
	dockerManifestType = "application/vnd.docker.distribution.manifest.v2+json"
	dockerConfigType   = "application/vnd.docker.container.image.v1+json"
	dockerLayerGzip    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
)

type imageConfig struct {
	v1.ImageConfig
	Healthcheck *Healthcheck `json:"Healthcheck,omitempty"`
}

type imageDoc struct {
	Created      time.Time    `json:"created"`
	Author       string       `json:"author,omitempty"`
	Architecture string       `json:"architecture"`
	OS           string       `json:"os"`
	Config       imageConfig  `json:"config"`
	RootFS       v1.RootFS    `json:"rootfs"`
	History      []v1.History `json:"history"`
}

// blob is a content-addressed file written by the builder.
type blob struct {
	Digest string // sha256:...
	DiffID string // sha256 of the uncompressed tar (layers only)
	Size   int64
}

func (s ImageSpec) created() time.Time {
	if s.Created.IsZero() {
		return DefaultCreated
	}
	return s.Created.UTC()
}

// layerFuncs returns the writers of each layer, bottom first, with a history comment.
func (s ImageSpec) layerFuncs() (fns []func(*layerWriter) error, comments []string) {
	fns = append(fns, writeBase)
	comments = append(comments, "busybox rootfs")
	for n := 2; n <= s.Layers; n++ {
		n := n
		fns = append(fns, func(w *layerWriter) error {
			return w.bytesFile(fmt.Sprintf("layer%d.txt", n), 0o644, []byte(fmt.Sprintf("layer %d\n", n)))
		})
		comments = append(comments, fmt.Sprintf("layer %d", n))
	}
	for k, size := range s.RandomLayers {
		k, size := k, size
		fns = append(fns, func(w *layerWriter) error {
			if k == 0 {
				if err := w.dir("random", 0o755, 0); err != nil {
					return err
				}
			}
			return writeRandom(w, fmt.Sprintf("random/layer%d.bin", k+1), size, uint64(k+1))
		})
		comments = append(comments, fmt.Sprintf("random layer %d (%d bytes)", k+1, size))
	}
	if s.SmallFiles > 0 {
		n := s.SmallFiles
		fns = append(fns, func(w *layerWriter) error { return writeSmallFiles(w, n) })
		comments = append(comments, fmt.Sprintf("%d small files", n))
	}
	if len(s.Files) > 0 {
		top := fns[len(fns)-1]
		fns[len(fns)-1] = func(w *layerWriter) error {
			if err := top(w); err != nil {
				return err
			}
			return writeFiles(w, s.Files)
		}
	}
	return fns, comments
}

// writeBlob streams produce's output into dir/<hex> (atomically) and returns
// its digest and size.
func writeBlob(dir string, produce func(io.Writer) error) (blob, error) {
	tmp, err := os.CreateTemp(dir, ".tmp-blob-")
	if err != nil {
		return blob{}, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	cw := &countWriter{}
	if err := produce(io.MultiWriter(tmp, h, cw)); err != nil {
		tmp.Close()
		return blob{}, err
	}
	if err := tmp.Close(); err != nil {
		return blob{}, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := os.Rename(tmp.Name(), filepath.Join(dir, sum)); err != nil {
		return blob{}, err
	}
	return blob{Digest: "sha256:" + sum, Size: cw.n}, nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// writeLayer writes one layer blob into dir, gzip-compressed when compress.
func writeLayer(dir string, fn func(*layerWriter) error, mod time.Time, compress bool) (blob, error) {
	var diff hash.Hash = sha256.New()
	b, err := writeBlob(dir, func(out io.Writer) error {
		var zw *gzip.Writer
		raw := out
		if compress {
			var err error
			if zw, err = gzip.NewWriterLevel(out, gzip.BestSpeed); err != nil {
				return err
			}
			raw = zw
		}
		tw := tar.NewWriter(io.MultiWriter(raw, diff))
		if err := fn(&layerWriter{tw: tw, mod: mod}); err != nil {
			return err
		}
		if err := tw.Close(); err != nil {
			return err
		}
		if zw != nil {
			return zw.Close()
		}
		return nil
	})
	if err != nil {
		return blob{}, err
	}
	b.DiffID = "sha256:" + hex.EncodeToString(diff.Sum(nil))
	return b, nil
}

// buildBlobs writes the layers and the config of s into dir (a blobs/sha256
// directory) and returns the layer blobs and the config blob.
func buildBlobs(dir string, s ImageSpec, compress bool) ([]blob, blob, error) {
	mod := s.created()
	fns, comments := s.layerFuncs()
	var layers []blob
	doc := imageDoc{
		Created:      mod,
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Config:       imageConfig{ImageConfig: s.Config, Healthcheck: s.Healthcheck},
		RootFS:       v1.RootFS{Type: "layers"},
	}
	if doc.Config.Env == nil {
		doc.Config.Env = []string{DefaultPath}
	}
	if doc.Config.Entrypoint == nil && doc.Config.Cmd == nil {
		doc.Config.Cmd = []string{"sh"}
	}
	for i, fn := range fns {
		b, err := writeLayer(dir, fn, mod, compress)
		if err != nil {
			return nil, blob{}, fmt.Errorf("writing layer %d: %w", i+1, err)
		}
		layers = append(layers, b)
		doc.RootFS.DiffIDs = append(doc.RootFS.DiffIDs, digest.Digest(b.DiffID))
		c := mod
		doc.History = append(doc.History, v1.History{Created: &c, CreatedBy: "selkie testenv", Comment: comments[i]})
	}
	cfg, err := json.Marshal(doc)
	if err != nil {
		return nil, blob{}, err
	}
	cb, err := writeBlob(dir, func(w io.Writer) error { _, err := w.Write(cfg); return err })
	return layers, cb, err
}
