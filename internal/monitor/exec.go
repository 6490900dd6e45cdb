package monitor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// ExecOptions describe a detached exec session for conmon: the container's
// Options (runtime, bundle, names) plus the session's own files.
type ExecOptions struct {
	Options
	// SessionID names the session (conmon's -u).
	SessionID string
	// ProcessSpec is the OCI process JSON to run.
	ProcessSpec string
}

// ExecArgs is conmon's command line for a detached exec session: the
// container's, with the session as -u and --exec/--exec-process-spec.
func ExecArgs(o ExecOptions) []string {
	args := Args(o.Options)
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "-u" {
			args[i+1] = o.SessionID
			break
		}
	}
	if o.Terminal && o.Stdin {
		// conmon forwards the attach socket to the terminal only with -i
		// too; and the terminal must outlive a client that detaches.
		args = append(args, "-i", "--leave-stdin-open")
	}
	return append(args, "--exec", "--exec-process-spec", o.ProcessSpec)
}

// ExecDetached has conmon run `runtime exec` for a session and returns the
// process's PID once it runs. conmon stays behind as the process's parent
// and writes its exit code to ExitFile(o.ExitDir, o.ID) when it ends, so a
// detached session's exit code is known after selkie has exited.
func ExecDetached(ctx context.Context, o ExecOptions) (int, error) {
	parentSync, childSync, err := syncPair()
	if err != nil {
		return -1, fmt.Errorf("creating sync pipe: %w", err)
	}
	defer parentSync.Close()
	parentStart, childStart, err := syncPair()
	if err != nil {
		childSync.Close()
		return -1, fmt.Errorf("creating start pipe: %w", err)
	}
	defer parentStart.Close()
	cmd := exec.Command(o.ConmonPath, ExecArgs(o)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Dir = o.Bundle // see Create
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(filterEnv(env), "_OCI_SYNCPIPE=3", "_OCI_STARTPIPE=4")
	cmd.ExtraFiles = []*os.File{childSync, childStart}
	err = cmd.Start()
	childSync.Close()
	childStart.Close()
	if err != nil {
		return -1, fmt.Errorf("starting conmon: %w", err)
	}
	if _, err := parentStart.Write([]byte{0}); err != nil && !errors.Is(err, syscall.EPIPE) {
		_ = cmd.Process.Kill()
	}
	if err := cmd.Wait(); err != nil {
		return -1, fmt.Errorf("conmon failed: %w", err)
	}
	pid, err := readSync(ctx, parentSync)
	if err != nil {
		if msg := runtimeLogError(o.RuntimeLog); msg != "" {
			return -1, &StartFailure{Msg: msg}
		}
		var sf *StartFailure
		if errors.As(err, &sf) {
			return -1, err
		}
		return -1, err
	}
	if pid <= 0 {
		if data, rerr := os.ReadFile(o.PidFile); rerr == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		}
	}
	return pid, nil
}
