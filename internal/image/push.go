package image

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/manifest"
	storageTransport "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/transports/alltransports"
	"go.podman.io/image/v5/types"
)

// Push copies a local image to destination: a reference with a transport,
// or a registry reference (the image's own name when destination is empty).
func (m *Manager) Push(ctx context.Context, source, destination string, o engine.ImagePushOptions, progress io.Writer) error {
	if o.Quiet {
		progress = nil
	}
	img, err := m.Lookup(source)
	if err != nil {
		return err
	}
	if destination == "" {
		destination = source
		if name := m.matchingName(img, source); name != "" {
			destination = name
		}
	}
	dst, err := parseDestination(destination)
	if err != nil {
		return err
	}
	src, err := storageTransport.Transport.NewStoreReference(m.store, nil, img.ID)
	if err != nil {
		return err
	}
	sys, err := m.systemContext(o.RegistryOptions)
	if err != nil {
		return err
	}
	mt, err := manifestType(o.Format)
	if err != nil {
		return err
	}
	if o.Compress {
		sys.DirForceCompress = true
	}
	n, delay, err := m.retryOptions(o.RegistryOptions)
	if err != nil {
		return err
	}
	var man []byte
	err = retry(ctx, progress, n, delay, func() error {
		var cerr error
		man, _, cerr = m.copyImage(ctx, src, dst, copyOptions{src: sys, progress: progress, manifestType: mt, removeSignatures: o.RemoveSignatures})
		return cerr
	})
	if err != nil {
		return err
	}
	if o.DigestFile != "" {
		d, err := manifest.Digest(man)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(o.DigestFile, []byte(d.String()), 0o644); err != nil {
			return fmt.Errorf("failed to write digest to file %q: %w", o.DigestFile, err)
		}
	}
	return nil
}

// parseDestination reads a reference with a transport, or a registry one.
func parseDestination(dest string) (types.ImageReference, error) {
	if ref, err := alltransports.ParseImageName(dest); err == nil {
		return ref, nil
	}
	if err := unknownTransport(dest); err != nil {
		return nil, err
	}
	named, err := reference.ParseNormalizedNamed(dest)
	if err != nil {
		return nil, Errorf(engine.ErrInvalidArg, "%w", err)
	}
	return docker.NewReference(reference.TagNameOnly(named))
}

func manifestType(format string) (string, error) {
	switch strings.ToLower(format) {
	case "":
		return "", nil
	case "oci":
		return v1.MediaTypeImageManifest, nil
	case "v2s2", "docker":
		return manifest.DockerV2Schema2MediaType, nil
	case "v2s1":
		return manifest.DockerV2Schema1SignedMediaType, nil
	}
	return "", Errorf(engine.ErrInvalidArg, "unknown format %q: valid formats are oci, v2s2 and v2s1", format)
}

// writeFileAtomic writes data to a temp file beside path, then renames it.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(dirOf(path), ".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func dirOf(path string) string {
	if i := strings.LastIndex(path, "/"); i >= 0 {
		if i == 0 {
			return "/"
		}
		return path[:i]
	}
	return "."
}
