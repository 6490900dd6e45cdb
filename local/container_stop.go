package local

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/monitor"
	"github.com/selkie-containers/selkie/internal/oci"
	"github.com/selkie-containers/selkie/internal/state"
	"golang.org/x/sys/unix"
)

// killTimeout is how long SIGKILL may take to end a container.
const killTimeout = 5 * time.Second

// ContainerStop sends the stop signal, waits up to the timeout for the
// exit, then SIGKILL; it records the exit and cleans up. Stopping a
// container that is not running is not an error.
func (e *Engine) ContainerStop(ctx context.Context, ref string, o engine.ContainerStopOptions) error {
	err := e.withContainer(ctx, ref, func(c *state.Container) error {
		return e.stopLocked(ctx, c, o.Timeout)
	})
	if o.Ignore && errors.Is(err, engine.ErrNoSuchContainer) {
		return nil
	}
	return err
}

// stopLocked is stop under c's lock (held by the caller, who saves c unless
// errNoSave is returned).
func (e *Engine) stopLocked(ctx context.Context, c *state.Container, stopTimeout *uint) error {
	if e.syncExit(c) {
		e.cleanupLocked(ctx, c)
		return nil
	}
	switch c.State.Status {
	case state.StatusRunning, state.StatusPaused:
	case state.StatusCreated:
		e.cleanupLocked(ctx, c)
		c.State.Status = state.StatusConfigured
		return nil
	default:
		return errNoSave
	}
	timeout := e.cfg.Engine.StopTimeout
	if c.Options.StopTimeout != nil {
		timeout = *c.Options.StopTimeout
	}
	if stopTimeout != nil {
		timeout = *stopTimeout
	}
	sig := syscall.SIGTERM
	if c.Options.StopSignal != "" {
		if s, err := parseSignal(c.Options.StopSignal); err == nil {
			sig = s
		}
	}
	c.State.StoppedByUser = true
	code, err := e.stopProcess(ctx, c, sig, timeout)
	if err != nil {
		return err
	}
	c.State.Status = state.StatusExited
	c.State.ExitCode = code
	c.State.FinishedAt = time.Now()
	e.cleanupLocked(ctx, c)
	e.ctrEvent(ctx, c, "stop")
	return nil
}

// stopProcess signals the container and waits for conmon's exit file. When
// conmon is gone (killed with -9) the process is killed directly and the
// exit is reported as 137.
func (e *Engine) stopProcess(ctx context.Context, c *state.Container, sig syscall.Signal, timeout uint) (int32, error) {
	rt, err := e.runtimeFor(c, false)
	if err != nil {
		return 0, err
	}
	exits, err := e.exitDir()
	if err != nil {
		return 0, err
	}
	alive := func() bool { return monitor.ProcessAlive(c.State.ConmonPid) }
	wait := func(d time.Duration) (int32, error) {
		wctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		code, _, err := monitor.WaitExitFile(wctx, exits, c.ID, alive)
		return code, err
	}
	if c.State.Status == state.StatusPaused {
		timeout = 0
	}
	if timeout > 0 && alive() {
		if err := rt.Kill(ctx, c.ID, sig, false); err != nil && !errors.Is(err, oci.ErrNotRunning) && !errors.Is(err, oci.ErrNotExist) {
			return 0, fmt.Errorf("sending signal to container %s: %w", c.ID, err)
		}
		code, err := wait(time.Duration(timeout) * time.Second)
		if err == nil {
			return code, nil
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if alive() {
			e.log.Warn(fmt.Sprintf("StopSignal %s failed to stop container %s in %d seconds, resorting to SIGKILL", signalName(sig), c.Name, timeout))
		}
	}
	if alive() {
		if err := rt.Kill(ctx, c.ID, syscall.SIGKILL, true); err != nil && !errors.Is(err, oci.ErrNotRunning) && !errors.Is(err, oci.ErrNotExist) {
			// --all needs the cgroup; fall back to the init process.
			_ = rt.Kill(ctx, c.ID, syscall.SIGKILL, false)
		}
		if c.State.Status == state.StatusPaused {
			if p, ok := any(rt).(oci.Pauser); ok {
				_ = p.Resume(ctx, c.ID)
			}
		}
		code, err := wait(killTimeout)
		if err == nil {
			return code, nil
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
	}
	// conmon is gone: make sure the process is too.
	if code, _, err := monitor.ReadExitFile(exits, c.ID); err == nil {
		return code, nil
	}
	if c.State.Pid > 0 && monitor.ProcessAlive(c.State.Pid) {
		_ = unix.Kill(c.State.Pid, unix.SIGKILL)
		deadline := time.Now().Add(killTimeout)
		for monitor.ProcessAlive(c.State.Pid) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	e.log.Warn("conmon exited prematurely, exit code could not be retrieved", "id", c.ID)
	return 137, nil
}
