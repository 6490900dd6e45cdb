package testenv

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// WriteOCILayout writes the image s into the OCI image layout dir (created
// if missing; other images already in its index.json are kept, an image with
// the same tag is replaced) so that it can be used as oci:dir:tag. It returns
// the manifest digest.
func WriteOCILayout(dir, tag string, s ImageSpec) (string, error) {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return "", err
	}
	layers, cfg, err := buildBlobs(blobs, s, true)
	if err != nil {
		return "", err
	}
	manifestType, configType, layerType := v1.MediaTypeImageManifest, v1.MediaTypeImageConfig, v1.MediaTypeImageLayerGzip
	if s.Healthcheck != nil {
		manifestType, configType, layerType = dockerManifestType, dockerConfigType, dockerLayerGzip
	}
	m := v1.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: manifestType,
		Config:    v1.Descriptor{MediaType: configType, Digest: digest.Digest(cfg.Digest), Size: cfg.Size},
	}
	for _, l := range layers {
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: layerType, Digest: digest.Digest(l.Digest), Size: l.Size})
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	mb, err := writeBlob(blobs, func(w io.Writer) error { _, err := w.Write(raw); return err })
	if err != nil {
		return "", err
	}
	desc := v1.Descriptor{MediaType: manifestType, Digest: digest.Digest(mb.Digest), Size: mb.Size}
	if tag != "" {
		desc.Annotations = map[string]string{v1.AnnotationRefName: tag}
	}
	if err := updateIndex(dir, tag, desc); err != nil {
		return "", err
	}
	return mb.Digest, nil
}

// updateIndex adds desc to dir/index.json, replacing an entry with the same tag.
func updateIndex(dir, tag string, desc v1.Descriptor) error {
	idx := v1.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: v1.MediaTypeImageIndex}
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &idx); err != nil {
			return fmt.Errorf("parsing %s/index.json: %w", dir, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	kept := idx.Manifests[:0]
	for _, d := range idx.Manifests {
		if tag == "" || d.Annotations[v1.AnnotationRefName] != tag {
			kept = append(kept, d)
		}
	}
	idx.Manifests = append(kept, desc)
	if raw, err = json.Marshal(idx); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, v1.ImageLayoutFile), []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "index.json"), raw)
}

// WriteOCIArchive writes the image s as an oci-archive (a tar of an OCI
// layout) at path, usable as oci-archive:path.
func WriteOCIArchive(path, tag string, s ImageSpec) error {
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".tmp-oci-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if _, err := WriteOCILayout(tmp, tag, s); err != nil {
		return err
	}
	return tarDir(path, tmp)
}

// WriteDockerArchive writes the image s as a docker-archive (manifest.json
// and repositories, uncompressed layers) at path, tagged ref ("" for none),
// usable as docker-archive:path.
func WriteDockerArchive(path, ref string, s ImageSpec) error {
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".tmp-docker-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	layers, cfg, err := buildBlobs(tmp, s, false)
	if err != nil {
		return err
	}
	cfgHex := digest.Digest(cfg.Digest).Encoded()
	if err := os.Rename(filepath.Join(tmp, cfgHex), filepath.Join(tmp, cfgHex+".json")); err != nil {
		return err
	}
	item := struct {
		Config   string
		RepoTags []string
		Layers   []string
	}{Config: cfgHex + ".json", RepoTags: []string{}}
	for _, l := range layers {
		h := digest.Digest(l.Digest).Encoded()
		if err := os.Rename(filepath.Join(tmp, h), filepath.Join(tmp, h+".tar")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		item.Layers = append(item.Layers, h+".tar")
	}
	if ref != "" {
		item.RepoTags = []string{ref}
		name, tagPart := ref, "latest"
		if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
			name, tagPart = ref[:i], ref[i+1:]
		}
		top := digest.Digest(layers[len(layers)-1].Digest).Encoded()
		repos, _ := json.Marshal(map[string]map[string]string{name: {tagPart: top}})
		if err := os.WriteFile(filepath.Join(tmp, "repositories"), repos, 0o644); err != nil {
			return err
		}
	}
	mf, err := json.Marshal([]any{item})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "manifest.json"), mf, 0o644); err != nil {
		return err
	}
	return tarDir(path, tmp)
}

// tarDir writes the tree under dir as an uncompressed tar at path (atomically).
func tarDir(path, dir string) error {
	out, err := os.CreateTemp(filepath.Dir(path), ".tmp-archive-")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	tw := tar.NewWriter(out)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, ModTime: DefaultCreated, Format: tar.FormatPAX}
		if d.IsDir() {
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, hdr.Name+"/", 0o755
			return tw.WriteHeader(hdr)
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, info.Size()
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing archive %s: %w", path, err)
	}
	return os.Rename(out.Name(), path)
}

// writeFileAtomic writes data to path through a temp file and a rename.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
