package local

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/monitor"
	"github.com/selkie-containers/selkie/internal/oci"
	"github.com/selkie-containers/selkie/internal/procfs"
)

// execRun is one exec's scratch directory (process.json, pid and log
// files; for a detached session also conmon's files and the exit file).
type execRun struct {
	dir  string
	keep bool // a detached session's conmon still uses it
}

func (x *execRun) file(name string) string { return filepath.Join(x.dir, name) }

func (x *execRun) started() bool {
	_, err := os.Stat(x.file("pid"))
	return err == nil
}

func (x *execRun) pid() int {
	b, _ := os.ReadFile(x.file("pid"))
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// startError explains a runtime exec that failed before the process ran.
func (x *execRun) startError(rt *oci.CLI, err error) error {
	msg := oci.ExecLogError(x.file("log"))
	if msg == "" {
		msg = err.Error()
	}
	return oci.StartError(rt.Name(), msg)
}

// exitCode turns the runtime's exit into the process's exit code, or into a
// start error when the process never started (no PID file).
func (x *execRun) exitCode(rt *oci.CLI, err error) (int, error) {
	if !x.started() {
		if err == nil {
			err = errors.New("exec process did not start")
		}
		return -1, x.startError(rt, err)
	}
	if err == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	return -1, err
}

// recordExit leaves only the exit code (conmon's exit file format) in the
// session's directory.
func (x *execRun) recordExit(ctrID string, code int) error {
	for _, f := range []string{"process.json", "log", "pid"} {
		_ = os.Remove(x.file(f))
	}
	dir := x.file("exit")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+ctrID)
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(code)), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, ctrID))
}

// runPlain runs a non-terminal process with the caller's streams as its
// stdio. The runtime writes its own start errors to the same stderr, so
// stderr is held back until the PID file shows the process started; if it
// never does, what was held is the runtime's error and is dropped (the
// error is returned instead, as Podman prints it).
func (x *execRun) runPlain(ctx context.Context, rt *oci.CLI, id string, opts oci.ExecOptions, xo engine.ExecCreateOptions, st engine.Streams) (int, error) {
	if xo.AttachStdin && st.Stdin != nil {
		opts.Stdin = st.Stdin
	}
	opts.Stdout = st.Stdout
	gate := &gatedWriter{w: st.Stderr}
	opts.Stderr = gate
	if st.Stderr == nil {
		opts.Stderr = nil
	}
	cmd := rt.ExecCommand(context.WithoutCancel(ctx), id, opts)
	if err := cmd.Start(); err != nil {
		return -1, err
	}
	done := make(chan struct{})
	go func() {
		for {
			if x.started() {
				gate.open()
				return
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	stop := forwardCancel(ctx, cmd)
	err := cmd.Wait()
	stop()
	close(done)
	if x.started() {
		gate.open()
	} else {
		gate.discard()
	}
	return x.exitCode(rt, err)
}

// forwardCancel kills the runtime (and so the exec'd process, which it
// waits on) when ctx is canceled; the returned func stops watching.
func forwardCancel(ctx context.Context, cmd *exec.Cmd) func() {
	stop := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			if cmd.Process != nil {
				_ = cmd.Process.Signal(os.Interrupt)
			}
		case <-stop:
		}
	}()
	return func() { close(stop) }
}

// gatedWriter holds writes until open (then passes them on) or discard
// (then drops them and everything after). It bounds what it holds.
type gatedWriter struct {
	w     io.Writer
	mu    sync.Mutex
	held  []byte
	state int // 0 holding, 1 open, 2 discarding
}

const maxHeld = 1 << 20

func (g *gatedWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch g.state {
	case 1:
		return g.w.Write(p)
	case 2:
		return len(p), nil
	}
	g.held = append(g.held, p...)
	if len(g.held) > maxHeld {
		g.state = 1
		b := g.held
		g.held = nil
		if _, err := g.w.Write(b); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (g *gatedWriter) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state != 0 {
		return
	}
	g.state = 1
	if len(g.held) > 0 {
		_, _ = g.w.Write(g.held)
		g.held = nil
	}
}

func (g *gatedWriter) discard() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state == 0 {
		g.state = 2
		g.held = nil
	}
}

// execAlive reports whether pid runs; a zombie (exited, not yet reaped by
// whichever process adopted it) counts as exited.
func execAlive(pid int) bool {
	if !monitor.ProcessAlive(pid) {
		return false
	}
	p, err := procfs.Read("/proc", pid)
	return err == nil && p.State != "Z"
}
