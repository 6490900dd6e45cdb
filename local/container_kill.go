package local

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/oci"
	"github.com/selkie-containers/selkie/internal/state"
	"golang.org/x/sys/unix"
)

// ContainerKill sends a signal (default SIGKILL) to the container's process.
func (e *Engine) ContainerKill(ctx context.Context, ref string, o engine.ContainerKillOptions) error {
	sig := syscall.SIGKILL
	if o.Signal != "" {
		s, err := parseSignal(o.Signal)
		if err != nil {
			return err
		}
		sig = s
	}
	return e.withContainer(ctx, ref, func(c *state.Container) error {
		if e.syncExit(c) {
			return fmt.Errorf("can only kill running containers. %s is in state %s: %w", c.ID, c.State.Status, engine.ErrCtrStateInvalid)
		}
		switch c.State.Status {
		case state.StatusRunning, state.StatusPaused, state.StatusCreated:
		default:
			return fmt.Errorf("can only kill running containers. %s is in state %s: %w", c.ID, publicStatus(c.State.Status), engine.ErrCtrStateInvalid)
		}
		rt, err := e.runtimeFor(c, false)
		if err != nil {
			return err
		}
		if err := rt.Kill(ctx, c.ID, sig, false); err != nil {
			if errors.Is(err, oci.ErrNotRunning) || errors.Is(err, oci.ErrNotExist) {
				return fmt.Errorf("can only kill running containers. %s is in state exited: %w", c.ID, engine.ErrCtrStateInvalid)
			}
			return err
		}
		e.ctrEvent(ctx, c, "kill")
		return errNoSave
	})
}

// parseSignal accepts 9, KILL, SIGKILL, kill, RTMIN+3.
func parseSignal(s string) (syscall.Signal, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("invalid signal: %s: %w", s, engine.ErrInvalidArg)
		}
		return syscall.Signal(n), nil
	}
	u := strings.ToUpper(s)
	if !strings.HasPrefix(u, "SIG") {
		u = "SIG" + u
	}
	if sig := unix.SignalNum(u); sig != 0 {
		return sig, nil
	}
	if strings.HasPrefix(u, "SIGRTMIN+") || strings.HasPrefix(u, "SIGRTMAX-") {
		n, err := strconv.Atoi(u[9:])
		if err == nil {
			if u[6] == 'I' {
				return syscall.Signal(34 + n), nil
			}
			return syscall.Signal(64 - n), nil
		}
	}
	return 0, fmt.Errorf("invalid signal: %s: %w", s, engine.ErrInvalidArg)
}

func signalName(s syscall.Signal) string {
	if n := unix.SignalName(s); n != "" {
		return n
	}
	return fmt.Sprintf("(%d)", int(s))
}
