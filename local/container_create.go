package local

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
	cstorage "go.podman.io/storage"
)

// ContainerCreate records a container and creates its storage (rootfs) from
// the image. The steps are ordered so that a kill -9 at any point leaves
// either nothing or a record that `rm -f` removes:
//
//  1. validate; resolve (or pull) the image — nothing written yet;
//  2. take the new container's lock; insert the record (status configured,
//     which reserves the name atomically);
//  3. create the containers/storage container with the same ID;
//  4. on any error after 2, delete what was made.
//
// rm tolerates a record whose storage container is missing or incomplete.
func (e *Engine) ContainerCreate(ctx context.Context, o engine.ContainerCreateOptions) (engine.ContainerCreateReport, error) {
	var rep engine.ContainerCreateReport
	if err := validateCreate(&o); err != nil {
		return rep, err
	}
	if err := e.validateUserNS(&o); err != nil {
		return rep, err
	}
	db, err := e.db(ctx)
	if err != nil {
		return rep, err
	}
	if o.Name != "" {
		n, err := normalizeName(o.Name)
		if err != nil {
			return rep, err
		}
		o.Name = n
		if o.Replace {
			var owner string
			if err := db.View(ctx, func(tx *state.Tx) error {
				owner, err = tx.ContainerByName(n)
				return err
			}); err != nil {
				return rep, err
			}
			if owner != "" {
				if _, err := e.ContainerRemove(ctx, owner, engine.ContainerRemoveOptions{Force: true, Ignore: true}); err != nil {
					return rep, fmt.Errorf("replacing container %s: %w", n, err)
				}
			}
		}
	} else if o.Replace {
		return rep, &textError{"cannot replace container without --name being set", engine.ErrInvalidArg}
	}

	podID, unlockPod, err := e.podJoin(ctx, db, &o)
	if err != nil {
		return rep, err
	}
	defer unlockPod()
	if err := e.resolveDependencies(ctx, db, &o); err != nil {
		return rep, err
	}

	img, err := e.resolveImage(ctx, o.Image, o.PullPolicy, o.PullProgress)
	if err != nil {
		return rep, err
	}
	st, err := e.Store()
	if err != nil {
		return rep, err
	}

	undoVolumes, err := e.createVolumeMounts(ctx, &o, img.Config)
	if err != nil {
		return rep, err
	}
	defer func() {
		if rep.ID == "" {
			undoVolumes()
		}
	}()

	id, err := newID()
	if err != nil {
		return rep, err
	}
	c := &state.Container{
		ID:            id,
		Name:          o.Name,
		Created:       time.Now(),
		CreateCommand: o.CreateCommand,
		ImageID:       img.ID,
		ImageName:     img.Name,
		ImageDigest:   img.Digest,
		ImageConfig:   img.Config,
		StorageID:     id,
		Runtime:       e.cfg.RuntimeName(),
		Pod:           podID,
		State:         state.ContainerState{Status: state.StatusConfigured},
	}
	if c.ImageName == "" {
		c.ImageName = o.Image
	}
	if o.StopTimeout == nil {
		t := e.cfg.Engine.StopTimeout
		o.StopTimeout = &t
	}
	if o.StopSignal == "" && img.Config != nil && img.Config.Config.StopSignal != "" {
		o.StopSignal = img.Config.Config.StopSignal
	}
	o.PullProgress = nil
	o.CreateCommand = nil // kept once, in c.CreateCommand
	c.Options = o
	if len(containerCommand(c)) == 0 {
		return rep, &textError{"no command or entrypoint provided, and no CMD or ENTRYPOINT from image", engine.ErrInvalidArg}
	}
	unlock, err := e.lockMgr.Container(ctx, id)
	if err != nil {
		return rep, err
	}
	defer unlock()

	// Step 2: the record (reserving the name). A generated name may collide;
	// try a few.
	generated := o.Name == ""
	for attempt := 0; ; attempt++ {
		if generated {
			c.Name = randomName()
			if attempt > 10 {
				c.Name += fmt.Sprintf("%d", randIndex(10000))
			}
		}
		err = db.Update(ctx, func(tx *state.Tx) error { return tx.AddContainer(c) })
		if err == nil || !generated || !errors.Is(err, engine.ErrNameInUse) || attempt > 20 {
			break
		}
	}
	if err != nil {
		return rep, err
	}
	e.log.Debug("container recorded", "id", id, "name", c.Name, "image", img.ID)

	// Step 3: the rootfs.
	_, err = st.CreateContainer(id, []string{c.Name}, img.ID, "", "", e.storageContainerOptions(&o))
	if err != nil {
		_ = db.Update(context.WithoutCancel(ctx), func(tx *state.Tx) error { return tx.DeleteContainer(id) })
		_ = e.lockMgr.RemoveContainer(id)
		if errors.Is(err, cstorage.ErrDuplicateName) {
			return rep, fmt.Errorf("the container name %q is already in use by a storage container (Buildah?): %w", c.Name, engine.ErrNameInUse)
		}
		return rep, fmt.Errorf("creating container storage: %w", err)
	}
	rep.ID = id
	e.ctrEvent(ctx, c, "create")
	return rep, nil
}

var (
	restartPolicies = map[string]bool{"": true, "no": true, "on-failure": true, "always": true, "unless-stopped": true}
	pullPolicies    = map[string]bool{"": true, "always": true, "missing": true, "never": true, "newer": true}
)

// validateCreate checks what the API may send unchecked (the CLI's parsers
// check the same things earlier, with Podman's texts).
func validateCreate(o *engine.ContainerCreateOptions) error {
	inval := func(format string, a ...any) error {
		return fmt.Errorf(format+": %w", append(a, engine.ErrInvalidArg)...)
	}
	if strings.TrimSpace(o.Image) == "" && o.Rootfs == "" {
		return inval("an image or --rootfs is required")
	}
	if o.Rootfs != "" {
		return fmt.Errorf("--rootfs: %w", engine.ErrNotImplemented)
	}
	if err := validateHostsFile(o); err != nil {
		return err
	}
	if !restartPolicies[o.RestartPolicy] {
		return inval("invalid restart policy %q", o.RestartPolicy)
	}
	if o.RestartRetries > 0 && o.RestartPolicy != "on-failure" {
		return inval("restart policy retries can only be specified with on-failure restart policy")
	}
	if o.Remove && o.RestartPolicy != "" && o.RestartPolicy != "no" {
		return inval("the --rm option conflicts with --restart, when the restartPolicy is not \"\" and \"no\"")
	}
	switch o.LogDriver {
	case "", "k8s-file", "json-file", "journald", "none", "passthrough":
	default:
		return inval("invalid log driver %q", o.LogDriver)
	}
	for name, mode := range map[string]string{"ipc": o.IPCMode, "pid": o.PIDMode, "uts": o.UTSMode, "userns": o.UserNS, "cgroupns": o.CgroupNS} {
		kind, arg, hasArg := strings.Cut(mode, ":")
		ok := mode == "" ||
			((kind == "host" || kind == "private") && !hasArg) ||
			((kind == "container" || kind == "ns") && arg != "") ||
			(name == "ipc" && (kind == "shareable" || kind == "none") && !hasArg) ||
			(name == "userns" && (kind == "auto" || kind == "keep-id" || kind == "nomap"))
		if !ok {
			return inval("unrecognized namespace mode %s passed", mode)
		}
	}
	if !pullPolicies[strings.ToLower(o.PullPolicy)] {
		return inval("unsupported pull policy %q", o.PullPolicy)
	}
	seen := map[string]bool{}
	for _, m := range o.Mounts {
		if !path.IsAbs(m.Destination) {
			return inval("invalid container path %q, must be an absolute path", m.Destination)
		}
		d := path.Clean(m.Destination)
		if seen[d] {
			return inval("%s: duplicate mount destination", d)
		}
		seen[d] = true
		switch m.Type {
		case "bind", "volume", "tmpfs", "image", "devpts", "glob", "ramfs":
		default:
			return inval("invalid filesystem type %q", m.Type)
		}
	}
	for _, p := range o.PortMappings {
		switch p.Protocol {
		case "", "tcp", "udp", "sctp":
		default:
			return inval("unrecognized protocol %q in port mapping", p.Protocol)
		}
	}
	for k, v := range o.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			return inval("invalid environment variable: %q", k+"="+v)
		}
	}
	for what, m := range map[string]map[string]string{"label": o.Labels, "annotation": o.Annotations, "sysctl": o.Sysctls} {
		for k, v := range m {
			if k == "" || strings.ContainsRune(k, 0) || strings.ContainsRune(v, 0) {
				return inval("invalid %s %q", what, k)
			}
		}
	}
	for _, a := range append(append([]string{}, o.Command...), o.Image, o.Name, o.WorkDir, o.User, o.Hostname) {
		if strings.ContainsRune(a, 0) {
			return inval("argument contains a NUL byte")
		}
	}
	return nil
}

// resolveDependencies checks the containers named by container:X namespace
// modes and --volumes-from, and records them by full ID (as Podman does), so
// a later rename of X does not break the link.
func (e *Engine) resolveDependencies(ctx context.Context, db *state.DB, o *engine.ContainerCreateOptions) error {
	for _, mode := range []*string{&o.Network, &o.IPCMode, &o.PIDMode, &o.UTSMode, &o.UserNS, &o.CgroupNS} {
		ref, ok := strings.CutPrefix(*mode, "container:")
		if !ok {
			continue
		}
		if ref == "" {
			return fmt.Errorf("%q: container name or ID required: %w", *mode, engine.ErrInvalidArg)
		}
		id, err := db.ResolveContainer(ctx, ref)
		if err != nil {
			return err
		}
		*mode = "container:" + id
	}
	for i, v := range o.VolumesFrom {
		ref, opts, hasOpts := strings.Cut(v, ":")
		id, err := db.ResolveContainer(ctx, ref)
		if err != nil {
			return err
		}
		o.VolumesFrom[i] = id
		if hasOpts {
			o.VolumesFrom[i] += ":" + opts
		}
	}
	return nil
}
