package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"
	specsgo "github.com/opencontainers/image-spec/specs-go"
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

func addPort(cc *v1.ImageConfig, p string) {
	if !strings.Contains(p, "/") {
		p += "/tcp"
	}
	if cc.ExposedPorts == nil {
		cc.ExposedPorts = map[string]struct{}{}
	}
	cc.ExposedPorts[p] = struct{}{}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// writeImage records the image: config and manifest as big data under the
// keys containers/image's storage transport uses, the image ID being the
// config digest.
func writeImage(st cstorage.Store, top *cstorage.Layer, img *v1.Image, onbuild []string, mtype string, names []string, squash bool) (string, error) {
	var chain []*cstorage.Layer
	for l := top; l != nil; {
		chain = append([]*cstorage.Layer{l}, chain...)
		if l.Parent == "" || squash {
			break
		}
		p, err := st.Layer(l.Parent)
		if err != nil {
			return "", fmt.Errorf("reading layer %s: %w", l.Parent, err)
		}
		l = p
	}
	img.RootFS = v1.RootFS{Type: "layers"}
	layerType, configType := v1.MediaTypeImageLayer, v1.MediaTypeImageConfig
	if mtype == dockerManifestType {
		layerType, configType = dockerLayerType, dockerConfigType
	}
	var layers []v1.Descriptor
	for _, l := range chain {
		if l.UncompressedDigest == "" {
			return "", fmt.Errorf("layer %s has no recorded digest: %w", l.ID, engine.ErrInvalidArg)
		}
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, l.UncompressedDigest)
		layers = append(layers, v1.Descriptor{MediaType: layerType, Digest: l.UncompressedDigest, Size: l.UncompressedSize})
	}
	if squash {
		img.History = img.History[len(img.History)-1:]
	}
	config, err := json.Marshal(img)
	if err != nil {
		return "", err
	}
	if len(onbuild) > 0 && mtype == dockerManifestType {
		if config, err = withOnBuild(config, onbuild); err != nil {
			return "", err
		}
	}
	configDigest := digest.FromBytes(config)
	m := v1.Manifest{
		Versioned: specsgo.Versioned{SchemaVersion: 2},
		MediaType: mtype,
		Config:    v1.Descriptor{MediaType: configType, Digest: configDigest, Size: int64(len(config))},
		Layers:    layers,
	}
	manifest, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	manifestDigest := digest.FromBytes(manifest)
	id := configDigest.Encoded()
	_, err = st.CreateImage(id, names, top.ID, "", &cstorage.ImageOptions{
		CreationDate: *img.Created,
		Digest:       manifestDigest,
		BigData: []cstorage.ImageBigDataOption{
			{Key: configDigest.String(), Data: config, Digest: configDigest},
			{Key: "manifest-" + manifestDigest.String(), Data: manifest, Digest: manifestDigest},
			{Key: "manifest", Data: manifest, Digest: manifestDigest},
		},
	})
	if errors.Is(err, cstorage.ErrDuplicateID) {
		// Same config (and so the same content) committed before: name it.
		if len(names) > 0 {
			if err := st.AddNames(id, names); err != nil {
				return "", err
			}
		}
		return id, nil
	}
	if err != nil {
		return "", fmt.Errorf("storing the committed image: %w", err)
	}
	// A name now on this image leaves any image that had it (as a tag move).
	return id, nil
}

// applyCommitChanges applies --change instructions (CMD, ENTRYPOINT, ENV,
// EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL, ONBUILD) in Dockerfile
// syntax; "CMD=/bin/date" is accepted too, as Podman does. ONBUILD triggers
// are returned (only the Docker config format can carry them).
func applyCommitChanges(cc *v1.ImageConfig, changes []string) ([]string, error) {
	var onbuild []string
	for _, ch := range changes {
		ch = strings.TrimSpace(ch)
		instr, arg, _ := strings.Cut(ch, " ")
		if i := strings.IndexAny(ch, "= "); i >= 0 && ch[i] == '=' {
			instr, arg = ch[:i], ch[i+1:]
		}
		arg = strings.TrimSpace(arg)
		switch strings.ToUpper(instr) {
		case "CMD":
			cc.Cmd = instructionArgs(arg)
		case "ENTRYPOINT":
			cc.Entrypoint = instructionArgs(arg)
		case "ENV":
			kvs, err := changeKeyValues(arg, "ENV")
			if err != nil {
				return nil, err
			}
			for _, kv := range kvs {
				cc.Env = setEnv(cc.Env, kv[0], kv[1])
			}
		case "LABEL":
			kvs, err := changeKeyValues(arg, "LABEL")
			if err != nil {
				return nil, err
			}
			for _, kv := range kvs {
				if cc.Labels == nil {
					cc.Labels = map[string]string{}
				}
				cc.Labels[kv[0]] = kv[1]
			}
		case "EXPOSE":
			for _, p := range strings.Fields(arg) {
				addPort(cc, p)
			}
		case "VOLUME":
			var vols []string
			if json.Unmarshal([]byte(arg), &vols) != nil {
				vols = strings.Fields(arg)
			}
			for _, v := range vols {
				if !strings.HasPrefix(v, "/") {
					return nil, fmt.Errorf("invalid change %q: volume %q must be an absolute path: %w", ch, v, engine.ErrInvalidArg)
				}
				if cc.Volumes == nil {
					cc.Volumes = map[string]struct{}{}
				}
				cc.Volumes[v] = struct{}{}
			}
		case "USER":
			cc.User = arg
		case "WORKDIR":
			if !strings.HasPrefix(arg, "/") {
				arg = filepath.Join("/", cc.WorkingDir, arg)
			}
			cc.WorkingDir = arg
		case "STOPSIGNAL":
			cc.StopSignal = arg
		case "ONBUILD":
			onbuild = append(onbuild, arg)
		default:
			return nil, fmt.Errorf("invalid change %q - invalid instruction %s: %w", ch, instr, engine.ErrInvalidArg)
		}
		if arg == "" && strings.ToUpper(instr) != "CMD" && strings.ToUpper(instr) != "ENTRYPOINT" {
			return nil, fmt.Errorf("invalid change %q - missing value: %w", ch, engine.ErrInvalidArg)
		}
	}
	return onbuild, nil
}

// instructionArgs reads the JSON (exec) form, else the shell form.
func instructionArgs(arg string) []string {
	var v []string
	if strings.HasPrefix(arg, "[") && json.Unmarshal([]byte(arg), &v) == nil {
		return v
	}
	if arg == "" {
		return nil
	}
	return []string{"/bin/sh", "-c", arg}
}

// changeKeyValues parses "K=V K2=V2" or the legacy "K V" form.
func changeKeyValues(arg, instr string) ([][2]string, error) {
	if !strings.Contains(arg, "=") {
		k, v, _ := strings.Cut(arg, " ")
		if k == "" {
			return nil, fmt.Errorf("invalid %s %q: %w", instr, arg, engine.ErrInvalidArg)
		}
		return [][2]string{{k, strings.TrimSpace(v)}}, nil
	}
	var out [][2]string
	for _, f := range splitWords(arg) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid %s %q: %w", instr, arg, engine.ErrInvalidArg)
		}
		out = append(out, [2]string{k, unquote(v)})
	}
	return out, nil
}

// splitWords splits on spaces outside double quotes.
func splitWords(s string) []string {
	var out []string
	var cur strings.Builder
	inQ := false
	for _, r := range s {
		switch {
		case r == '"':
			inQ = !inQ
			cur.WriteRune(r)
		case r == ' ' && !inQ:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// withOnBuild adds Docker's config.OnBuild, which the OCI config lacks.
func withOnBuild(config []byte, onbuild []string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(config, &m); err != nil {
		return nil, err
	}
	var cc map[string]any
	if err := json.Unmarshal(m["config"], &cc); err != nil || cc == nil {
		cc = map[string]any{}
	}
	cc["OnBuild"] = onbuild
	raw, err := json.Marshal(cc)
	if err != nil {
		return nil, err
	}
	m["config"] = raw
	return json.Marshal(m)
}

// spoolFile is a temporary file on the store's filesystem (layers can be big).
func (e *Engine) spoolFile(st cstorage.Store) (*os.File, error) {
	dir := filepath.Join(st.GraphRoot(), "selkie", "tmp")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return os.CreateTemp(dir, "commit-*.tar")
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

// commitProgress prints what Podman (through containers/image) prints while
// committing, one line per layer and for the config.
func commitProgress(w io.Writer, st cstorage.Store, top *cstorage.Layer, id string, squash bool) {
	var lines []string
	for l := top; l != nil; {
		lines = append([]string{"Copying blob " + l.UncompressedDigest.String()}, lines...)
		if l.Parent == "" || squash {
			break
		}
		p, err := st.Layer(l.Parent)
		if err != nil {
			break
		}
		l = p
	}
	fmt.Fprintln(w, "Getting image source signatures")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w, "Copying config sha256:"+id)
	fmt.Fprintln(w, "Writing manifest to image destination")
}
