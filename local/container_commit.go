package local

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/pkg/shortnames"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
)

// Docker schema2 media types (the image-spec has only OCI's).
const (
	dockerManifestType = "application/vnd.docker.distribution.manifest.v2+json"
	dockerConfigType   = "application/vnd.docker.container.image.v1+json"
	dockerLayerType    = "application/vnd.docker.image.rootfs.diff.tar"
)

// ContainerCommit makes an image from the container: its image's layers plus
// one new layer holding the container's changes (or, with Squash, one layer
// holding the whole rootfs), and a config built from the container's
// settings with o.Changes applied. The layer is written straight into the
// store (Diff + PutLayer) and recorded uncompressed in the manifest, as
// Buildah does for local images, so `images`, `run`, `push` and `save` of
// Selkie and Podman all read it. Returns the new image's ID.
func (e *Engine) ContainerCommit(ctx context.Context, ref string, o engine.ContainerCommitOptions) (string, error) {
	mtype, err := commitFormat(o.Format)
	if err != nil {
		return "", err
	}
	var names []string
	if o.Image != "" {
		n, err := commitName(o.Image)
		if err != nil {
			return "", err
		}
		names = []string{n}
	}
	c, err := e.lookupContainer(ctx, ref)
	if err != nil {
		return "", err
	}
	e.syncExit(c)
	cfg, onbuild, err := e.commitConfig(c, o)
	if err != nil {
		return "", err
	}
	if o.Pause && c.State.Status == state.StatusRunning {
		if err := e.ContainerPause(ctx, c.ID); err != nil {
			return "", err
		}
		defer func() {
			if err := e.ContainerUnpause(context.WithoutCancel(ctx), c.ID); err != nil {
				e.log.Warn("unpausing after commit", "id", c.ID, "err", err)
			}
		}()
	}
	st, err := e.Store()
	if err != nil {
		return "", err
	}
	layer, err := e.commitLayer(st, c, o.Squash)
	if err != nil {
		return "", err
	}
	id, err := writeImage(st, layer, cfg, onbuild, mtype, names, o.Squash)
	if err == nil && o.Progress != nil {
		commitProgress(o.Progress, st, layer, id, o.Squash)
	}
	if err == nil {
		e.ctrEvent(ctx, c, "commit")
	}
	if err != nil {
		if derr := st.DeleteLayer(layer.ID); derr != nil {
			e.log.Warn("removing layer of failed commit", "layer", layer.ID, "err", derr)
		}
		return "", err
	}
	return id, nil
}

func commitFormat(f string) (string, error) {
	switch strings.ToLower(f) {
	case "", "oci":
		return v1.MediaTypeImageManifest, nil
	case "docker":
		return dockerManifestType, nil
	}
	return "", fmt.Errorf("unrecognized image type %q: %w", f, engine.ErrInvalidArg)
}

// commitName stores a short name under localhost/, with :latest when untagged.
func commitName(name string) (string, error) {
	if shortnames.IsShortName(name) {
		name = "localhost/" + strings.TrimPrefix(name, "/")
	}
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return "", fmt.Errorf("invalid image name %q: %w: %w", name, err, engine.ErrInvalidArg)
	}
	if _, ok := named.(reference.Digested); ok {
		return "", fmt.Errorf("invalid image name %q: cannot commit to a digest: %w", name, engine.ErrInvalidArg)
	}
	return reference.TagNameOnly(named).String(), nil
}

// commitLayer writes the container's changes (or its whole rootfs) as a new
// read-only layer on top of the image's top layer.
func (e *Engine) commitLayer(st cstorage.Store, c *state.Container, squash bool) (*cstorage.Layer, error) {
	sc, err := st.Container(c.StorageID)
	if err != nil {
		return nil, fmt.Errorf("reading storage of container %s: %w", c.ID, err)
	}
	var rc io.ReadCloser
	parent := ""
	if squash {
		mp, err := st.Mount(c.StorageID, "")
		if err != nil {
			return nil, fmt.Errorf("mounting storage for container %s: %w", c.ID, err)
		}
		defer func() { _, _ = st.Unmount(c.StorageID, false) }()
		if rc, err = chrootarchive.Tar(mp, &archive.TarOptions{Compression: archive.Uncompressed}, mp); err != nil {
			return nil, fmt.Errorf("reading the rootfs of container %s: %w", c.ID, err)
		}
	} else {
		img, err := st.Image(sc.ImageID)
		if err != nil {
			return nil, fmt.Errorf("reading the image of container %s: %w", c.ID, err)
		}
		parent = img.TopLayer
		unc := archive.Uncompressed
		if rc, err = st.Diff("", sc.LayerID, &cstorage.DiffOptions{Compression: &unc}); err != nil {
			return nil, fmt.Errorf("reading changes of container %s: %w", c.ID, err)
		}
	}
	// Spool the tar first: the diff stream holds the layer store's lock,
	// which PutLayer needs too.
	spool, err := e.spoolFile(st)
	if err != nil {
		rc.Close()
		return nil, err
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	_, err = io.Copy(spool, rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("reading changes of container %s: %w", c.ID, err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	layer, _, err := st.PutLayer("", parent, nil, "", false, nil, spool)
	if err != nil {
		return nil, fmt.Errorf("storing the committed layer: %w", err)
	}
	return layer, nil
}

// commitConfig is the new image's config: the image's, with the container's
// command, entrypoint, environment, user, working directory, labels, ports
// and stop signal, then the --change instructions, author and a history entry.
func (e *Engine) commitConfig(c *state.Container, o engine.ContainerCommitOptions) (*v1.Image, []string, error) {
	var img v1.Image
	if c.ImageConfig != nil {
		data, err := json.Marshal(c.ImageConfig)
		if err != nil {
			return nil, nil, err
		}
		if err := json.Unmarshal(data, &img); err != nil {
			return nil, nil, err
		}
	}
	img.Platform = v1.Platform{Architecture: orDefault(img.Architecture, "amd64"), OS: orDefault(img.OS, "linux"), Variant: img.Variant}
	now := time.Now().UTC()
	img.Created = &now
	if o.Author != "" {
		img.Author = o.Author
	}
	cc := &img.Config
	co := c.Options
	if env := e.containerEnv(c); env != nil {
		cc.Env = runtimeOnlyEnvOut(env, cc.Env, co.Env)
	}
	if co.Entrypoint != nil {
		cc.Entrypoint = append([]string{}, (*co.Entrypoint)...)
	}
	if len(co.Command) > 0 {
		cc.Cmd = append([]string{}, co.Command...)
	}
	if co.User != "" {
		cc.User = co.User
	}
	if co.WorkDir != "" {
		cc.WorkingDir = co.WorkDir
	}
	if co.StopSignal != "" {
		cc.StopSignal = co.StopSignal
	}
	for k, v := range co.Labels {
		if cc.Labels == nil {
			cc.Labels = map[string]string{}
		}
		cc.Labels[k] = v
	}
	for _, p := range co.Expose {
		addPort(cc, p)
	}
	for _, p := range co.PortMappings {
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		addPort(cc, fmt.Sprintf("%d/%s", p.ContainerPort, proto))
	}
	onbuild, err := applyCommitChanges(cc, o.Changes)
	if err != nil {
		return nil, nil, err
	}
	comment := o.Message
	if comment == "" && c.ImageName != "" {
		comment = "FROM " + c.ImageName
	}
	img.History = append(img.History, v1.History{Created: &now, CreatedBy: "/bin/sh", Author: o.Author, Comment: comment})
	return &img, onbuild, nil
}

// containerEnv is the environment the container runs with: its bundle's
// process env when it was started, else the image's merged with -e.
func (e *Engine) containerEnv(c *state.Container) []string {
	if dir, err := e.ctrRunDir(c.ID); err == nil {
		if data, err := os.ReadFile(filepath.Join(dir, "config.json")); err == nil {
			var sp specs.Spec
			if json.Unmarshal(data, &sp) == nil && sp.Process != nil {
				return append([]string{}, sp.Process.Env...)
			}
		}
	}
	var env []string
	if c.ImageConfig != nil {
		env = append(env, c.ImageConfig.Config.Env...)
	}
	for k, v := range c.Options.Env {
		env = setEnv(env, k, v)
	}
	return env
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// runtimeOnlyEnvOut drops HOSTNAME and HOME, which the runtime spec adds per
// container, unless the image or the user set them.
func runtimeOnlyEnvOut(env, image []string, user map[string]string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if (k == "HOSTNAME" || k == "HOME") && !hasEnv(image, k) {
			if _, ok := user[k]; !ok {
				continue
			}
		}
		out = append(out, kv)
	}
	return out
}
