package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/monitor"
	"github.com/selkie-containers/selkie/internal/oci"
	"golang.org/x/sys/unix"
)

// runTerminal runs the process on a new PTY whose master the runtime hands
// over through a console socket; output is copied to st.Stdout, st.Stdin
// (with -i) to the PTY, and st.Resize changes its size.
func (x *execRun) runTerminal(ctx context.Context, e *Engine, sessionID string, rt *oci.CLI, id string, opts oci.ExecOptions, xo engine.ExecCreateOptions, st engine.Streams) (int, error) {
	sock, err := oci.ListenConsole(x.file("console.sock"))
	if err != nil {
		return -1, err
	}
	defer sock.Close()
	opts.ConsoleSocket = x.file("console.sock")
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return -1, err
	}
	defer devnull.Close()
	opts.Stdin, opts.Stdout, opts.Stderr = devnull, devnull, devnull
	cmd := rt.ExecCommand(context.WithoutCancel(ctx), id, opts)
	if err := cmd.Start(); err != nil {
		return -1, err
	}
	type recv struct {
		f   *os.File
		err error
	}
	got := make(chan recv, 1)
	go func() {
		f, err := sock.Receive()
		got <- recv{f, err}
	}()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var master *os.File
	select {
	case r := <-got:
		if r.err != nil {
			_ = cmd.Process.Kill()
			<-waited
			return -1, r.err
		}
		master = r.f
	case err := <-waited:
		// The runtime failed before handing over a terminal.
		return x.exitCode(rt, err)
	}
	defer master.Close()
	e.execPTYs.Store(sessionID, master)
	defer e.execPTYs.Delete(sessionID)
	stop := forwardCancel(ctx, cmd)
	defer stop()
	if st.Resize != nil {
		go func() {
			for sz := range st.Resize {
				_ = unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: sz.Height, Col: sz.Width})
			}
		}()
	}
	detached := make(chan struct{}, 1)
	if xo.AttachStdin && st.Stdin != nil {
		keys, _ := monitor.ParseDetachKeys(detachKeys(xo.DetachKeys, st.DetachKeys))
		go func() {
			if err := monitor.CopyStdin(master, st.Stdin, keys); errors.Is(err, monitor.ErrDetach) {
				detached <- struct{}{}
			}
		}()
	}
	out := make(chan struct{})
	go func() {
		if st.Stdout != nil {
			_, _ = io.Copy(st.Stdout, master) // ends with EIO once the process and its children closed the PTY
		} else {
			_, _ = io.Copy(io.Discard, master)
		}
		close(out)
	}()
	select {
	case err := <-waited:
		<-out
		return x.exitCode(rt, err)
	case <-detached:
		return -1, engine.ErrDetach
	}
}

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

// ExecResize changes the terminal size of a running exec session that this
// process is serving (the CLI passes sizes through ExecStartOptions instead).
func (e *Engine) ExecResize(ctx context.Context, id string, size engine.TerminalSize) error {
	s, _, err := e.execSession(ctx, id)
	if err != nil {
		return err
	}
	v, ok := e.execPTYs.Load(s.ID)
	if !ok {
		if !s.Options.Terminal {
			return fmt.Errorf("exec session %s does not have a terminal: %w", s.ID, engine.ErrInvalidArg)
		}
		return fmt.Errorf("exec session %s is not running here: %w", s.ID, engine.ErrCtrStateInvalid)
	}
	master := v.(*os.File)
	return unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: size.Height, Col: size.Width})
}
