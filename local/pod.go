package local

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/oci"
	"github.com/selkie-containers/selkie/internal/spec"
	"github.com/selkie-containers/selkie/internal/state"
	"golang.org/x/sys/unix"
)

// pauseImage is the infra image Selkie builds locally from the host's
// catatonit (as Podman 4 builds localhost/podman-pause), so that pods work
// without a registry.
const pauseImage = "localhost/selkie-pause:1"

// catatonitPaths are where Debian and Podman packages put catatonit.
var catatonitPaths = []string{"/usr/libexec/podman/catatonit", "/usr/bin/catatonit", "/usr/local/libexec/podman/catatonit", "/usr/local/bin/catatonit"}

// validShares are the namespaces a pod may share.
var validShares = map[string]bool{"net": true, "ipc": true, "uts": true, "pid": true, "cgroup": true}

// DefaultPodShare is Podman's default --share.
var defaultPodShare = []string{"ipc", "net", "uts"}

// PodCreate records the pod, then creates its infra container. A failure
// after the record is written removes the record again.
func (e *Engine) PodCreate(ctx context.Context, o engine.PodCreateOptions) (string, error) {
	db, err := e.db(ctx)
	if err != nil {
		return "", err
	}
	share, err := podShares(o)
	if err != nil {
		return "", err
	}
	// The infra's and the members' settings, checked now rather than at
	// the first member's create.
	if err := validateCreate(&engine.ContainerCreateOptions{Image: "pod", Mounts: o.Mounts, PortMappings: o.PortMappings,
		RestartPolicy: o.RestartPolicy, Hostname: o.Hostname, Labels: o.Labels, PIDMode: o.PIDMode, UTSMode: o.UTSMode}); err != nil {
		return "", err
	}
	if err := checkPodNamespaceModes(o); err != nil {
		return "", err
	}
	for _, d := range o.Devices {
		if err := spec.CheckDevice(d); err != nil {
			return "", err
		}
	}
	for _, l := range []struct {
		list   []string
		weight bool
	}{{o.BlkioWeightDevice, true}, {o.DeviceReadBps, false}, {o.DeviceWriteBps, false}} {
		if _, err := parsePodIODevices(l.list, l.weight); err != nil {
			return "", err
		}
	}
	if len(o.VolumesFrom) > 0 {
		o.VolumesFrom = slices.Clone(o.VolumesFrom)
		for i, v := range o.VolumesFrom {
			ref, opts, hasOpts := strings.Cut(v, ":")
			cid, err := db.ResolveContainer(ctx, ref)
			if err != nil {
				return "", err
			}
			o.VolumesFrom[i] = cid
			if hasOpts {
				o.VolumesFrom[i] += ":" + opts
			}
		}
	}
	switch o.ExitPolicy {
	case "":
		o.ExitPolicy = "continue"
	case "continue", "stop":
	default:
		return "", &textError{fmt.Sprintf("running pod create option: invalid pod exit policy: %q", o.ExitPolicy), engine.ErrInvalidArg}
	}
	if o.Name != "" {
		if o.Name, err = normalizeName(o.Name); err != nil {
			return "", err
		}
		if o.Replace {
			if _, err := e.PodRemove(ctx, o.Name, engine.PodRemoveOptions{Force: true, Ignore: true}); err != nil && !errors.Is(err, engine.ErrNoSuchPod) {
				return "", fmt.Errorf("replacing pod %s: %w", o.Name, err)
			}
		}
	} else if o.Replace {
		return "", &textError{"cannot replace pod without --name being set", engine.ErrInvalidArg}
	}
	if mapped := len(o.UIDMap) > 0 || len(o.GIDMap) > 0 || o.SubUIDName != "" || o.SubGIDName != ""; mapped {
		if o.NoInfra {
			return "", &textError{"--uidmap, --gidmap, --subuidname and --subgidname need an infra container in the pod", engine.ErrInvalidArg}
		}
		if _, err := containerUserNS(&engine.ContainerCreateOptions{UserNS: o.UserNS, UIDMap: o.UIDMap, GIDMap: o.GIDMap,
			SubUIDName: o.SubUIDName, SubGIDName: o.SubGIDName}, e.cfg.Rootless); err != nil {
			return "", err
		}
	}
	if o.UserNS != "" {
		if o.NoInfra && o.UserNS != "host" {
			return "", &textError{"--userns needs an infra container in the pod", engine.ErrInvalidArg}
		}
		if strings.HasPrefix(o.UserNS, "container:") || strings.HasPrefix(o.UserNS, "ns:") {
			return "", &textError{fmt.Sprintf("pods presently do not support user namespace mode %s (supported: host, auto; keep-id and nomap rootless)", o.UserNS), engine.ErrInvalidArg}
		}
		if _, err := containerUserNS(&engine.ContainerCreateOptions{UserNS: o.UserNS}, e.cfg.Rootless); err != nil {
			return "", err
		}
	}
	if o.CgroupParent != "" {
		if strings.HasSuffix(path.Base(o.CgroupParent), ".slice") {
			return "", &textError{"systemd slice received as cgroup parent when using cgroupfs", engine.ErrInvalidArg}
		}
		if strings.ContainsAny(o.CgroupParent, "\x00\n") || slices.Contains(strings.Split(o.CgroupParent, "/"), "..") {
			return "", &textError{fmt.Sprintf("invalid cgroup parent %q", o.CgroupParent), engine.ErrInvalidArg}
		}
		o.CgroupParent = path.Clean("/" + o.CgroupParent)
		if o.CgroupParent == "/" {
			return "", &textError{fmt.Sprintf("invalid cgroup parent %q", o.CgroupParent), engine.ErrInvalidArg}
		}
	}
	if o.InfraConmonPidFile != "" {
		if o.NoInfra {
			return "", &textError{"--infra-conmon-pidfile needs an infra container in the pod", engine.ErrInvalidArg}
		}
		if !filepath.IsAbs(o.InfraConmonPidFile) {
			return "", &textError{fmt.Sprintf("--infra-conmon-pidfile %s: path must be absolute", o.InfraConmonPidFile), engine.ErrInvalidArg}
		}
		if fi, err := os.Stat(filepath.Dir(o.InfraConmonPidFile)); err != nil || !fi.IsDir() {
			return "", &textError{fmt.Sprintf("--infra-conmon-pidfile %s: directory %s does not exist", o.InfraConmonPidFile, filepath.Dir(o.InfraConmonPidFile)), engine.ErrInvalidArg}
		}
	}
	if o.InfraName != "" {
		if o.InfraName, err = normalizeName(o.InfraName); err != nil {
			return "", err
		}
	}
	if o.NoInfra {
		if len(share) > 0 && o.Share != nil {
			return "", &textError{"You cannot share kernel namespaces on the pod level without an infra container", engine.ErrInvalidArg}
		}
		share = nil
		if len(o.PortMappings) > 0 || o.Network != "" || len(o.Networks) > 0 {
			return "", &textError{"you must have an infra container to publish port bindings to the host", engine.ErrInvalidArg}
		}
		if o.PIDMode != "" || o.UTSMode != "" {
			return "", &textError{"--pid and --uts need an infra container in the pod", engine.ErrInvalidArg}
		}
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	p := &state.Pod{ID: id, Name: o.Name, Created: time.Now(), Share: share}
	progress := o.PullProgress
	o.PullProgress = nil
	p.Options = o
	if !o.NoInfra && p.Options.InfraName == "" {
		p.Options.InfraName = id[:12] + "-infra"
	}
	if !o.NoInfra && (o.ShareParent == nil || *o.ShareParent) && !e.cfg.Rootless {
		// As Podman (cgroupfs): the pod's cgroup holds its members' cgroups
		// and its limits.
		if o.Resources.Memory > 0 && o.Resources.MemorySwap == 0 && oci.CgroupMode() != oci.CgroupV2 {
			p.Options.Resources.MemorySwap = 2 * o.Resources.Memory
		}
		cg := podCgroupPath(o.CgroupParent, id)
		if err := createPodCgroup(cg, p.Options.Resources); err != nil {
			return "", err
		}
		if err := applyPodIOLimits(cg, o); err != nil {
			_ = removePodCgroup(cg)
			return "", err
		}
		p.CgroupPath = cg
	}
	generated := p.Name == ""
	for attempt := 0; ; attempt++ {
		if generated {
			p.Name = randomName()
			if attempt > 10 {
				p.Name += fmt.Sprint(randIndex(10000))
			}
		}
		err = db.Update(ctx, func(tx *state.Tx) error { return tx.AddPod(p) })
		if err == nil || !generated || !errors.Is(err, engine.ErrNameInUse) || attempt > 20 {
			break
		}
	}
	if err != nil {
		if p.CgroupPath != "" {
			_ = removePodCgroup(p.CgroupPath)
		}
		return "", err
	}
	if o.NoInfra {
		e.event(ctx, engine.EventTypePod, "create", id, p.Name, "", nil)
		return id, nil
	}
	infraID, err := e.createInfra(ctx, p, progress)
	if err != nil {
		_ = db.Update(context.WithoutCancel(ctx), func(tx *state.Tx) error { return tx.DeletePod(id) })
		if p.CgroupPath != "" {
			_ = removePodCgroup(p.CgroupPath)
		}
		return "", err
	}
	p.InfraID = infraID
	if err := db.Update(ctx, func(tx *state.Tx) error { return tx.PutPod(p) }); err != nil {
		_, _ = e.ContainerRemove(context.WithoutCancel(ctx), infraID, engine.ContainerRemoveOptions{Force: true})
		_ = db.Update(context.WithoutCancel(ctx), func(tx *state.Tx) error { return tx.DeletePod(id) })
		return "", err
	}
	e.event(ctx, engine.EventTypePod, "create", id, p.Name, "", nil)
	return id, nil
}

// podShares turns o.Share into the sorted list of shared namespaces.
func podShares(o engine.PodCreateOptions) ([]string, error) {
	if o.Share == nil {
		return append([]string(nil), defaultPodShare...), nil
	}
	var out []string
	for _, s := range o.Share {
		if s == "none" || s == "" {
			continue
		}
		if !validShares[s] {
			return nil, &textError{fmt.Sprintf("invalid kernel namespace to share: %s. Options are: cgroup, ipc, net, pid, uts or none", s), engine.ErrInvalidArg}
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out, nil
}

// createInfra creates the pod's infra container: catatonit in its own
// namespaces, holding the pod's network, ports and host name.
func (e *Engine) createInfra(ctx context.Context, p *state.Pod, progress io.Writer) (string, error) {
	o := p.Options
	img := o.InfraImage
	cmd := o.InfraCommand
	if img == "" {
		if err := e.ensurePauseImage(ctx); err != nil {
			return "", err
		}
		img = pauseImage // its entrypoint is catatonit -P
	}
	co := engine.ContainerCreateOptions{
		Name:          o.InfraName,
		Image:         img,
		Command:       cmd,
		Pod:           p.ID,
		Network:       o.Network,
		Networks:      o.Networks,
		PortMappings:  o.PortMappings,
		AddHosts:      o.AddHosts,
		DNSServers:    o.DNSServers,
		DNSSearch:     o.DNSSearch,
		DNSOptions:    o.DNSOptions,
		NoHosts:       o.NoHosts,
		Hostname:      o.Hostname,
		RestartPolicy: o.RestartPolicy,
		UserNS:        o.UserNS,
		UIDMap:        o.UIDMap,
		GIDMap:        o.GIDMap,
		SubUIDName:    o.SubUIDName,
		SubGIDName:    o.SubGIDName,
		ShmSize:       o.ShmSize,
		Sysctls:       o.Sysctls,
		Devices:       slices.Clone(o.Devices),
		SecurityOpt:   slices.Clone(o.SecurityOpt),
		VolumesFrom:   slices.Clone(o.VolumesFrom),
		PIDMode:       o.PIDMode,
		UTSMode:       o.UTSMode,
		PullProgress:  progress,
	}
	if slices.Contains(p.Share, "uts") && co.Hostname == "" && o.UTSMode != "host" {
		co.Hostname = p.Name
	}
	if !slices.Contains(p.Share, "net") && co.Network == "" && len(co.Networks) == 0 {
		co.Network = "none"
	}
	if slices.Contains(p.Share, "ipc") {
		co.IPCMode = "shareable"
	}
	if slices.Contains(p.Share, "cgroup") {
		co.CgroupNS = "private"
	}
	rep, err := e.ContainerCreate(ctx, co)
	if err != nil {
		return "", err
	}
	return rep.ID, nil
}

// ensurePauseImage builds localhost/selkie-pause from the host's catatonit
// when it is not in the store yet.
func (e *Engine) ensurePauseImage(ctx context.Context) error {
	if ok, err := e.ImageExists(ctx, pauseImage); err == nil && ok {
		return nil
	}
	// One builder at a time: concurrent first pod creates would each
	// import an image and leave all but one dangling.
	if run, err := e.runDir(); err == nil && os.MkdirAll(run, 0o700) == nil {
		if f, err := os.OpenFile(filepath.Join(run, "pause-image.lock"), os.O_CREATE|os.O_RDWR, 0o600); err == nil {
			defer f.Close()
			if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err == nil {
				if ok, err := e.ImageExists(ctx, pauseImage); err == nil && ok {
					return nil
				}
			}
		}
	}
	var bin []byte
	var err error
	for _, p := range catatonitPaths {
		if bin, err = readCatatonit(p); err == nil {
			break
		}
	}
	if bin == nil {
		return fmt.Errorf("building the pause image: catatonit not found (install the catatonit package or use --infra-image): %w", engine.ErrInvalidArg)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mod := time.Unix(0, 0)
	if err := tw.WriteHeader(&tar.Header{Name: "catatonit", Mode: 0o755, Size: int64(len(bin)), ModTime: mod, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := tw.Write(bin); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	_, err = e.ImageImport(ctx, &buf, engine.ImageImportOptions{
		Source:    "-",
		Reference: pauseImage,
		Changes:   []string{`ENTRYPOINT ["/catatonit", "-P"]`},
		Quiet:     true,
	}, nil)
	if err != nil {
		return fmt.Errorf("building the pause image: %w", err)
	}
	return nil
}

func readCatatonit(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	return io.ReadAll(io.LimitReader(f, 64<<20))
}

// podJoin is ContainerCreate's pod step: it resolves o.Pod (creating the
// pod for new:NAME), checks the options against the pod's shared
// namespaces and points them at the infra container. It returns the pod ID
// and holds the pod's lock until unlock (after the record is written), so
// that a concurrent pod rm never leaves a member of a removed pod.
func (e *Engine) podJoin(ctx context.Context, db *state.DB, o *engine.ContainerCreateOptions) (podID string, unlock func(), err error) {
	unlock = func() {}
	if o.Pod == "" {
		return "", unlock, nil
	}
	if name, ok := strings.CutPrefix(o.Pod, "new:"); ok {
		po := engine.PodCreateOptions{Name: name, Network: o.Network, Networks: o.Networks, PortMappings: o.PortMappings,
			AddHosts: o.AddHosts, DNSServers: o.DNSServers, DNSSearch: o.DNSSearch, DNSOptions: o.DNSOptions, Hostname: o.Hostname,
			UserNS: o.UserNS}
		if _, err := e.PodCreate(ctx, po); err != nil {
			return "", unlock, err
		}
		o.Pod = name
		o.Network, o.Networks, o.PortMappings, o.AddHosts, o.Hostname = "", nil, nil, nil, ""
		o.DNSServers, o.DNSSearch, o.DNSOptions = nil, nil, nil
		o.UserNS = "" // the pod's: the member joins the infra's
	}
	id, err := func() (id string, err error) {
		err = db.View(ctx, func(tx *state.Tx) error { id, err = tx.ResolvePod(o.Pod); return err })
		return id, err
	}()
	if err != nil {
		return "", unlock, err
	}
	if unlock, err = e.lockMgr.Pod(ctx, id); err != nil {
		return "", func() {}, err
	}
	podID, err = e.podJoinLocked(ctx, db, id, o)
	if err != nil {
		if errors.Is(err, engine.ErrNoSuchPod) {
			_ = e.lockMgr.RemovePod(id) // removed meanwhile: drop the file we re-made
		}
		unlock()
		return "", func() {}, err
	}
	return podID, unlock, nil
}

func (e *Engine) podJoinLocked(ctx context.Context, db *state.DB, id string, o *engine.ContainerCreateOptions) (string, error) {
	var p *state.Pod
	err := db.View(ctx, func(tx *state.Tx) error {
		var err error
		p, err = tx.Pod(id)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("no pod with name or ID %s found: %w", o.Pod, engine.ErrNoSuchPod)
	}
	if p.InfraID == "" {
		if !p.Options.NoInfra && o.Name == p.Options.InfraName {
			return p.ID, nil // the infra container itself
		}
		if !p.Options.NoInfra {
			return "", fmt.Errorf("pod %s has no infra container yet: %w", p.Name, engine.ErrCtrStateInvalid)
		}
	}
	if o.UserNS != "" {
		return "", &textError{"--userns and --pod cannot be set together", engine.ErrInvalidArg}
	}
	o.Pod = p.ID
	if o.RestartPolicy == "" && !o.Remove && p.Options.RestartPolicy != "" {
		o.RestartPolicy = p.Options.RestartPolicy // pod create --restart applies to its members
	}
	for _, m := range p.Options.Mounts {
		if !slices.ContainsFunc(o.Mounts, func(x engine.Mount) bool { return x.Destination == m.Destination }) {
			o.Mounts = append(o.Mounts, m)
		}
	}
	inheritFromPod(o, p.Options)
	if p.InfraID == "" {
		return p.ID, nil
	}
	join := "container:" + p.InfraID
	po := p.Options
	mapped := len(po.UIDMap) > 0 || len(po.GIDMap) > 0 || po.SubUIDName != "" || po.SubGIDName != ""
	if u := po.UserNS; (mapped || (u != "" && u != "host")) && o.UserNS == "" && len(o.UIDMap) == 0 && len(o.GIDMap) == 0 {
		o.UserNS = join // as Podman: members live in the infra's user namespace
		if o.User == "" {
			// and run as the infra's user (keep-id's uid:gid) unless told otherwise.
			if un, err := containerUserNS(&engine.ContainerCreateOptions{UserNS: u}, e.cfg.Rootless); err == nil {
				o.User = un.User
			}
		}
	}
	for _, ns := range p.Share {
		switch ns {
		case "net":
			if len(o.PortMappings) > 0 || o.PublishAll {
				return "", &textError{"invalid config provided: published or exposed ports must be defined when the pod is created: network cannot be configured when it is shared with a pod", engine.ErrInvalidArg}
			}
			if len(o.Networks) > 0 {
				return "", &textError{"invalid config provided: networks must be defined when the pod is created: network cannot be configured when it is shared with a pod", engine.ErrInvalidArg}
			}
			if len(o.AddHosts) > 0 {
				return "", &textError{"invalid config provided: extra host entries must be specified on the pod: network cannot be configured when it is shared with a pod", engine.ErrInvalidArg}
			}
			if o.Network == "" || o.Network == "bridge" || o.Network == "private" {
				o.Network = join
			}
			if p.Options.NoHosts && o.HostsFile == "" {
				o.NoHosts = true // pod create --no-hosts: the image's /etc/hosts
			}
		case "ipc":
			if o.IPCMode == "" {
				o.IPCMode = join
			}
		case "uts":
			if o.Hostname != "" {
				return "", &textError{"invalid config provided: cannot set hostname when joining the pod UTS namespace: invalid configuration", engine.ErrInvalidArg}
			}
			if o.UTSMode == "" {
				o.UTSMode = join
				o.Hostname = p.Options.Hostname
				if o.Hostname == "" && p.Options.UTSMode != "host" {
					o.Hostname = p.Name
				}
			}
		case "pid":
			if o.PIDMode == "" {
				o.PIDMode = join
			}
		case "cgroup":
			if o.CgroupNS == "" {
				o.CgroupNS = join
			}
		}
	}
	return p.ID, nil
}

// joinNamespaces is initLocked's step for container:ID modes (pod members
// and --ipc/--pid/--uts/--network container:X): each becomes the running
// container's /proc/PID/ns path, as Podman joins them. With a shared
// network the member also uses that container's hosts and resolv.conf,
// and with a shared UTS namespace its host name.
func (e *Engine) joinNamespaces(ctx context.Context, c *state.Container, o *engine.ContainerCreateOptions, runDir string) error {
	db, err := e.db(ctx)
	if err != nil {
		return err
	}
	deps := map[string]*state.Container{}
	dep := func(id string) (*state.Container, error) {
		if d, ok := deps[id]; ok {
			return d, nil
		}
		d, err := db.Container(ctx, id)
		if err != nil {
			return nil, err
		}
		if exitDir, err := e.exitDir(); err == nil {
			observeExit(d, exitDir)
		}
		if d.State.Status != state.StatusRunning && d.State.Status != state.StatusPaused || d.State.Pid <= 0 {
			return nil, fmt.Errorf("a dependency of container %s failed to start: container %s is not running: %w", c.ID, id, engine.ErrCtrStateInvalid)
		}
		deps[id] = d
		return d, nil
	}
	for _, f := range []struct {
		mode *string
		ns   string
	}{{&o.Network, "net"}, {&o.IPCMode, "ipc"}, {&o.UTSMode, "uts"}, {&o.PIDMode, "pid"}, {&o.CgroupNS, "cgroup"}} {
		id, ok := strings.CutPrefix(*f.mode, "container:")
		if !ok {
			continue
		}
		d, err := dep(id)
		if err != nil {
			return err
		}
		*f.mode = fmt.Sprintf("ns:/proc/%d/ns/%s", d.State.Pid, f.ns)
		if f.ns == "net" && d.Options.Network == "host" {
			*f.mode = "host" // the host's namespace: no network sysctls, host resolv.conf
		}
		if f.ns == "uts" && d.Options.UTSMode == "host" || f.ns == "pid" && d.Options.PIDMode == "host" {
			// The host's namespace, said so: the runtime must not set a
			// host name in it (it would rename the host).
			*f.mode = "host"
		}
		switch f.ns {
		case "net":
			depRun, err := e.ctrRunDir(d.ID)
			if err != nil {
				return err
			}
			for _, name := range []string{"hosts", "resolv.conf"} {
				if data, err := readSmallFile(depRun + "/" + name); err == nil {
					if err := writeFileAtomic(runDir+"/"+name, data, 0o644); err != nil {
						return err
					}
				}
			}
		case "uts":
			if o.Hostname == "" && *f.mode != "host" {
				o.Hostname = hostnameOf(d)
			}
		}
	}
	return nil
}

func hostnameOf(d *state.Container) string {
	if d.Options.Hostname != "" {
		return d.Options.Hostname
	}
	if len(d.ID) > 12 {
		return d.ID[:12]
	}
	return d.ID
}

// startPodInfra starts the infra container of ref's pod when it is not
// running, before ref's own lock is taken (infra first, as Podman).
func (e *Engine) startPodInfra(ctx context.Context, ref string) error {
	db, err := e.db(ctx)
	if err != nil {
		return err
	}
	id, err := db.ResolveContainer(ctx, ref)
	if err != nil {
		return nil // ContainerStart reports it
	}
	c, err := db.Container(ctx, id)
	if err != nil || c.Pod == "" {
		return nil
	}
	var p *state.Pod
	if err := db.View(ctx, func(tx *state.Tx) error { p, err = tx.Pod(c.Pod); return err }); err != nil {
		return nil
	}
	if p.InfraID == "" || p.InfraID == c.ID {
		return nil
	}
	infra, err := db.Container(ctx, p.InfraID)
	if err != nil {
		return err
	}
	if exitDir, err := e.exitDir(); err == nil {
		observeExit(infra, exitDir)
	}
	if infra.State.Status == state.StatusRunning || infra.State.Status == state.StatusPaused {
		return nil
	}
	if err := e.ContainerStart(ctx, p.InfraID, engine.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("starting the infra container of pod %s: %w", p.Name, err)
	}
	return nil
}

// infraStarted runs after any start of a pod member (pod start, a member's
// start, `start INFRA`, a restart policy): when c is its pod's infra, the
// pod's --infra-conmon-pidfile gets the new conmon PID. The container runs
// already, so a failure is a warning.
func (e *Engine) infraStarted(ctx context.Context, c *state.Container) {
	db, err := e.db(ctx)
	if err != nil {
		return
	}
	var p *state.Pod
	if db.View(ctx, func(tx *state.Tx) error { p, err = tx.Pod(c.Pod); return err }) != nil || p.InfraID != c.ID {
		return
	}
	if err := e.writeInfraConmonPid(p); err != nil {
		e.log.Warn(err.Error())
	}
}

// writeInfraConmonPid copies the started infra's conmon PID to the pod's
// --infra-conmon-pidfile.
func (e *Engine) writeInfraConmonPid(p *state.Pod) error {
	path := p.Options.InfraConmonPidFile
	if path == "" || p.InfraID == "" {
		return nil
	}
	run, err := e.ctrRunDir(p.InfraID)
	if err != nil {
		return err
	}
	data, err := readSmallFile(filepath.Join(run, "conmon.pid"))
	if err != nil {
		return fmt.Errorf("reading the infra container's conmon PID: %w", err)
	}
	if err := writeFileAtomic(path, bytes.TrimSpace(data), 0o644); err != nil {
		return fmt.Errorf("writing --infra-conmon-pidfile %s: %w", path, err)
	}
	return nil
}

// podMemberExited applies the pod's exit policy after container id's
// cleanup: with "stop", the infra container stops when no other member runs.
func (e *Engine) podMemberExited(ctx context.Context, id string) {
	db, err := e.db(ctx)
	if err != nil {
		return
	}
	c, err := db.Container(ctx, id)
	if err != nil || c.Pod == "" {
		return
	}
	var p *state.Pod
	var members []*state.Container
	err = db.View(ctx, func(tx *state.Tx) error {
		if p, err = tx.Pod(c.Pod); err != nil {
			return err
		}
		members, err = tx.PodMembers(c.Pod)
		return err
	})
	if err != nil || p.Options.ExitPolicy != "stop" || p.InfraID == "" || p.InfraID == id {
		return
	}
	exitDir, _ := e.exitDir()
	for _, m := range members {
		if m.ID == p.InfraID {
			continue
		}
		observeExit(m, exitDir)
		if m.State.Status == state.StatusRunning || m.State.Status == state.StatusPaused {
			return
		}
	}
	if err := e.ContainerStop(ctx, p.InfraID, engine.ContainerStopOptions{Ignore: true}); err != nil {
		e.log.Warn("stopping pod after its last container exited", "pod", p.ID, "err", err)
	}
}

// PodClone creates a pod with p's configuration and a copy of each member
// (named NAME-clone), joined to the new infra container.
func (e *Engine) PodClone(ctx context.Context, ref string, o engine.PodCloneOptions) (string, error) {
	p, members, err := e.loadPod(ctx, ref)
	if err != nil {
		return "", err
	}
	po := p.Options
	po.Name = o.Name
	if po.Name == "" {
		po.Name = p.Name + "-clone"
	}
	po.InfraName, po.Replace = "", false
	po.Share = append([]string{}, p.Share...)
	cloneOverrides(&po, o.Create)
	id, err := e.PodCreate(ctx, po)
	if err != nil {
		return "", err
	}
	for _, c := range members {
		if c.ID == p.InfraID {
			continue
		}
		co := c.Options
		join := "container:" + p.InfraID
		for _, m := range []*string{&co.Network, &co.IPCMode, &co.UTSMode, &co.PIDMode, &co.CgroupNS, &co.UserNS} {
			if *m == join {
				*m = ""
			}
		}
		if co.UTSMode == "" && slices.Contains(p.Share, "uts") {
			co.Hostname = ""
		}
		co.Mounts = slices.DeleteFunc(slices.Clone(co.Mounts), func(m engine.Mount) bool {
			return slices.ContainsFunc(p.Options.Mounts, func(pm engine.Mount) bool { return pm.Destination == m.Destination })
		})
		if co.RestartPolicy == p.Options.RestartPolicy {
			co.RestartPolicy = ""
		}
		co.Name = c.Name + "-clone"
		co.Pod = id
		co.CreateCommand = c.CreateCommand
		co.Replace = false
		if _, err := e.ContainerCreate(ctx, co); err != nil {
			return id, fmt.Errorf("cloning container %s into pod %s: %w", c.Name, po.Name, err)
		}
	}
	if o.Destroy {
		// Only once the clone is complete (its ports are bound at start).
		if _, err := e.PodRemove(ctx, p.ID, engine.PodRemoveOptions{Force: true}); err != nil {
			return id, err
		}
	}
	if o.Start {
		if _, err := e.PodStart(ctx, id); err != nil {
			return id, err
		}
	}
	return id, nil
}

// cloneOverrides applies pod clone's create flags to the clone's options.
func cloneOverrides(po *engine.PodCreateOptions, c engine.PodCreateOptions) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&po.Hostname, c.Hostname)
	set(&po.InfraName, c.InfraName)
	set(&po.InfraImage, c.InfraImage)
	if len(c.InfraCommand) > 0 {
		po.InfraCommand = c.InfraCommand
	}
	if c.ShmSize != nil {
		po.ShmSize = c.ShmSize
	}
	merge := func(dst *map[string]string, src map[string]string) {
		if len(src) == 0 {
			return
		}
		m := maps.Clone(*dst)
		if m == nil {
			m = map[string]string{}
		}
		maps.Copy(m, src)
		*dst = m
	}
	merge(&po.Labels, c.Labels)
	merge(&po.Sysctls, c.Sysctls)
	po.Mounts = append(slices.Clone(po.Mounts), c.Mounts...)
	po.Devices = append(slices.Clone(po.Devices), c.Devices...)
	po.SecurityOpt = append(slices.Clone(po.SecurityOpt), c.SecurityOpt...)
	po.VolumesFrom = append(slices.Clone(po.VolumesFrom), c.VolumesFrom...)
	po.BlkioWeightDevice = append(slices.Clone(po.BlkioWeightDevice), c.BlkioWeightDevice...)
	po.DeviceReadBps = append(slices.Clone(po.DeviceReadBps), c.DeviceReadBps...)
	po.DeviceWriteBps = append(slices.Clone(po.DeviceWriteBps), c.DeviceWriteBps...)
	if c.Resources.BlkioWeight != 0 {
		po.Resources.BlkioWeight = c.Resources.BlkioWeight
	}
	set(&po.PIDMode, c.PIDMode)
	set(&po.UTSMode, c.UTSMode)
	set(&po.InfraConmonPidFile, c.InfraConmonPidFile)
	set(&po.CgroupParent, c.CgroupParent)
	if c.UserNS != "" || len(c.UIDMap) > 0 || len(c.GIDMap) > 0 || c.SubUIDName != "" || c.SubGIDName != "" {
		// A new user namespace setting replaces the original's whole.
		po.UserNS, po.UIDMap, po.GIDMap, po.SubUIDName, po.SubGIDName = c.UserNS, c.UIDMap, c.GIDMap, c.SubUIDName, c.SubGIDName
	}
	r, cr := &po.Resources, c.Resources
	if cr.NanoCPUs != 0 {
		r.NanoCPUs, r.CPUQuota, r.CPUPeriod = cr.NanoCPUs, 0, 0
	}
	if cr.Memory != 0 {
		r.Memory, r.MemorySwap = cr.Memory, cr.MemorySwap
	} else if cr.MemorySwap != 0 {
		r.MemorySwap = cr.MemorySwap
	}
	if cr.CPUShares != 0 {
		r.CPUShares = cr.CPUShares
	}
	set(&r.CPUSetCPUs, cr.CPUSetCPUs)
	set(&r.CPUSetMems, cr.CPUSetMems)
}

// checkPodNamespaceModes checks pod create's --pid and --uts (the host's,
// a private one or an existing path; a host name needs a UTS namespace of
// its own) and --security-opt (Podman's keys; a seccomp profile must open).
func checkPodNamespaceModes(o engine.PodCreateOptions) error {
	for _, mode := range []string{o.PIDMode, o.UTSMode} {
		if strings.HasPrefix(mode, "container:") {
			return &textError{fmt.Sprintf("unrecognized namespace mode %s passed", mode), engine.ErrInvalidArg}
		}
	}
	for _, ns := range []struct{ name, mode string }{{"PID", o.PIDMode}, {"UTS", o.UTSMode}} {
		if p, ok := strings.CutPrefix(ns.mode, "ns:"); ok {
			if _, err := os.Stat(p); err != nil {
				return &textError{fmt.Sprintf("cannot find specified %s namespace path: %v", ns.name, err), engine.ErrInvalidArg}
			}
		}
	}
	for _, so := range o.SecurityOpt {
		if so == "no-new-privileges" {
			continue
		}
		k, v, ok := strings.Cut(so, "=")
		if !ok {
			k, v, ok = strings.Cut(so, ":")
		}
		switch k {
		case "seccomp", "label", "apparmor", "mask", "unmask", "proc-opts", "systempaths", "no-new-privileges", "seccomp-policy":
		default:
			ok = false
		}
		if !ok {
			return &textError{fmt.Sprintf("invalid --security-opt 1: %q", so), engine.ErrInvalidArg}
		}
		if k == "seccomp" && v != "unconfined" {
			f, err := os.Open(v)
			if err != nil {
				return &textError{fmt.Sprintf("opening seccomp profile failed: %v", err), engine.ErrInvalidArg}
			}
			f.Close()
		}
	}
	if o.UTSMode == "host" && o.Hostname != "" {
		return &textError{"invalid config provided: cannot set hostname when running in the host UTS namespace: invalid configuration", engine.ErrInvalidArg}
	}
	return nil
}

// inheritFromPod gives a member what Podman's InfraInherit passes from
// the infra: the pod's devices, security options (those the member does
// not set itself) and --volumes-from containers.
func inheritFromPod(o *engine.ContainerCreateOptions, po engine.PodCreateOptions) {
	for _, d := range po.Devices {
		if !slices.Contains(o.Devices, d) {
			o.Devices = append(o.Devices, d)
		}
	}
	key := func(opt string) string {
		k, _, _ := strings.Cut(opt, "=")
		k, _, _ = strings.Cut(k, ":")
		if k == "label" {
			// label=type:X and label=disable are different settings.
			v, _, _ := strings.Cut(strings.TrimPrefix(opt, "label="), ":")
			return "label=" + v
		}
		return k
	}
	for _, so := range po.SecurityOpt {
		if !slices.ContainsFunc(o.SecurityOpt, func(x string) bool { return key(x) == key(so) }) {
			o.SecurityOpt = append(o.SecurityOpt, so)
		}
	}
	for _, v := range po.VolumesFrom {
		if !slices.Contains(o.VolumesFrom, v) {
			o.VolumesFrom = append(o.VolumesFrom, v)
		}
	}
}
