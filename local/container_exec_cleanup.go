package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/monitor"
	"github.com/selkie-containers/selkie/internal/oci"
	"github.com/selkie-containers/selkie/internal/state"
)

// execExitCommand is conmon's exit command for an exec session, as
// Podman's: `container cleanup --exec SESSION CONTAINER` with this
// binary's storage and runtime flags. It observes the end of a session no
// caller waits for (exec -d, or detached with the keys).
func (e *Engine) execExitCommand(c *state.Container, rt *oci.CLI, sessionID string) ([]string, error) {
	args, err := e.exitCommand(c, rt)
	if err != nil {
		return nil, err
	}
	for i, a := range args {
		if a == "cleanup" && i > 0 && args[i-1] == "container" {
			return append(args[:i+1:i+1], "--exec", sessionID, c.ID), nil
		}
	}
	return nil, fmt.Errorf("unexpected exit command %q", args)
}

// claimDied reports whether this caller is the one to announce the
// session's end: conmon's exit command and an attached ExecStart may both
// see it, and exec_died must be emitted once.
func (x *execRun) claimDied() bool {
	f, err := os.OpenFile(x.file("died"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// execCleanup is `container cleanup --exec SESSION CONTAINER`, run by
// conmon when a session's process has ended and its exit file is written:
// it records the exit code in the session and emits exec_died, unless the
// attached caller already did. The container itself is not touched.
func (e *Engine) execCleanup(ctx context.Context, ref, sessionID string) error {
	c, err := e.lookupContainer(ctx, ref)
	if err != nil {
		return err
	}
	s, _, err := e.execSession(ctx, sessionID)
	if err != nil {
		return err
	}
	if s.ContainerID != c.ID {
		return fmt.Errorf("exec session %s is not in container %s: %w", sessionID, c.ID, engine.ErrNoSuchExec)
	}
	if len(s.ID) < 12 {
		return fmt.Errorf("invalid exec session ID %q: %w", s.ID, engine.ErrInvalidArg)
	}
	runDir, err := e.ctrRunDir(c.ID)
	if err != nil {
		return err
	}
	x := &execRun{dir: filepath.Join(runDir, "exec-"+s.ID[:12])}
	code, _, err := monitor.ReadExitFile(x.file("exit"), c.ID)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("exec session %s has not exited: %w", s.ID, engine.ErrCtrStateInvalid)
		}
		return err
	}
	if !x.claimDied() {
		return nil
	}
	if !s.Exited {
		e.saveExecSession(ctx, finish(s, int(code)))
	}
	e.execDiedEvent(ctx, c, int(code))
	return nil
}
