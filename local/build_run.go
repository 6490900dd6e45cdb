package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	specsgo "github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/build"
	"github.com/selkie-containers/selkie/internal/spec"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
	"golang.org/x/sys/unix"
)

// buildStepLabel marks a RUN step's container: one left by a killed build
// shows in ps -a (filter label=io.selkie.build-step) and goes with rm -f.
const buildStepLabel = "io.selkie.build-step"

func archiveUncompressed() archive.Compression { return archive.Uncompressed }

// lookupChown resolves --chown=user[:group] in the rootfs's passwd/group.
func lookupChown(rootfs, chown string) (int, int, error) {
	u, err := spec.LookupUser(rootfs, chown, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("looking up --chown %q: %w: %w", chown, err, engine.ErrInvalidArg)
	}
	uid, gid := int(u.UID), int(u.GID)
	if userPart, groupPart, ok := strings.Cut(chown, ":"); ok && groupPart != "" {
		_ = userPart
		if g, err := strconv.Atoi(groupPart); err == nil {
			gid = g
		}
	} else if !ok {
		if _, err := strconv.Atoi(chown); err == nil {
			gid = uid // a numeric --chown=UID means UID:UID, as Docker
		}
	}
	return uid, gid, nil
}

// runArgv is the RUN's command line (heredocs become the script).
// A heredoc script starting with #! is mounted (read-only) at /dev/pipes/NAME
// and executed, as BuildKit does; script is then its host copy.
func (b *builder) runArgv(s *stageState, c *instructions.RunCommand) (argv []string, script *engine.Mount, err error) {
	if !c.PrependShell {
		return append([]string{}, c.CmdLine...), nil, nil
	}
	if len(c.Files) == 1 && len(c.CmdLine) == 1 && strings.HasPrefix(c.Files[0].Data, "#!") {
		if hd, err := parser.ParseHeredoc(c.CmdLine[0]); err == nil && hd != nil {
			data := c.Files[0].Data
			if c.Files[0].Chomp {
				data = parser.ChompHeredocContent(data)
			}
			f, err := os.CreateTemp(b.tmp, "heredoc-")
			if err != nil {
				return nil, nil, err
			}
			_, err = f.WriteString(data)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = os.Chmod(f.Name(), 0o755)
			}
			if err != nil {
				return nil, nil, err
			}
			target := "/dev/pipes/" + path.Base(c.Files[0].Name)
			return []string{target}, &engine.Mount{Type: "bind", Source: f.Name(), Destination: target, Options: []string{"ro"}}, nil
		}
	}
	return b.shellArgv(s, c), nil, nil
}

func (b *builder) shellArgv(s *stageState, c *instructions.RunCommand) []string {
	script := strings.Join(c.CmdLine, " ")
	if len(c.Files) > 0 {
		if len(c.CmdLine) == 1 {
			if hd, err := parser.ParseHeredoc(c.CmdLine[0]); err == nil && hd != nil && len(c.Files) == 1 {
				data := c.Files[0].Data
				if c.Files[0].Chomp {
					data = parser.ChompHeredocContent(data)
				}
				return append(append([]string{}, s.shell...), data)
			}
		}
		for _, f := range c.Files {
			script += "\n" + f.Data + f.Name
		}
	}
	return append(append([]string{}, s.shell...), script)
}

// runStep runs a RUN through the engine's container path on the stage's
// current image and commits the container's changes as a layer.
func (b *builder) runStep(ctx context.Context, s *stageState, c *instructions.RunCommand, named, last bool) error {
	if s.imageID == "" {
		return fmt.Errorf("RUN in an empty (scratch) stage: no shell to run: %w", engine.ErrInvalidArg)
	}
	argv, scriptMount, err := b.runArgv(s, c)
	if err != nil {
		return err
	}
	env := map[string]string{}
	var argWords []string
	for _, kv := range s.args.Env() {
		k, v, _ := strings.Cut(kv, "=")
		if _, inEnv := build.LookupEnv(s.cfg.Config.Env, k); inEnv {
			continue
		}
		env[k] = v
		if !build.IsProxyArg(k) {
			// As Docker and Buildah: proxy args (credentials, often) stay
			// out of the history, and changing them keeps the cache.
			argWords = append(argWords, kv)
		}
	}
	for _, kv := range b.o.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	// --http-proxy: the caller's proxy variables, unless the Containerfile
	// (ARG or ENV) or --env set them.
	for _, kv := range b.o.ProxyEnv {
		k, v, _ := strings.Cut(kv, "=")
		if _, set := env[k]; set {
			continue
		}
		if _, inEnv := build.LookupEnv(s.cfg.Config.Env, k); !inEnv {
			env[k] = v
		}
	}
	createdBy := "/bin/sh -c " + strings.Join(c.CmdLine, " ")
	if !c.PrependShell {
		data, _ := json.Marshal(c.CmdLine)
		createdBy = "/bin/sh -c #(nop) RUN " + string(data)
	}
	if len(argWords) > 0 {
		sort.Strings(argWords)
		createdBy = fmt.Sprintf("|%d %s %s", len(argWords), strings.Join(argWords, " "), createdBy)
	}
	mounts, targets, mkey, err := b.runMounts(ctx, s, c)
	if err != nil {
		return err
	}
	if scriptMount != nil {
		mounts = append(mounts, *scriptMount)
		targets = append(targets, scriptMount.Destination)
	}
	if err := b.secretEnv(c, env); err != nil {
		return err
	}
	sshM, sshTargets, closeSSH, err := b.sshMounts(s, c)
	if err != nil {
		return err
	}
	defer closeSSH()
	mounts = append(mounts, sshM...)
	targets = append(targets, sshTargets...)
	if len(sshTargets) > 0 {
		if _, set := env["SSH_AUTH_SOCK"]; !set {
			if _, inEnv := build.LookupEnv(s.cfg.Config.Env, "SSH_AUTH_SOCK"); !inEnv {
				env["SSH_AUTH_SOCK"] = sshTargets[0]
			}
		}
		mkey += fmt.Sprintf("ssh=%q;", sshTargets)
	}
	network := b.o.Network
	if n := instructions.GetNetwork(c); n != "" {
		network = n
		if network == "default" {
			network = b.o.Network
		}
	}
	// As Podman 4.3 (Buildah): a RUN gets a private network namespace on
	// the default network unless --network or RUN --network says otherwise.
	if network == "private" || network == "default" {
		network = ""
	}
	key := b.cacheKey(s.imageID, createdBy, fmt.Sprintf("%s\x00%v\x00%s\x00%v", mkey, b.o.Env, network, argv))
	if ok, err := b.useCache(s, b.lookupCache(key), named, last); ok || err != nil {
		return err
	}
	for _, v := range b.o.Volumes {
		m, err := parseBuildVolume(v)
		if err != nil {
			return err
		}
		mounts = append(mounts, m)
		targets = append(targets, m.Destination)
	}
	empty := []string{}
	co := engine.ContainerCreateOptions{
		Image:       s.imageID,
		Command:     argv,
		Entrypoint:  &empty,
		Env:         env,
		WorkDir:     s.cfg.Config.WorkingDir,
		User:        s.cfg.Config.User,
		Network:     network,
		CapAdd:      b.o.CapAdd,
		CapDrop:     b.o.CapDrop,
		NoHosts:     b.o.NoHosts,
		AddHosts:    b.o.Run.AddHosts,
		DNSServers:  b.o.Run.DNSServers,
		DNSSearch:   b.o.Run.DNSSearch,
		DNSOptions:  b.o.Run.DNSOptions,
		SecurityOpt: b.o.Run.SecurityOpt,
		Devices:     b.o.Run.Devices,
		Resources:   b.o.Run.Resources,
		ShmSize:     b.o.Run.ShmSize,
		Ulimits:     b.o.Run.Ulimits,
		IPCMode:     b.o.Run.IPCMode,
		PIDMode:     b.o.Run.PIDMode,
		UTSMode:     b.o.Run.UTSMode,
		CgroupNS:    b.o.Run.CgroupNS,
		UserNS:      b.o.Run.UserNS,
		Mounts:      mounts,
		ImageVolume: "ignore",
		Stdin:       b.o.Stdin != nil,
		PullPolicy:  engine.PullPolicyNever,
		// Marks the step's container if the build is killed before removing it.
		Labels: map[string]string{buildStepLabel: "true"},
	}
	rep, err := b.e.ContainerCreate(ctx, co)
	if err != nil {
		return err
	}
	id := rep.ID
	// The step's container never outlives the step (also when the build
	// is interrupted: it is killed at once), unless its RUN failed and
	// --force-rm=false keeps it for a look (as Podman keeps the working
	// container).
	keep := false
	defer func() {
		if keep {
			_ = b.e.ContainerCleanup(context.WithoutCancel(ctx), id, engine.ContainerCleanupOptions{})
			return
		}
		var zero uint
		rctx := context.WithoutCancel(ctx)
		for i := 0; i < 5; i++ {
			_, err := b.e.ContainerRemove(rctx, id, engine.ContainerRemoveOptions{Force: true, Ignore: true, Volumes: true, Timeout: &zero})
			if err == nil {
				return
			}
			b.e.log.Warn("removing the build step's container", "id", id, "err", err)
			time.Sleep(time.Duration(i+1) * 200 * time.Millisecond)
		}
	}()
	streams := &engine.Streams{Stdout: s.runOut, Stderr: s.runErr, Stdin: b.o.Stdin}
	// The start/attach runs to the process's exit; an interrupt kills the
	// process instead of abandoning a half-started container.
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			// The attach holds the container's lock: signal the process
			// (the pid namespace's init) directly.
			for i := 0; i < 100; i++ {
				if c, err := b.e.lookupContainer(context.WithoutCancel(ctx), id); err == nil && c.State.Pid > 0 {
					_ = unix.Kill(c.State.Pid, unix.SIGKILL)
					return
				}
				select {
				case <-done:
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		case <-done:
		}
	}()
	if err := b.e.ContainerStart(context.WithoutCancel(ctx), id, engine.ContainerStartOptions{Attach: streams}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("while running runtime: %w", err)
	}
	code, err := b.e.ContainerWait(context.WithoutCancel(ctx), id, engine.ContainerWaitOptions{})
	if err != nil {
		return fmt.Errorf("while running runtime: %w", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if code != 0 {
		keep = !b.o.ForceRemove
		return &buildStepError{code: int(code), err: fmt.Errorf("exit status %d", code),
			msg: fmt.Sprintf("building at STEP \"%s\": while running runtime: exit status %d", stepText(c), code)}
	}
	_ = b.e.ContainerCleanup(context.WithoutCancel(ctx), id, engine.ContainerCleanupOptions{})
	ctr, err := b.e.lookupContainer(ctx, id)
	if err != nil {
		return err
	}
	if err := b.dropMountpoints(ctr.StorageID, targets); err != nil {
		return err
	}
	if b.o.Timestamp != nil {
		// --timestamp: every file time in the layer is the given time,
		// so that the same build gives the same image.
		sc, err := b.st.Container(ctr.StorageID)
		if err != nil {
			return err
		}
		unc := archiveUncompressed()
		rc, err := b.st.Diff("", sc.LayerID, &cstorage.DiffOptions{Compression: &unc})
		if err != nil {
			return fmt.Errorf("reading changes of the step's container: %w", err)
		}
		layer, err := b.putLayer(s.top, rc)
		if err != nil {
			return err
		}
		return b.commitStepKey(s, layer, v1.History{CreatedBy: createdBy}, key, named)
	}
	layer, err := b.e.commitLayer(b.st, ctr, false)
	if err != nil {
		return err
	}
	return b.commitStepKey(s, layer.ID, v1.History{CreatedBy: createdBy}, key, named)
}

func (b *builder) runOut() io.Writer {
	if b.o.Quiet || b.o.Out == nil {
		return io.Discard
	}
	return b.o.Out
}

func (b *builder) runErr() io.Writer {
	if b.o.Quiet || b.o.Err == nil {
		return io.Discard
	}
	return b.o.Err
}

// parseBuildVolume reads a -v SRC:DST[:OPTS] for RUN steps.
func parseBuildVolume(v string) (engine.Mount, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 || !path.IsAbs(parts[1]) || !filepath.IsAbs(parts[0]) {
		return engine.Mount{}, fmt.Errorf("invalid volume %q: want /host:/container[:options]: %w", v, engine.ErrInvalidArg)
	}
	m := engine.Mount{Type: "bind", Source: parts[0], Destination: parts[1], RW: true}
	if len(parts) == 3 {
		m.Options = strings.Split(parts[2], ",")
		for _, o := range m.Options {
			if o == "ro" {
				m.RW = false
			}
		}
	}
	return m, nil
}

// runMounts turns RUN --mount options into container mounts. Bind sources
// are resolved inside the context or the named stage/image (never on the
// host: CVE-2024-1753), cache ids inside the cache root (CVE-2024-9675),
// and writable binds are overlays whose writes are discarded.
func (b *builder) runMounts(ctx context.Context, s *stageState, c *instructions.RunCommand) ([]engine.Mount, []string, string, error) {
	var out []engine.Mount
	var targets []string
	var key strings.Builder
	for _, m := range instructions.GetMounts(c) {
		if m.Type == instructions.MountTypeSSH {
			continue // sshMounts
		}
		target := m.Target
		if m.Type == instructions.MountTypeSecret && target == "" && m.Env != nil {
			continue // only an environment variable (secretEnv)
		}
		if m.Type == instructions.MountTypeSecret && target == "" {
			id := m.CacheID
			target = "/run/secrets/" + id
		}
		if target == "" {
			return nil, nil, "", fmt.Errorf("RUN --mount type=%s: no target: %w", m.Type, engine.ErrInvalidArg)
		}
		if !path.IsAbs(target) {
			target = path.Join("/", s.cfg.Config.WorkingDir, target)
		}
		targets = append(targets, target)
		fmt.Fprintf(&key, "%s,%s,%s,%s,%s,%v;", m.Type, m.From, m.Source, target, m.CacheID, m.ReadOnly)
		switch m.Type {
		case instructions.MountTypeBind:
			root := b.contextDir
			if m.From != "" {
				r, err := b.mountFrom(ctx, s, m.From)
				if err != nil {
					return nil, nil, "", err
				}
				root = r
			}
			src, err := confined(root, m.Source)
			if err != nil {
				return nil, nil, "", err
			}
			fi, err := os.Stat(src)
			if err != nil {
				return nil, nil, "", fmt.Errorf("RUN --mount source %q: %w: %w", m.Source, err, engine.ErrInvalidArg)
			}
			em := engine.Mount{Type: "bind", Source: src, Destination: target, Options: []string{"ro"}}
			if !m.ReadOnly && fi.IsDir() {
				em.Options = []string{"O"}
				em.RW = true
			}
			out = append(out, em)
		case instructions.MountTypeCache:
			root := filepath.Join(b.st.GraphRoot(), "selkie", "build-cache")
			if err := os.MkdirAll(root, 0o700); err != nil {
				return nil, nil, "", err
			}
			id := m.CacheID
			if id == "" {
				id = target
			}
			dir, err := securejoin.SecureJoin(root, strings.ReplaceAll(id, "/", "_"))
			if err != nil {
				return nil, nil, "", err
			}
			if m.From != "" {
				r, err := b.mountFrom(ctx, s, m.From)
				if err != nil {
					return nil, nil, "", err
				}
				if dir, err = confined(r, m.Source); err != nil {
					return nil, nil, "", err
				}
				out = append(out, engine.Mount{Type: "bind", Source: dir, Destination: target, Options: []string{"O"}, RW: true})
				continue
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, nil, "", err
			}
			if m.Source != "" {
				if dir, err = confined(dir, m.Source); err != nil {
					return nil, nil, "", err
				}
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return nil, nil, "", err
				}
			}
			if m.UID != nil || m.GID != nil {
				uid, gid := -1, -1
				if m.UID != nil {
					uid = int(*m.UID)
				}
				if m.GID != nil {
					gid = int(*m.GID)
				}
				_ = os.Lchown(dir, uid, gid)
			}
			em := engine.Mount{Type: "bind", Source: dir, Destination: target, RW: !m.ReadOnly}
			if m.ReadOnly {
				em.Options = []string{"ro"}
			}
			out = append(out, em)
		case instructions.MountTypeTmpfs:
			em := engine.Mount{Type: "tmpfs", Destination: target, RW: true}
			if m.SizeLimit > 0 {
				em.Options = []string{"size=" + strconv.FormatInt(m.SizeLimit, 10)}
			}
			out = append(out, em)
		case instructions.MountTypeSecret:
			id := m.CacheID
			if id == "" {
				id = path.Base(target)
			}
			src, ok := b.secrets[id]
			if !ok {
				if m.Required {
					return nil, nil, "", fmt.Errorf("secret required but no secret with id %q found: %w", id, engine.ErrInvalidArg)
				}
				targets = targets[:len(targets)-1]
				continue
			}
			// Mount a private copy: the host path never shows in the container.
			data, err := os.ReadFile(src)
			if err != nil {
				return nil, nil, "", err
			}
			cf, err := os.CreateTemp(b.tmp, "secret-mount-")
			if err != nil {
				return nil, nil, "", err
			}
			cp := cf.Name()
			_, err = cf.Write(data)
			if cerr := cf.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, nil, "", err
			}
			mode := os.FileMode(0o400)
			if m.Mode != nil {
				mode = os.FileMode(*m.Mode)
			}
			_ = os.Chmod(cp, mode)
			if m.UID != nil || m.GID != nil {
				uid, gid := 0, 0
				if m.UID != nil {
					uid = int(*m.UID)
				}
				if m.GID != nil {
					gid = int(*m.GID)
				}
				_ = os.Chown(cp, uid, gid)
			}
			out = append(out, engine.Mount{Type: "bind", Source: cp, Destination: target, Options: []string{"ro"}})
		default:
			return nil, nil, "", fmt.Errorf("RUN --mount type=%s: %w", m.Type, engine.ErrNotImplemented)
		}
	}
	return out, targets, key.String(), nil
}

// confined resolves rel inside root (symlinks followed only inside root);
// ".." leaving root is an error.
func confined(root, rel string) (string, error) {
	clean := filepath.Clean(strings.TrimLeft(rel, "/"))
	if clean != "." && !filepath.IsLocal(clean) {
		return "", fmt.Errorf("RUN --mount source %q: %w: %w", rel, build.ErrEscape, engine.ErrInvalidArg)
	}
	return securejoin.SecureJoin(root, clean)
}

// mountFrom mounts a stage's or image's rootfs (read-only use) until the build ends.
func (b *builder) mountFrom(ctx context.Context, s *stageState, from string) (string, error) {
	if dir, ok := b.ctxDirs[strings.ToLower(from)]; ok {
		return dir, nil // the bind source is still resolved inside it
	}
	if ref, ok := b.ctxImages[strings.ToLower(from)]; ok {
		from = ref
	}
	id, ok := b.stageRef(from)
	if !ok {
		img, err := b.e.resolveImageWith(ctx, from, b.o.PullPolicy, engine.ImagePullOptions{RegistryOptions: b.o.Registry}, s.errw)
		if err != nil {
			return "", err
		}
		id = img.ID
	}
	mp, err := b.st.MountImage(id, nil, "")
	if err != nil {
		return "", fmt.Errorf("mounting image %s: %w", id, err)
	}
	b.mu.Lock()
	b.cleanups = append(b.cleanups, func() { _, _ = b.st.UnmountImage(id, true) })
	b.mu.Unlock()
	return mp, nil
}

// dropMountpoints removes what the runtime created in the rootfs only to
// mount over it (RUN --mount targets, /etc/hosts, /etc/resolv.conf, …),
// so that none of it lands in the layer; an empty file or directory that
// the step added is removed, with parents the step added if left empty.
func (b *builder) dropMountpoints(storageID string, targets []string) error {
	sc, err := b.st.Container(storageID)
	if err != nil {
		return err
	}
	changes, err := b.st.Changes("", sc.LayerID)
	if err != nil {
		return err
	}
	added := map[string]bool{}
	for _, ch := range changes {
		if ch.Kind == archive.ChangeAdd {
			added[path.Clean(ch.Path)] = true
		}
	}
	all := append([]string{"/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/run/.containerenv", "/run/secrets", "/dev", "/proc", "/sys"}, targets...)
	var todo []string
	for _, t := range all {
		if added[path.Clean(t)] {
			todo = append(todo, path.Clean(t))
		}
	}
	if len(todo) == 0 {
		return nil
	}
	mp, err := b.st.Mount(storageID, "")
	if err != nil {
		return err
	}
	defer func() { _, _ = b.st.Unmount(storageID, false) }()
	for _, t := range todo {
		for p := t; p != "/" && added[p]; p = path.Dir(p) {
			full, err := securejoin.SecureJoin(mp, p)
			if err != nil {
				break
			}
			fi, err := os.Lstat(full)
			if err != nil {
				break
			}
			if (fi.Mode().IsRegular() && fi.Size() == 0) || fi.IsDir() {
				if os.Remove(full) != nil { // a non-empty directory stays
					break
				}
				continue
			}
			break
		}
	}
	return nil
}

// writeBuildImage stores a build step's image: the layers from top down,
// the config (with Docker's Healthcheck and OnBuild in the docker format)
// and the manifest; meta is the cache key.
func writeBuildImage(st cstorage.Store, top string, img *v1.Image, health *dockerspec.HealthcheckConfig, onbuild []string, mtype, meta string) (string, error) {
	return writeBuildImageOpts(st, top, img, health, onbuild, mtype, meta, false, nil)
}

func writeBuildImageOpts(st cstorage.Store, top string, img *v1.Image, health *dockerspec.HealthcheckConfig, onbuild []string, mtype, meta string, single bool, annotations map[string]string) (string, error) {
	var chain []*cstorage.Layer
	for l := top; l != ""; {
		layer, err := st.Layer(l)
		if err != nil {
			return "", fmt.Errorf("reading layer %s: %w", l, err)
		}
		chain = append([]*cstorage.Layer{layer}, chain...)
		if single {
			break
		}
		l = layer.Parent
	}
	img.RootFS = v1.RootFS{Type: "layers", DiffIDs: []digest.Digest{}}
	layerType, configType := v1.MediaTypeImageLayer, v1.MediaTypeImageConfig
	if mtype == dockerManifestType {
		layerType, configType = dockerLayerType, dockerConfigType
	}
	layers := []v1.Descriptor{}
	for _, l := range chain {
		if l.UncompressedDigest == "" {
			return "", fmt.Errorf("layer %s has no recorded digest: %w", l.ID, engine.ErrInvalidArg)
		}
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, l.UncompressedDigest)
		layers = append(layers, v1.Descriptor{MediaType: layerType, Digest: l.UncompressedDigest, Size: l.UncompressedSize})
	}
	config, err := json.Marshal(img)
	if err != nil {
		return "", err
	}
	if mtype == dockerManifestType && (health != nil || len(onbuild) > 0) {
		if config, err = withDockerExtras(config, health, onbuild); err != nil {
			return "", err
		}
	}
	configDigest := digest.FromBytes(config)
	m := v1.Manifest{
		Versioned:   specsgo.Versioned{SchemaVersion: 2},
		MediaType:   mtype,
		Config:      v1.Descriptor{MediaType: configType, Digest: configDigest, Size: int64(len(config))},
		Layers:      layers,
		Annotations: annotations,
	}
	manifest, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	manifestDigest := digest.FromBytes(manifest)
	id := configDigest.Encoded()
	created := *img.Created
	_, err = st.CreateImage(id, nil, top, meta, &cstorage.ImageOptions{
		CreationDate: created,
		Digest:       manifestDigest,
		Metadata:     meta,
		BigData: []cstorage.ImageBigDataOption{
			{Key: configDigest.String(), Data: config, Digest: configDigest},
			{Key: "manifest-" + manifestDigest.String(), Data: manifest, Digest: manifestDigest},
			{Key: "manifest", Data: manifest, Digest: manifestDigest},
		},
	})
	if errors.Is(err, cstorage.ErrDuplicateID) {
		return id, nil
	}
	if err != nil {
		return "", fmt.Errorf("storing the image: %w", err)
	}
	return id, nil
}

// withDockerExtras adds Docker's config.Healthcheck and config.OnBuild,
// which the OCI config lacks.
func withDockerExtras(config []byte, health *dockerspec.HealthcheckConfig, onbuild []string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(config, &m); err != nil {
		return nil, err
	}
	var cc map[string]any
	if err := json.Unmarshal(m["config"], &cc); err != nil || cc == nil {
		cc = map[string]any{}
	}
	if health != nil {
		cc["Healthcheck"] = health
	}
	if len(onbuild) > 0 {
		cc["OnBuild"] = onbuild
	}
	raw, err := json.Marshal(cc)
	if err != nil {
		return nil, err
	}
	m["config"] = raw
	return json.Marshal(m)
}

// sshMounts serves each RUN --mount=type=ssh from the matching --ssh
// source on a socket of its own, bind-mounted at the target (default
// /run/buildkit/ssh_agent.N). A mount whose id was not given is skipped
// unless it is required. The returned func stops the agents.
func (b *builder) sshMounts(s *stageState, c *instructions.RunCommand) ([]engine.Mount, []string, func(), error) {
	var (
		out     []engine.Mount
		targets []string
		agents  []*build.SSHAgent
		dir     string
	)
	stop := func() {
		for _, a := range agents {
			_ = a.Close()
		}
		if dir != "" {
			_ = os.RemoveAll(dir)
		}
	}
	n := 0
	for _, m := range instructions.GetMounts(c) {
		if m.Type != instructions.MountTypeSSH {
			continue
		}
		i := n
		n++
		id := m.CacheID
		if id == "" {
			id = "default"
		}
		src, ok := b.ssh[id]
		if !ok {
			if m.Required {
				stop()
				return nil, nil, func() {}, fmt.Errorf("ssh required but no ssh with id %q found (use --ssh %s): %w", id, id, engine.ErrInvalidArg)
			}
			continue
		}
		target := m.Target
		if target == "" {
			target = fmt.Sprintf("/run/buildkit/ssh_agent.%d", i)
		}
		if !path.IsAbs(target) {
			target = path.Join("/", s.cfg.Config.WorkingDir, target)
		}
		if dir == "" {
			// A short private directory: a socket path is limited to 108 bytes.
			d, err := os.MkdirTemp("", "selkie-ssh-")
			if err != nil {
				return nil, nil, func() {}, err
			}
			dir = d
		}
		uid, gid, mode := 0, 0, os.FileMode(0o600)
		if m.UID != nil {
			uid = int(*m.UID)
		}
		if m.GID != nil {
			gid = int(*m.GID)
		}
		if m.Mode != nil {
			mode = os.FileMode(*m.Mode) & os.ModePerm
		}
		a, err := src.Serve(filepath.Join(dir, strconv.Itoa(i)+".sock"), uid, gid, mode)
		if err != nil {
			stop()
			return nil, nil, func() {}, err
		}
		agents = append(agents, a)
		out = append(out, engine.Mount{Type: "bind", Source: filepath.Join(dir, strconv.Itoa(i)+".sock"), Destination: target, RW: true})
		targets = append(targets, target)
	}
	return out, targets, stop, nil
}

// secretEnv sets the variables of RUN --mount=type=secret,env=NAME (the
// secret's content, in the RUN's environment only: never in the image or
// its history).
func (b *builder) secretEnv(c *instructions.RunCommand, env map[string]string) error {
	for _, m := range instructions.GetMounts(c) {
		if m.Type != instructions.MountTypeSecret || m.Env == nil {
			continue
		}
		id := m.CacheID
		if id == "" && m.Target != "" {
			id = path.Base(m.Target)
		}
		name := *m.Env
		if name == "" {
			name = id
		}
		src, ok := b.secrets[id]
		if !ok {
			if m.Required {
				return fmt.Errorf("secret required but no secret with id %q found: %w", id, engine.ErrInvalidArg)
			}
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if name == "" || strings.ContainsAny(name, "=\x00") || strings.ContainsRune(string(data), 0) {
			return fmt.Errorf("secret %q cannot be the environment variable %q: %w", id, name, engine.ErrInvalidArg)
		}
		env[name] = string(data)
	}
	return nil
}
