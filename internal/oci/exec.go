package oci

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strconv"
)

// ExecOptions runs one process in a running container with `runtime exec`.
type ExecOptions struct {
	// ProcessFile is the OCI process JSON (--process).
	ProcessFile string
	// PidFile receives the process's host PID once it started.
	PidFile string
	// LogFile receives the runtime's own errors as JSON lines.
	LogFile string
	// Detach makes the runtime return once the process started.
	Detach bool
	// PreserveFDs passes the caller's fds 3..3+N-1 on to the process.
	PreserveFDs uint
	// Stdio of the runtime, which a non-terminal process inherits.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// ExecCommand returns the (unstarted) runtime exec command for container id.
// Its exit status is the process's exit status (128+N for signal N) once
// the PID file exists; without a PID file the runtime failed to start it.
func (r *CLI) ExecCommand(ctx context.Context, id string, o ExecOptions) *exec.Cmd {
	args := append([]string{}, r.GlobalArgs()...)
	if o.LogFile != "" {
		args = append(args, "--log", o.LogFile, "--log-format", "json")
	}
	args = append(args, "exec", "--process", o.ProcessFile, "--pid-file", o.PidFile)
	if o.Detach {
		args = append(args, "--detach")
	}
	if o.PreserveFDs > 0 {
		args = append(args, "--preserve-fds", strconv.FormatUint(uint64(o.PreserveFDs), 10))
	}
	args = append(args, id)
	cmd := exec.CommandContext(ctx, r.path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
	for i := uint(0); i < o.PreserveFDs; i++ {
		cmd.ExtraFiles = append(cmd.ExtraFiles, os.NewFile(uintptr(3+i), "preserved-fd-"+strconv.Itoa(int(3+i))))
	}
	return cmd
}

// ExecLogError returns the last error the runtime logged to a --log file in
// JSON format, or "" when there is none.
func ExecLogError(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return lastLoggedError(data)
}
