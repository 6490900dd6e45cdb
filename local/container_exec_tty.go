package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/monitor"
	"github.com/selkie-containers/selkie/internal/oci"
	"github.com/selkie-containers/selkie/internal/state"
)

// detachKeys picks the session's keys, then the caller's, then Podman's default.
func detachKeys(session, caller string) string {
	switch {
	case session != "":
		if session == "none" {
			return ""
		}
		return session
	case caller != "":
		if caller == "none" {
			return ""
		}
		return caller
	}
	return monitor.DefaultDetachKeys
}

// runConmonTerminal runs a terminal session (-t, with or without -i) under
// conmon, as Podman does: conmon holds the PTY, so typing the detach keys
// leaves the process running, its exit code is still recorded, and any
// process can resize it through the session's ctl fifo.
func (x *execRun) runConmonTerminal(ctx context.Context, e *Engine, c *state.Container, s *state.ExecSession, rt *oci.CLI, opts oci.ExecOptions, st engine.Streams) (int, error) {
	conmon, err := e.cfg.FindConmon()
	if err != nil {
		return -1, fmt.Errorf("%w: %w", err, engine.ErrInvalidArg)
	}
	if err := os.MkdirAll(x.file("exit"), 0o700); err != nil {
		return -1, err
	}
	x.keep = true // conmon's socket, ctl fifo and exit file live there
	exitCmd, err := e.execExitCommand(c, rt, s.ID)
	if err != nil {
		return -1, err
	}
	a, err := monitor.ExecAttached(ctx, monitor.ExecOptions{
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
			Terminal:    true,
			Stdin:       s.Options.AttachStdin,
			ExitCommand: exitCmd,
		},
		SessionID:   s.ID,
		ProcessSpec: opts.ProcessFile,
	})
	if err != nil {
		var sf *monitor.StartFailure
		if errors.As(err, &sf) {
			return -1, oci.StartError(rt.Name(), sf.Msg)
		}
		return -1, err
	}
	defer a.Conn.Close()
	if st.Resize != nil {
		go func() {
			for sz := range st.Resize {
				_ = monitor.Resize(x.dir, sz.Height, sz.Width)
			}
		}()
	}
	detached := make(chan struct{}, 1)
	if s.Options.AttachStdin && st.Stdin != nil {
		keys, _ := monitor.ParseDetachKeys(detachKeys(s.Options.DetachKeys, st.DetachKeys))
		go func() {
			err := monitor.CopyStdin(a.Conn, st.Stdin, keys)
			if errors.Is(err, monitor.ErrDetach) {
				detached <- struct{}{}
				return
			}
			// End of input: what typing ^D does on a terminal (conmon
			// leaves the terminal open when the client goes away).
			_, _ = a.Conn.Write([]byte{4})
		}()
	}
	out := make(chan struct{})
	go func() {
		stdout := st.Stdout
		if stdout == nil {
			stdout = io.Discard
		}
		_ = monitor.CopyOutput(a.Conn, stdout, stdout)
		close(out)
	}()
	waited := make(chan int, 1)
	go func() {
		code, err := a.Wait(ctx)
		if err != nil {
			code = -1
		}
		waited <- code
	}()
	select {
	case code := <-waited:
		select {
		case <-out:
		case <-time.After(500 * time.Millisecond):
		}
		return code, nil
	case <-detached:
		return -1, engine.ErrDetach
	}
}

// ExecResize changes the terminal size of a running terminal session through
// conmon's ctl fifo in the session's directory, from any process.
func (e *Engine) ExecResize(ctx context.Context, id string, size engine.TerminalSize) error {
	s, _, err := e.execSession(ctx, id)
	if err != nil {
		return err
	}
	if !s.Options.Terminal {
		return fmt.Errorf("exec session %s does not have a terminal: %w", s.ID, engine.ErrInvalidArg)
	}
	dir, err := e.ctrRunDir(s.ContainerID)
	if err != nil {
		return err
	}
	if err := monitor.Resize(filepath.Join(dir, "exec-"+s.ID[:12]), size.Height, size.Width); err != nil {
		return fmt.Errorf("resizing exec session %s: %w: %w", s.ID, err, engine.ErrCtrStateInvalid)
	}
	return nil
}

// execInitialSize takes the caller's terminal size queued first on resize,
// for the exec process's consoleSize; nil without a terminal or a size.
func execInitialSize(terminal bool, resize <-chan engine.TerminalSize) *specs.Box {
	if !terminal || resize == nil {
		return nil
	}
	select {
	case sz, ok := <-resize:
		if ok && sz.Width > 0 && sz.Height > 0 {
			return &specs.Box{Height: uint(sz.Height), Width: uint(sz.Width)}
		}
	default:
	}
	return nil
}
