// Package monitor launches conmon, the small per-container monitor that
// holds the container's stdio, writes its log and exit code, and runs
// Selkie's cleanup command when the container exits, so that no Selkie
// process has to stay behind. It also speaks conmon's attach socket and
// control fifo, and reads its exit files and k8s-file logs.
package monitor

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Log drivers conmon understands (json-file is written as k8s-file, as Podman does).
const (
	LogK8sFile     = "k8s-file"
	LogJSONFile    = "json-file"
	LogNone        = "none"
	LogPassthrough = "passthrough"
	LogJournald    = "journald"
)

// CreateTimeout bounds how long conmon may take to report the container's PID.
const CreateTimeout = 4 * time.Minute

// Options describe one container for conmon.
type Options struct {
	ConmonPath string
	// RuntimePath and RuntimeArgs select the OCI runtime (args go before its subcommand).
	RuntimePath string
	RuntimeArgs []string
	ID          string
	Name        string
	// Bundle holds config.json; conmon puts the attach socket and ctl fifo there.
	Bundle        string
	PidFile       string
	ConmonPidFile string
	ExitDir       string
	// NoSyncLog skips conmon's fsync of the log at exit (for --rm
	// containers, whose log is deleted right after).
	NoSyncLog bool
	// PersistDir is where conmon records an OOM kill (file "oom").
	PersistDir string
	// RuntimeLog receives the runtime's JSON log, read back on failure.
	RuntimeLog string
	LogDriver  string
	LogPath    string
	LogSizeMax int64
	LogTag     string
	Terminal   bool
	Stdin      bool
	// Timeout kills the container after that many seconds (0: none).
	Timeout uint
	// ExitCommand runs when the container exits (Selkie's cleanup).
	ExitCommand []string
	// ExitDelay delays the exit command by that many seconds: an attached
	// caller cleans up itself, and the exit command is only the safety net.
	ExitDelay uint
	// Stdio is given to conmon for the passthrough log driver.
	Stdio [3]*os.File
	// Env is conmon's environment (nil: this process's).
	Env []string
	// PreserveFDs hands this process's fds 3..3+N-1 to the container
	// (run --preserve-fds), through conmon to the runtime's create.
	PreserveFDs uint
	// ConmonStarted, if set, is called with the PID of the conmon that
	// stays behind as soon as it is known (from ConmonPidFile), while the
	// runtime is still creating the container; Create returns only after
	// it has returned. Moving conmon to its cgroup there takes the cgroup
	// write (an RCU grace period, 10-25 ms) off the critical path.
	ConmonStarted func(pid int)
}

// Created is a container created in the runtime, waiting to be started.
type Created struct {
	Pid       int
	ConmonPid int
}

// Args is conmon's command line for o (exported for tests).
func Args(o Options) []string {
	args := []string{
		"--api-version", "1",
		"-c", o.ID,
		"-u", o.ID,
		"-r", o.RuntimePath,
		"-b", o.Bundle,
		"-p", o.PidFile,
		"-n", o.Name,
		"--exit-dir", o.ExitDir,
		"--full-attach",
	}
	for _, a := range o.RuntimeArgs {
		args = append(args, "--runtime-arg", a)
	}
	switch o.LogDriver {
	case LogNone, LogPassthrough, LogJournald:
		args = append(args, "-l", o.LogDriver)
	default:
		args = append(args, "-l", "k8s-file:"+o.LogPath)
	}
	args = append(args, "--log-level", "error")
	if o.LogSizeMax > 0 {
		args = append(args, "--log-size-max", strconv.FormatInt(o.LogSizeMax, 10))
	}
	if o.RuntimeLog != "" {
		args = append(args, "--runtime-arg", "--log-format=json", "--runtime-arg", "--log", "--runtime-arg="+o.RuntimeLog)
	}
	if o.LogTag != "" {
		args = append(args, "--log-tag", o.LogTag)
	}
	if o.Terminal {
		args = append(args, "-t")
	} else if o.Stdin {
		args = append(args, "-i")
	}
	if o.Timeout > 0 {
		args = append(args, fmt.Sprintf("--timeout=%d", o.Timeout))
	}
	args = append(args, "--no-new-keyring")
	if o.NoSyncLog {
		args = append(args, "--no-sync-log")
	}
	if o.PersistDir != "" {
		args = append(args, "--persist-dir", o.PersistDir)
	}
	if o.ConmonPidFile != "" {
		args = append(args, "--conmon-pidfile", o.ConmonPidFile)
	}
	if o.PreserveFDs > 0 {
		args = append(args, "--runtime-opt", "--preserve-fds", "--runtime-opt", strconv.FormatUint(uint64(o.PreserveFDs), 10))
	}
	if len(o.ExitCommand) > 0 {
		args = append(args, "--exit-command", o.ExitCommand[0])
		for _, a := range o.ExitCommand[1:] {
			args = append(args, "--exit-command-arg", a)
		}
		if o.ExitDelay > 0 {
			args = append(args, "--exit-delay", strconv.FormatUint(uint64(o.ExitDelay), 10))
		}
	}
	return args
}

// syncPair is a SOCK_SEQPACKET pair: (parent end, child end).
func syncPair() (*os.File, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_LOCAL, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(fds[1]), "parent"), os.NewFile(uintptr(fds[0]), "child"), nil
}

// Create launches conmon, which runs `runtime create`, double-forks and
// reports the container's PID over the sync pipe. It returns once the
// container exists in the runtime (not yet started).
func Create(ctx context.Context, o Options) (*Created, error) {
	parentSync, childSync, err := syncPair()
	if err != nil {
		return nil, fmt.Errorf("creating sync pipe: %w", err)
	}
	defer parentSync.Close()
	parentStart, childStart, err := syncPair()
	if err != nil {
		childSync.Close()
		return nil, fmt.Errorf("creating start pipe: %w", err)
	}
	defer parentStart.Close()

	cmd := exec.Command(o.ConmonPath, Args(o)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// conmon writes some files (an OOM marker) relative to its working
	// directory: keep them in the bundle, never where the user ran selkie.
	cmd.Dir = o.Bundle
	if o.LogDriver == LogPassthrough {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdio[0], o.Stdio[1], o.Stdio[2]
	}
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	// Preserved fds keep their numbers (3..); the sync pipes follow them.
	n := int(o.PreserveFDs)
	for i := 0; i < n; i++ {
		cmd.ExtraFiles = append(cmd.ExtraFiles, os.NewFile(uintptr(3+i), "preserved-fd-"+strconv.Itoa(3+i)))
	}
	cmd.Env = append(filterEnv(env), "_OCI_SYNCPIPE="+strconv.Itoa(3+n), "_OCI_STARTPIPE="+strconv.Itoa(4+n))
	cmd.ExtraFiles = append(cmd.ExtraFiles, childSync, childStart)
	err = cmd.Start()
	childSync.Close()
	childStart.Close()
	if err != nil {
		return nil, fmt.Errorf("starting conmon: %w", err)
	}
	// conmon waits for one byte before it creates the container.
	if _, err := parentStart.Write([]byte{0}); err != nil && !errors.Is(err, syscall.EPIPE) {
		_ = cmd.Process.Kill()
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("conmon failed: %w", err)
	}
	// conmon's first process has written the pid file of the one that
	// stays before exiting: it is known now, before the create finishes.
	conmonPid := readPidFile(o.ConmonPidFile)
	if o.ConmonStarted != nil && conmonPid > 0 {
		done := make(chan struct{})
		go func() {
			defer close(done)
			o.ConmonStarted(conmonPid)
		}()
		defer func() { <-done }()
	}
	pid, err := readSync(ctx, parentSync)
	if err != nil {
		if msg := runtimeLogError(o.RuntimeLog); msg != "" {
			return nil, &StartFailure{Msg: msg}
		}
		return nil, err
	}
	return &Created{Pid: pid, ConmonPid: conmonPid}, nil
}

// readPidFile returns the PID in path, or 0.
func readPidFile(path string) int {
	if path == "" {
		return 0
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

// StartFailure is the runtime's own explanation of a failed create.
type StartFailure struct{ Msg string }

func (e *StartFailure) Error() string { return e.Msg }

func filterEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if strings.HasPrefix(kv, "NOTIFY_SOCKET=") || strings.HasPrefix(kv, "_OCI_") || strings.HasPrefix(kv, "LISTEN_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

type syncInfo struct {
	Data    int    `json:"data"`
	Message string `json:"message,omitempty"`
}

func readSync(ctx context.Context, pipe *os.File) (int, error) {
	type result struct {
		si  syncInfo
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b, err := bufio.NewReader(pipe).ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			ch <- result{err: err}
			return
		}
		var si syncInfo
		if err := json.Unmarshal(b, &si); err != nil {
			ch <- result{err: fmt.Errorf("container create failed (no logs from conmon): conmon bytes %q: %w", string(b), err)}
			return
		}
		ch <- result{si: si}
	}()
	t := time.NewTimer(CreateTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.err != nil {
			return -1, r.err
		}
		if r.si.Data < 0 {
			if r.si.Message != "" {
				return -1, &StartFailure{Msg: r.si.Message}
			}
			return -1, fmt.Errorf("container create failed (conmon reported %d)", r.si.Data)
		}
		return r.si.Data, nil
	case <-t.C:
		return -1, errors.New("container creation timeout")
	case <-ctx.Done():
		return -1, ctx.Err()
	}
}

// runtimeLogError returns the last error message of the runtime's JSON log.
// runc init's own fatal messages (nsexec: a failed clone, setns, unshare…)
// come before runc's summary, which then only says "read init-p: connection
// reset by peer" or "error during container init: %!w(<nil>)"; they are
// appended so the real cause is shown, as runc 1.4 does itself.
func runtimeLogError(path string) string {
	if path == "" {
		return ""
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var last string
	var fatal []string
	for _, line := range strings.Split(string(data), "\n") {
		var e struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &e) != nil || e.Msg == "" {
			continue
		}
		switch e.Level {
		case "fatal":
			fatal = append(fatal, e.Msg)
			last = e.Msg
		case "error":
			last = e.Msg
		}
	}
	if len(fatal) > 0 && fatal[len(fatal)-1] != last {
		if len(fatal) > 4 {
			fatal = fatal[len(fatal)-4:]
		}
		last += "; runc init error(s): " + strings.Join(fatal, "; ")
	}
	return last
}

// ExitFile is where conmon records the container's exit code.
func ExitFile(exitDir, id string) string { return filepath.Join(exitDir, id) }
