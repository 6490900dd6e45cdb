package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/monitor"
	"github.com/selkie-containers/selkie/internal/network"
	"github.com/selkie-containers/selkie/internal/oci"
	"github.com/selkie-containers/selkie/internal/spec"
	"github.com/selkie-containers/selkie/internal/state"
	"golang.org/x/sys/unix"
)

// ContainerStart starts a configured, created or exited container. With
// o.Attach the attach socket is connected before the process starts, and the
// call returns when the container's output ends (or the user detaches).
func (e *Engine) ContainerStart(ctx context.Context, ref string, o engine.ContainerStartOptions) error {
	if err := e.startPodInfra(ctx, ref); err != nil {
		return err
	}
	var session *attachSession
	err := e.withContainer(ctx, ref, func(c *state.Container) error {
		e.syncExit(c)
		switch c.State.Status {
		case state.StatusRunning:
			if o.Attach == nil {
				return errNoSave // already running: start is a no-op, as in Podman
			}
			s, err := e.dialAttach(c)
			if err != nil {
				return err
			}
			session = s
			e.ctrEvent(ctx, c, "attach")
			return errNoSave
		case state.StatusPaused:
			return fmt.Errorf("cannot start paused container %s: %w", c.ID, engine.ErrCtrStateInvalid)
		case state.StatusRemoving:
			return fmt.Errorf("container %s is being removed: %w", c.ID, engine.ErrCtrStateInvalid)
		}
		// With the passthrough log driver conmon hands the caller's own
		// stdio to the container: there is nothing to attach to.
		attach := o.Attach != nil && logDriver(c, e.cfg.Containers.LogDriver) != monitor.LogPassthrough
		s, err := e.startLockedSize(ctx, c, attach, initialSize(c, o.Attach))
		session = s
		if err == nil && s != nil {
			e.ctrEvent(ctx, c, "attach") // after start, as Podman: init, start, attach
		}
		return err
	})
	if err != nil {
		if session != nil {
			session.conn.Close()
		}
		return err
	}
	if session != nil {
		return session.stream(ctx, o.Attach)
	}
	return nil
}

// startLocked brings c from any stopped state to running. The caller holds
// c's lock and saves c afterwards.
func (e *Engine) startLocked(ctx context.Context, c *state.Container, attach bool) (*attachSession, error) {
	return e.startLockedSize(ctx, c, attach, nil)
}

// initialSize takes the caller's terminal size (the first value attachStreams
// queued on Resize) for a -t container, so that the PTY has it before the
// process starts (spec process.consoleSize, as Podman); nil otherwise.
func initialSize(c *state.Container, st *engine.Streams) *engine.TerminalSize {
	if st == nil || st.Resize == nil || !c.Options.Terminal {
		return nil
	}
	select {
	case sz, ok := <-st.Resize:
		if ok && sz.Width > 0 && sz.Height > 0 {
			return &sz
		}
	default:
	}
	return nil
}

// startLockedSize is startLocked with the terminal's initial size (nil: none).
func (e *Engine) startLockedSize(ctx context.Context, c *state.Container, attach bool, size *engine.TerminalSize) (*attachSession, error) {
	if c.State.Status == state.StatusExited || c.State.Status == state.StatusStopped {
		// Leftovers of the previous run (a cleanup that never ran).
		e.cleanupLocked(ctx, c)
	}
	if c.State.Status == state.StatusCreated && !monitor.ProcessAlive(c.State.ConmonPid) {
		// An init that was interrupted (kill -9) or whose conmon died.
		e.cleanupLocked(ctx, c)
		c.State.Status = state.StatusConfigured
	}
	if c.State.Status != state.StatusCreated {
		if err := e.initLockedSize(ctx, c, attach, size); err != nil {
			return nil, err
		}
	}
	var session *attachSession
	if attach {
		s, err := e.dialAttach(c)
		if err != nil {
			return nil, err
		}
		session = s
	}
	e.log.Debug("container created", "id", c.ID)
	rt, err := e.runtimeFor(c, false)
	if err == nil {
		var done bool
		if done, err = rt.StartCreated(c.ID); !done {
			err = rt.Start(ctx, c.ID)
		}
	}
	if err != nil {
		if session != nil {
			session.conn.Close()
		}
		c.State.Error = err.Error()
		e.cleanupLocked(context.WithoutCancel(ctx), c)
		c.State.Status = state.StatusConfigured
		return nil, err
	}
	c.State.Status = state.StatusRunning
	c.State.StartedAt = time.Now()
	c.State.Error = ""
	c.State.StoppedByUser = false
	c.State.OOMKilled = false
	c.State.FinishedAt = time.Time{}
	e.ctrEvent(ctx, c, "start")
	e.log.Debug("container started", "id", c.ID, "pid", c.State.Pid, "conmon", c.State.ConmonPid)
	if c.Pod != "" {
		e.infraStarted(ctx, c)
	}
	return session, nil
}

// initLocked mounts the rootfs, writes the bundle, sets up the network
// namespace and has conmon create the container in the runtime (status
// created). On error everything done is undone.
func (e *Engine) initLocked(ctx context.Context, c *state.Container, attached bool) error {
	return e.initLockedSize(ctx, c, attached, nil)
}

// initLockedSize is initLocked with the terminal's initial size (nil: none).
func (e *Engine) initLockedSize(ctx context.Context, c *state.Container, attached bool, size *engine.TerminalSize) (err error) {
	rt, err := e.runtimeFor(c, true)
	if err != nil {
		return err
	}
	if !e.cfg.Rootless {
		// conmon's and runc's cgroup moves below wait for the grace period
		// this starts (container_cgroupwarm.go).
		defer func(done <-chan struct{}) { <-done }(warmCgroupMigration())
	}
	conmonPath, err := e.cfg.FindConmon()
	if err != nil {
		return fmt.Errorf("%w: %w", err, engine.ErrInvalidArg)
	}
	st, err := e.Store()
	if err != nil {
		return err
	}
	runDir, err := e.ctrRunDir(c.ID)
	if err != nil {
		return err
	}
	exitDir, err := e.exitDir()
	if err != nil {
		return err
	}
	for _, d := range []string{runDir, exitDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	c.Runtime = rt.Name()
	defer func() {
		if err != nil {
			e.cleanupLocked(context.WithoutCancel(ctx), c)
			c.State.Status = state.StatusConfigured
			c.State.Error = err.Error()
		}
	}()
	// Record that an init is under way before touching anything, so that a
	// kill -9 from here on leaves a "created" record whose cleanup (rm,
	// start) finds and releases the leftovers.
	c.State.Status = state.StatusCreated
	c.State.Pid, c.State.ConmonPid, c.State.Mountpoint = 0, 0, ""
	if err := e.saveContainer(ctx, c); err != nil {
		return err
	}
	mp, err := st.Mount(c.StorageID, "")
	if err != nil {
		return fmt.Errorf("mounting storage for container %s: %w", c.ID, err)
	}
	c.State.Mountpoint = mp
	e.log.Debug("rootfs mounted", "id", c.ID, "path", mp)
	if fi, lerr := os.Lstat(filepath.Join(mp, "dev")); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
		// runc < 1.3.6 would follow it on the host (security.md B11).
		return fmt.Errorf("/dev in image is a symlink, refusing to run it: %w", engine.ErrInvalidArg)
	}

	o := c.Options
	netnsPath := ""
	postNet := e.postConfigureNetNS(&o) // pod_netns.go
	if needsNetNS(o.Network) && !postNet {
		netnsPath, err = e.createNetNS(c.ID)
		if err != nil {
			return err
		}
		if _, err := e.setupNetwork(ctx, c, netnsPath); err != nil {
			return fmt.Errorf("setting up the network of container %s: %w", c.ID, err)
		}
	}
	if err := e.writeEtcFiles(c, runDir); err != nil {
		return err
	}
	if err := e.joinNamespaces(ctx, c, &o, runDir); err != nil {
		return err
	}
	e.log.Debug("etc files written", "id", c.ID)
	if o.Mounts, err = e.startVolumeMounts(ctx, c, mp, runDir); err != nil {
		return err
	}
	if err := e.shareShm(ctx, c, &o, runDir); err != nil { // pod_shm.go
		return err
	}
	if err := e.autoUserNS(ctx, st, c.StorageID, &o); err != nil {
		return err
	}
	if err := e.writeBundle(c, &o, mp, runDir, netnsPath, size); err != nil {
		return err
	}
	_ = os.Remove(monitor.ExitFile(exitDir, c.ID))
	_ = os.Remove(filepath.Join(runDir, "oci-log"))
	_ = os.Remove(filepath.Join(runDir, "oom"))
	mo, err := e.monitorOptions(c, &o, rt, conmonPath, runDir, exitDir, attached)
	if err != nil {
		return err
	}
	e.log.Debug("bundle written, launching conmon", "id", c.ID)
	created, err := monitor.Create(ctx, mo)
	if err != nil {
		var sf *monitor.StartFailure
		if errors.As(err, &sf) {
			return oci.StartError(rt.Name(), sf.Msg)
		}
		return err
	}
	c.State.Pid = created.Pid
	c.State.ConmonPid = created.ConmonPid
	c.State.Status = state.StatusCreated
	c.State.ExitCode = 0
	if postNet {
		if err = e.configureCreatedNetNS(ctx, c, runDir, created.Pid); err != nil {
			return err
		}
	}
	e.ctrEvent(ctx, c, "init")
	return nil
}

func logDriver(c *state.Container, def string) string {
	d := c.Options.LogDriver
	if d == "" {
		d = def
	}
	if d == "" {
		d = monitor.LogK8sFile
	}
	return d
}

// needsNetNS: modes where Selkie creates and owns the network namespace.
func needsNetNS(mode string) bool {
	switch {
	case mode == "none", mode == "host", strings.HasPrefix(mode, "ns:"), strings.HasPrefix(mode, "container:"):
		return false
	}
	return true
}

// exitCommand is conmon's exit command: this binary with the same storage
// and runtime flags, running `container cleanup ID`.
func (e *Engine) exitCommand(c *state.Container, rt *oci.CLI) ([]string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	gr, rr, err := e.roots()
	if err != nil {
		return nil, err
	}
	args := []string{exe, "--root", gr, "--runroot", rr, "--runtime", rt.Path()}
	if e.cfg.StorageDriver != "" {
		args = append(args, "--storage-driver", e.cfg.StorageDriver)
	}
	for _, o := range e.cfg.StorageOpts {
		args = append(args, "--storage-opt", o)
	}
	if e.cfg.LogLevel != "" {
		args = append(args, "--log-level", e.cfg.LogLevel)
	}
	args = append(args, "container", "cleanup")
	if c.Options.Remove {
		args = append(args, "--rm")
	}
	if c.Options.RemoveImage {
		args = append(args, "--rmi")
	}
	return append(args, c.ID), nil
}

// writeEtcFiles writes hostname, hosts, resolv.conf and .containerenv into
// the run dir; spec.Generate binds them into the container.
func (e *Engine) writeEtcFiles(c *state.Container, runDir string) error {
	o := &c.Options
	hostname := spec.Hostname(c.ID, o)
	baseData, err := e.baseHosts(c)
	if err != nil {
		return err
	}
	hosts, err := spec.HostsFile(baseData, o, hostname, c.Name, networkIP(c))
	if err != nil {
		return err
	}
	hosts = networkHosts(c, hosts)
	hostResolv, _ := readSmallFile("/etc/resolv.conf")
	files := map[string][]byte{
		"hostname":      []byte(hostname), // no newline, as Podman writes it
		"hosts":         hosts,
		"resolv.conf":   networkResolv(c, hostResolv, spec.ResolvConf(hostResolv, o)),
		".containerenv": spec.ContainerEnv(c.ID, c.Name, c.ImageName, c.ImageID, o.Privileged),
	}
	if o.Network == "host" {
		files["resolv.conf"] = hostResolv
	}
	var img *v1.ImageConfig
	if c.ImageConfig != nil {
		img = &c.ImageConfig.Config
	}
	if c.State.Mountpoint != "" {
		passwd, group, err := spec.ContainerIDFiles(c.State.Mountpoint, o, img)
		if err != nil {
			return err
		}
		optionalEtcFile(files, runDir, "passwd", passwd)
		optionalEtcFile(files, runDir, "group", group)
	}
	zone, err := timezoneFile(o.Timezone)
	if err != nil {
		return err
	}
	optionalEtcFile(files, runDir, "localtime", zone)
	for name, data := range files {
		if err := writeFileAtomic(filepath.Join(runDir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// optionalEtcFile queues data as runDir/name, or removes a stale copy when
// data is nil (spec.Generate binds the file only if it exists).
func optionalEtcFile(files map[string][]byte, runDir, name string, data []byte) {
	if data == nil {
		os.Remove(filepath.Join(runDir, name))
		return
	}
	files[name] = data
}

// timezoneFile is the content of the zone file --tz names (a copy is bound
// on /etc/localtime, as Podman does): "local" is the host's /etc/localtime,
// anything else a file under /usr/share/zoneinfo. Podman sets no TZ.
func timezoneFile(tz string) ([]byte, error) {
	if tz == "" {
		return nil, nil
	}
	p := "/etc/localtime"
	if tz != "local" {
		if strings.Contains(tz, "..") || path.Clean("/"+tz) != "/"+tz {
			return nil, fmt.Errorf("invalid timezone %q: %w", tz, engine.ErrInvalidArg)
		}
		p = "/usr/share/zoneinfo/" + tz
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, fmt.Errorf("finding timezone for container: %w", err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, fmt.Errorf("finding timezone for container: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("timezone %q is not a zone file: %w", tz, engine.ErrInvalidArg)
	}
	return readSmallFile(real)
}

func readSmallFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 1<<20))
}

// writeFileAtomic writes data to a temp file in the same directory and
// renames it over path.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// netnsPath is where a container's network namespace is bind-mounted.
func (e *Engine) netnsPath(id string) (string, error) {
	run, err := e.runDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(run, "netns", id), nil
}

// createNetNS creates a network namespace with loopback up and bind-mounts
// it at netnsPath(id), in a directory shared with other mount namespaces
// (internal/network.NewContainerNetns).
func (e *Engine) createNetNS(id string) (string, error) {
	p, err := e.netnsPath(id)
	if err != nil {
		return "", err
	}
	if err := network.NewContainerNetns(p); err != nil {
		return "", err
	}
	return p, nil
}

// removeNetNS unmounts and deletes the namespace file (idempotent).
func (e *Engine) removeNetNS(id string) {
	p, err := e.netnsPath(id)
	if err != nil {
		return
	}
	if _, err := os.Lstat(p); err != nil {
		return
	}
	_ = unix.Unmount(p, unix.MNT_DETACH)
	_ = os.Remove(p)
}

// moveToCgroup puts pid into the cgroup rel (relative to each hierarchy's
// root) in every cgroupfs hierarchy mounted under /sys/fs/cgroup, best
// effort. cpuset is skipped: a new v1 cpuset cgroup starts with no CPUs.
func moveToCgroup(pid int, rel string) {
	if pid <= 0 {
		return
	}
	entries, err := os.ReadDir("/sys/fs/cgroup")
	if err != nil {
		return
	}
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		writeProcs(filepath.Join("/sys/fs/cgroup", rel), pid)
		return
	}
	for _, d := range entries {
		if !d.IsDir() || strings.Contains(d.Name(), "cpuset") {
			continue // symlinks (cpu -> cpu,cpuacct) are not dirs here
		}
		writeProcs(filepath.Join("/sys/fs/cgroup", d.Name(), rel), pid)
	}
}

func writeProcs(dir string, pid int) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	_ = os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprint(pid)), 0o644)
}
