package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/monitor"
	"github.com/selkie-containers/selkie/internal/oci"
	"github.com/selkie-containers/selkie/internal/state"
	"golang.org/x/sys/unix"
)

// runTerminal runs the process on a new PTY whose master the runtime hands
// over through a console socket; output is copied to st.Stdout, st.Stdin
// (with -i) to the PTY, and st.Resize changes its size.
func (x *execRun) runTerminal(ctx context.Context, e *Engine, sessionID string, rt *oci.CLI, id string, opts oci.ExecOptions, xo engine.ExecCreateOptions, st engine.Streams) (int, error) {
	// A unix socket path is limited to 108 bytes: the run root may be deep.
	sockDir, err := os.MkdirTemp("", "selkie-exec-")
	if err != nil {
		return -1, err
	}
	defer os.RemoveAll(sockDir)
	opts.ConsoleSocket = filepath.Join(sockDir, "console.sock")
	sock, err := oci.ListenConsole(opts.ConsoleSocket)
	if err != nil {
		return -1, err
	}
	defer sock.Close()
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return -1, err
	}
	defer devnull.Close()
	opts.Stdin, opts.Stdout, opts.Stderr = devnull, devnull, devnull
	// runc hands out the PTY master only when it detaches. Becoming a child
	// subreaper makes the exec'd process ours once runc exits, so its exit
	// status can still be collected (what conmon does for Podman).
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return -1, fmt.Errorf("becoming a subreaper: %w", err)
	}
	opts.Detach = true
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
	err = cmd.Wait()
	// The exec'd process is ours now; stop adopting orphans (in the REST
	// service, conmon's double fork would otherwise land here as a zombie).
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
	if err != nil || !x.started() {
		sock.Close()
		return x.exitCode(rt, err)
	}
	r := <-got
	if r.err != nil {
		return -1, r.err
	}
	master := r.f
	defer master.Close()
	pid := x.pid()
	waited := make(chan int, 1)
	go func() { waited <- waitReparented(pid) }()
	e.execPTYs.Store(sessionID, master)
	defer e.execPTYs.Delete(sessionID)
	go func() {
		<-ctx.Done()
		_ = unix.Kill(pid, unix.SIGHUP)
	}()
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
	case code := <-waited:
		// Output still buffered in the PTY is drained, but a background
		// child holding the terminal open must not keep exec alive.
		select {
		case <-out:
		case <-time.After(500 * time.Millisecond):
		}
		return code, nil
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

// waitReparented waits for pid, which became this process's child when its
// parent (the runtime) exited, and returns its exit code (128+N for signal N).
func waitReparented(pid int) int {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1
		}
		if ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ws.ExitStatus()
	}
}

// runConmonTerminal runs an interactive terminal session (-i -t) under
// conmon, as Podman does: conmon holds the PTY, so typing the detach keys
// leaves the process running, and its exit code is still recorded.
func (x *execRun) runConmonTerminal(ctx context.Context, e *Engine, c *state.Container, s *state.ExecSession, rt *oci.CLI, opts oci.ExecOptions, st engine.Streams) (int, error) {
	conmon, err := e.cfg.FindConmon()
	if err != nil {
		return -1, fmt.Errorf("%w: %w", err, engine.ErrInvalidArg)
	}
	if err := os.MkdirAll(x.file("exit"), 0o700); err != nil {
		return -1, err
	}
	x.keep = true // conmon's socket, ctl fifo and exit file live there
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
			Stdin:       true,
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
	if st.Stdin != nil {
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
