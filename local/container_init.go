package local

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/docker/go-units"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/monitor"
	"github.com/selkie-containers/selkie/internal/oci"
	"github.com/selkie-containers/selkie/internal/spec"
	"github.com/selkie-containers/selkie/internal/state"
)

// ContainerInit creates the container in the runtime (conmon running, the
// process not yet started): status created.
func (e *Engine) ContainerInit(ctx context.Context, ref string) error {
	return e.withContainer(ctx, ref, func(c *state.Container) error {
		e.syncExit(c)
		switch c.State.Status {
		case state.StatusConfigured:
		case state.StatusExited, state.StatusStopped:
			e.cleanupLocked(ctx, c)
		default:
			return fmt.Errorf("container %s has already been created in runtime: %w", c.ID, engine.ErrCtrStateInvalid)
		}
		return e.initLocked(ctx, c, false)
	})
}

// writeBundle generates the runtime spec for c (with o, its options after
// volume resolution) and writes it as runDir/config.json.
func (e *Engine) writeBundle(c *state.Container, o *engine.ContainerCreateOptions, rootfs, runDir, netnsPath string, size *engine.TerminalSize) error {
	in := spec.Input{ID: c.ID, Name: c.Name, Options: o, Config: e.cfg, Rootfs: rootfs, RunDir: runDir, NetNSPath: netnsPath,
		CgroupV2: oci.CgroupMode() == oci.CgroupV2, ConsoleSize: size}
	if c.ImageConfig != nil {
		in.Image = &c.ImageConfig.Config
	}
	s, err := spec.Generate(in)
	if err != nil {
		return err
	}
	if c.Pod != "" && !e.cfg.Rootless && s.Linux != nil {
		if p := podMemberCgroupsPath(c.Pod, c.ID); p != "" {
			s.Linux.CgroupsPath = p // under the pod's cgroup (pod_cgroup.go)
		}
	}
	if err := makeRootfsReachable(s); err != nil {
		return err
	}
	e.log.Debug("spec generated", "id", c.ID)
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(runDir, "config.json"), data, 0o600)
}

// monitorOptions describes c to conmon.
func (e *Engine) monitorOptions(c *state.Container, o *engine.ContainerCreateOptions, rt *oci.CLI, conmonPath, runDir, exitDir string, attached bool) (monitor.Options, error) {
	logPath, err := e.logPath(c)
	if err != nil {
		return monitor.Options{}, err
	}
	exitCmd, err := e.exitCommand(c, rt)
	if err != nil {
		return monitor.Options{}, err
	}
	mo := monitor.Options{
		ConmonPath:    conmonPath,
		RuntimePath:   rt.Path(),
		RuntimeArgs:   rt.GlobalArgs(),
		ID:            c.ID,
		Name:          c.Name,
		Bundle:        runDir,
		PidFile:       filepath.Join(runDir, "pidfile"),
		ConmonPidFile: filepath.Join(runDir, "conmon.pid"),
		ExitDir:       exitDir,
		RuntimeLog:    filepath.Join(runDir, "oci-log"),
		PersistDir:    runDir,
		NoSyncLog:     o.Remove,
		LogDriver:     logDriver(c, e.cfg.Containers.LogDriver),
		LogPath:       logPath,
		LogSizeMax:    e.cfg.Containers.LogSizeMax,
		LogTag:        o.LogOptions["tag"],
		Terminal:      o.Terminal,
		Stdin:         o.Stdin,
		Timeout:       o.Timeout,
		ExitCommand:   exitCmd,
	}
	if !e.cfg.Rootless {
		// As Podman with cgroupfs: conmon lives in libpod_parent/conmon, so
		// it outlives the caller's cgroup (a systemd unit, a session) and
		// is never charged to (or OOM-killed with) the container. Done
		// while the runtime creates the container (the write waits for an
		// RCU grace period).
		mo.ConmonStarted = func(pid int) { moveToCgroup(pid, "libpod_parent/conmon") }
	}
	if attached {
		// The attached caller (run, start -a) waits and cleans up itself;
		// conmon's cleanup is the safety net should that caller die.
		mo.ExitDelay = 1
	}
	if o.PreserveFDs > 0 {
		// Only the process that got them (run) can pass them on; a later
		// start or a restart by conmon's cleanup has no such fds.
		if err := monitor.CheckPreservedFDs(o.PreserveFDs); err == nil {
			mo.PreserveFDs = o.PreserveFDs
		} else {
			e.log.Debug("--preserve-fds not passed on", "id", c.ID, "err", err)
		}
	}
	if v := o.LogOptions["max-size"]; v != "" {
		if n, err := units.FromHumanSize(v); err == nil { // decimal, as Podman: 1m = 1000000
			mo.LogSizeMax = n
		}
	}
	if mo.LogDriver == monitor.LogPassthrough {
		mo.Stdio = [3]*os.File{os.Stdin, os.Stdout, os.Stderr}
	}
	return mo, nil
}
