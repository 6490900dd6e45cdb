package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// ExecOptions runs one process in a running container with `runtime exec`.
type ExecOptions struct {
	// ProcessFile is the OCI process JSON (--process).
	ProcessFile string
	// PidFile receives the process's host PID once it started.
	PidFile string
	// LogFile receives the runtime's own errors as JSON lines.
	LogFile string
	// ConsoleSocket, when set, is where the runtime sends the PTY master
	// (process.terminal must be true).
	ConsoleSocket string
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
	if o.ConsoleSocket != "" {
		args = append(args, "--console-socket", o.ConsoleSocket)
	}
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
	// A Ctrl-C on the terminal goes to the container's process through the
	// PTY, not to the runtime.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: o.ConsoleSocket != ""}
	return cmd
}

// ConsoleSocket listens at path for the PTY master a runtime sends with
// --console-socket.
type ConsoleSocket struct {
	ln *net.UnixListener
}

// ListenConsole creates the socket at path.
func ListenConsole(path string) (*ConsoleSocket, error) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("creating console socket: %w", err)
	}
	return &ConsoleSocket{ln: ln}, nil
}

// Close stops listening and removes the socket.
func (c *ConsoleSocket) Close() error { return c.ln.Close() }

// Receive accepts one connection and returns the PTY master passed over it.
func (c *ConsoleSocket) Receive() (*os.File, error) {
	conn, err := c.ln.AcceptUnix()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, fmt.Errorf("receiving the terminal: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, fmt.Errorf("receiving the terminal: %w", err)
	}
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil || len(fds) == 0 {
			continue
		}
		for _, extra := range fds[1:] {
			unix.Close(extra)
		}
		return os.NewFile(uintptr(fds[0]), "pty-master"), nil
	}
	return nil, errors.New("receiving the terminal: no file descriptor in the message")
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
