package local

// A non-terminal exec runs `runc exec` directly with the caller's streams
// as the process's stdio, instead of going through conmon as Podman does:
// measured here, Podman's exec ≈ 180-290 ms, a bare `runc exec` ≈ 33-45 ms,
// selkie's ≈ 70-100 ms; conmon would add a double fork, a sync pipe and the
// attach socket for nothing when the caller is attached anyway. Terminal
// (-t) and detached (-d) sessions do go through conmon (`conmon --exec`):
// it holds the PTY (so the detach keys leave the process running, and any
// process can resize it) and outlives selkie to record the exit code.
// The session record lives in the state DB (exec_sessions).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/monitor"
	"github.com/selkie-containers/selkie/internal/oci"
	"github.com/selkie-containers/selkie/internal/state"
)

// ExecCreate records an exec session in a running container.
func (e *Engine) ExecCreate(ctx context.Context, ref string, o engine.ExecCreateOptions) (string, error) {
	if len(o.Command) == 0 {
		return "", fmt.Errorf("must provide a non-empty command to start an exec session: %w", engine.ErrInvalidArg)
	}
	c, err := e.lookupContainer(ctx, ref)
	if err != nil {
		return "", err
	}
	e.syncExit(c)
	if c.State.Status != state.StatusRunning {
		return "", fmt.Errorf("can only create exec sessions on running containers: %w", engine.ErrCtrStateInvalid)
	}
	if o.DetachKeys != "" {
		if _, err := monitor.ParseDetachKeys(o.DetachKeys); err != nil {
			return "", fmt.Errorf("%w: %w", err, engine.ErrInvalidArg)
		}
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	db, err := e.db(ctx)
	if err != nil {
		return "", err
	}
	s := &state.ExecSession{ID: id, ContainerID: c.ID, Options: o, Created: time.Now()}
	runDir, _ := e.ctrRunDir(c.ID)
	var expired []string
	err = db.Update(ctx, func(tx *state.Tx) error {
		if err := tx.PutExecSession(s); err != nil {
			return err
		}
		expired, err = expireExecSessions(tx, c.ID, runDir, time.Now())
		return err
	})
	if err != nil {
		return "", err
	}
	for _, old := range expired {
		_ = os.RemoveAll(filepath.Join(runDir, "exec-"+old[:12]))
	}
	return id, nil
}

// execSessionTTL is how long an ended session stays inspectable (Docker
// keeps them for 5 minutes too); older ones are dropped on the next exec,
// so a container exec'ed into every few seconds (health checks) does not
// pile up records.
const execSessionTTL = 5 * time.Minute

// expireExecSessions deletes the records of the container's sessions that
// ended before now-TTL (per their exit file) and returns their IDs.
func expireExecSessions(tx *state.Tx, ctrID, runDir string, now time.Time) ([]string, error) {
	sessions, err := tx.ExecSessions(ctrID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, x := range sessions {
		fi, err := os.Stat(filepath.Join(runDir, "exec-"+x.ID[:12], "exit", ctrID))
		if err != nil || now.Sub(fi.ModTime()) < execSessionTTL {
			continue
		}
		if err := tx.DeleteExecSession(x.ID); err != nil {
			return nil, err
		}
		out = append(out, x.ID)
	}
	return out, nil
}

// execSession reads a session and its container.
func (e *Engine) execSession(ctx context.Context, id string) (*state.ExecSession, *state.Container, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, nil, err
	}
	var s *state.ExecSession
	var c *state.Container
	err = db.View(ctx, func(tx *state.Tx) error {
		if s, err = tx.ExecSession(id); err != nil {
			return err
		}
		c, err = tx.Container(s.ContainerID)
		return err
	})
	return s, c, err
}

func (e *Engine) saveExecSession(ctx context.Context, s *state.ExecSession) {
	db, err := e.db(ctx)
	if err == nil {
		err = db.Update(context.WithoutCancel(ctx), func(tx *state.Tx) error { return tx.PutExecSession(s) })
	}
	if err != nil {
		e.log.Warn("saving exec session", "id", s.ID, "err", err)
	}
}

// ExecStart runs the session's process and, unless detached, waits for it
// and returns its exit code. A process that could not be started gives an
// error wrapping engine.ErrOCIRuntimeNotFound (127) or
// engine.ErrOCIRuntimePermissionDenied (126), as Podman reports them.
func (e *Engine) ExecStart(ctx context.Context, id string, o engine.ExecStartOptions) (int, error) {
	s, c, err := e.execSession(ctx, id)
	if err != nil {
		return -1, err
	}
	if s.Running || s.Exited {
		return -1, fmt.Errorf("exec session %s has already been started: %w", id, engine.ErrCtrStateInvalid)
	}
	e.syncExit(c)
	if c.State.Status != state.StatusRunning {
		return -1, fmt.Errorf("can only start exec sessions on running containers: %w", engine.ErrCtrStateInvalid)
	}
	rt, err := e.runtimeFor(c, false)
	if err != nil {
		return -1, err
	}
	if !e.cfg.Rootless {
		// runc exec puts the process in the container's cgroups: start the
		// grace period that cgroup move waits for now (container_cgroupwarm.go).
		defer func(done <-chan struct{}) { <-done }(warmCgroupMigration())
	}
	runDir, err := e.ctrRunDir(c.ID)
	if err != nil {
		return -1, err
	}
	x := &execRun{dir: filepath.Join(runDir, "exec-"+id[:12])}
	if err := os.Mkdir(x.dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return -1, fmt.Errorf("exec session %s has already been started: %w", id, engine.ErrCtrStateInvalid)
		}
		if err := os.MkdirAll(x.dir, 0o700); err != nil {
			return -1, err
		}
	}
	defer func() {
		if !x.keep {
			os.RemoveAll(x.dir)
		}
	}()
	proc, err := execProcess(c, runDir, s.Options)
	if err != nil {
		return -1, err
	}
	if sz := execInitialSize(s.Options.Terminal, o.Streams.Resize); sz != nil {
		proc.ConsoleSize = sz // the PTY has it before the process starts, as run -it
	}
	data, err := json.Marshal(proc)
	if err != nil {
		return -1, err
	}
	if err := os.WriteFile(x.file("process.json"), data, 0o600); err != nil {
		return -1, err
	}
	opts := oci.ExecOptions{
		ProcessFile: x.file("process.json"),
		PidFile:     x.file("pid"),
		LogFile:     x.file("log"),
		Detach:      o.Detach,
		PreserveFDs: s.Options.PreserveFDs,
	}
	s.Started = time.Now().Unix()
	e.ctrEvent(ctx, c, "exec")
	if o.Detach {
		return 0, e.execDetached(ctx, rt, c, s, opts, x)
	}
	var code int
	switch {
	case s.Options.Terminal:
		code, err = x.runConmonTerminal(ctx, e, c, s, rt, opts, o.Streams)
		if errors.Is(err, engine.ErrDetach) {
			// The session goes on under conmon, which records its exit.
			s.Running, s.Pid = true, x.pid()
			e.saveExecSession(ctx, s)
			return -1, err
		}
	default:
		code, err = x.runPlain(ctx, rt, c.ID, opts, s.Options, o.Streams)
	}
	if err != nil {
		code = -1
	} else if !s.Options.Terminal || x.claimDied() {
		// A terminal session's conmon runs the exit command too
		// (execCleanup): whichever sees the end first announces it.
		e.execDiedEvent(ctx, c, code)
	}
	// The outcome goes to the session's tmpfs directory, not the DB: one
	// fsync'd transaction less per exec. ExecInspect reads it from there.
	if werr := x.recordExit(c.ID, code); werr != nil {
		e.saveExecSession(ctx, finish(s, code))
	}
	x.keep = true
	return code, err
}

func finish(s *state.ExecSession, code int) *state.ExecSession {
	s.Running, s.Exited, s.ExitCode, s.Pid = false, true, code, 0
	return s
}

// execDetached has conmon start the process and returns once it runs:
// conmon stays as its parent and records its exit code in the session's
// directory, which therefore outlives this call.
func (e *Engine) execDetached(ctx context.Context, rt *oci.CLI, c *state.Container, s *state.ExecSession, opts oci.ExecOptions, x *execRun) error {
	conmon, err := e.cfg.FindConmon()
	if err != nil {
		return fmt.Errorf("%w: %w", err, engine.ErrInvalidArg)
	}
	if err := os.MkdirAll(x.file("exit"), 0o700); err != nil {
		return err
	}
	exitCmd, err := e.execExitCommand(c, rt, s.ID)
	if err != nil {
		return err
	}
	pid, err := monitor.ExecDetached(ctx, monitor.ExecOptions{
		Options: monitor.Options{
			ConmonPath:  conmon,
			RuntimePath: rt.Path(),
			RuntimeArgs: rt.GlobalArgs(),
			ID:          c.ID,
			Name:        c.Name,
			Bundle:      x.dir,
			PidFile:     opts.PidFile,
			ExitDir:     x.file("exit"),
			RuntimeLog:  opts.LogFile,
			LogDriver:   monitor.LogNone,
			ExitCommand: exitCmd,
		},
		SessionID:   s.ID,
		ProcessSpec: opts.ProcessFile,
	})
	if err != nil {
		var sf *monitor.StartFailure
		if errors.As(err, &sf) {
			return oci.StartError(rt.Name(), sf.Msg)
		}
		return err
	}
	x.keep = true
	s.Running = true
	s.Pid = pid
	e.saveExecSession(ctx, s)
	return nil
}

// ExecInspect reports a session. A detached session's exit code comes from
// conmon's exit file (or the record its exit command wrote); -1 if lost.
func (e *Engine) ExecInspect(ctx context.Context, id string) (*engine.ExecInspect, error) {
	s, _, err := e.execSession(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &engine.ExecInspect{ID: s.ID, ContainerID: s.ContainerID, Running: s.Running, ExitCode: s.ExitCode, Pid: s.Pid,
		OpenStdin: s.Options.AttachStdin, OpenStdout: true, OpenStderr: true, DetachKeys: s.Options.DetachKeys}
	if !s.Exited {
		// Runtime state is in the session's tmpfs directory: the PID while
		// it runs, then the exit code (written by conmon for a detached
		// session, by ExecStart for an attached one).
		if dir, err := e.ctrRunDir(s.ContainerID); err == nil {
			x := &execRun{dir: filepath.Join(dir, "exec-"+s.ID[:12])}
			if code, _, err := monitor.ReadExitFile(x.file("exit"), s.ContainerID); err == nil {
				r.Running, r.Pid, r.ExitCode = false, 0, int(code)
			} else if pid := x.pid(); pid > 0 && execAlive(pid) {
				r.Running, r.Pid = true, pid
			} else if s.Running {
				// conmon writes the exit file just after reaping the
				// process: give it a moment before calling the code lost.
				r.Running, r.Pid, r.ExitCode = false, 0, -1
				for i := 0; i < 50; i++ {
					if code, _, err := monitor.ReadExitFile(x.file("exit"), s.ContainerID); err == nil {
						r.ExitCode = int(code)
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		}
	}
	r.ProcessConfig.Tty = s.Options.Terminal
	r.ProcessConfig.Entrypoint = s.Options.Command[0]
	r.ProcessConfig.Arguments = append([]string{}, s.Options.Command[1:]...)
	r.ProcessConfig.User = s.Options.User
	r.ProcessConfig.Privileged = s.Options.Privileged
	return r, nil
}
