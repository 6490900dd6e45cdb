package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
)

// AttachedExec is an exec session conmon runs with --exec-attach: the
// caller streams through the attach socket in o.Bundle, and conmon keeps the
// process (and its terminal) alive if the caller detaches.
type AttachedExec struct {
	// Conn is the attach socket (stream byte + data, as for containers).
	Conn *net.UnixConn
	// Pid is the exec'd process.
	Pid  int
	sync *os.File
}

// ExecAttached starts a session under conmon and returns once the process
// runs and the attach socket is connected. Wait returns its exit code.
func ExecAttached(ctx context.Context, o ExecOptions) (*AttachedExec, error) {
	parentSync, childSync, err := syncPair()
	if err != nil {
		return nil, fmt.Errorf("creating sync pipe: %w", err)
	}
	parentStart, childStart, err := syncPair()
	if err != nil {
		parentSync.Close()
		childSync.Close()
		return nil, fmt.Errorf("creating start pipe: %w", err)
	}
	defer parentStart.Close()
	parentAttach, childAttach, err := syncPair()
	if err != nil {
		parentSync.Close()
		childSync.Close()
		childStart.Close()
		return nil, fmt.Errorf("creating attach pipe: %w", err)
	}
	defer parentAttach.Close()
	ok := false
	defer func() {
		if !ok {
			parentSync.Close()
		}
	}()
	cmd := exec.Command(o.ConmonPath, append(ExecArgs(o), "--exec-attach")...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Dir = o.Bundle // see Create
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(filterEnv(env), "_OCI_SYNCPIPE=3", "_OCI_STARTPIPE=4", "_OCI_ATTACHPIPE=5")
	cmd.ExtraFiles = []*os.File{childSync, childStart, childAttach}
	err = cmd.Start()
	childSync.Close()
	childStart.Close()
	childAttach.Close()
	if err != nil {
		return nil, fmt.Errorf("starting conmon: %w", err)
	}
	if _, err := parentStart.Write([]byte{0}); err != nil && !errors.Is(err, syscall.EPIPE) {
		_ = cmd.Process.Kill()
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("conmon failed: %w", err)
	}
	// conmon reports on the attach pipe that its socket listens…
	if _, err := readSync(ctx, parentAttach); err != nil {
		return nil, startFailure(o, err)
	}
	conn, err := DialAttach(o.Bundle)
	if err != nil {
		return nil, err
	}
	// …and its runtime child waits for a second start message, sent once we
	// are connected, so no output is lost.
	if _, err := parentStart.Write([]byte{0}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("telling conmon the session is attached: %w", err)
	}
	pid, err := readSync(ctx, parentSync)
	if err != nil {
		conn.Close()
		return nil, startFailure(o, err)
	}
	ok = true
	return &AttachedExec{Conn: conn, Pid: pid, sync: parentSync}, nil
}

func startFailure(o ExecOptions, err error) error {
	if msg := runtimeLogError(o.RuntimeLog); msg != "" {
		return &StartFailure{Msg: msg}
	}
	return err
}

// Wait returns the process's exit code, which conmon sends when it ends.
func (a *AttachedExec) Wait(ctx context.Context) (int, error) {
	defer a.sync.Close()
	type result struct {
		si  syncInfo
		err error
	}
	ch := make(chan result, 1)
	go func() {
		buf := make([]byte, 4096)
		n, err := a.sync.Read(buf)
		if err != nil {
			ch <- result{err: err}
			return
		}
		var si syncInfo
		err = json.Unmarshal(bytes.TrimSpace(buf[:n]), &si)
		ch <- result{si: si, err: err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return -1, fmt.Errorf("reading the exit code of the exec session: %w", r.err)
		}
		return r.si.Data, nil
	case <-ctx.Done():
		return -1, ctx.Err()
	}
}

// Close releases the caller's end; conmon and the process carry on.
func (a *AttachedExec) Close() error {
	a.sync.Close()
	return a.Conn.Close()
}
