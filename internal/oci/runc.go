package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
)

// Errors the runtime reports that callers act on.
var (
	ErrNotExist   = errors.New("container does not exist in the OCI runtime")
	ErrNotRunning = errors.New("container is not running")
	// ErrNotFound and ErrPermissionDenied classify a failure to execute the
	// container's command (Podman exits 127 and 126 for them).
	ErrNotFound         = engine.ErrOCIRuntimeNotFound
	ErrPermissionDenied = engine.ErrOCIRuntimePermissionDenied
	ErrRuntime          = engine.ErrOCIRuntime
)

// CLI drives a runc-compatible binary.
type CLI struct {
	name     string
	path     string
	stateDir string
}

var _ Runtime = (*CLI)(nil)
var _ Pauser = (*CLI)(nil)
var _ Updater = (*CLI)(nil)

// NewCLI returns a driver for the binary at path; stateDir (may be empty for
// the runtime's default) is passed as --root.
func NewCLI(name, path, stateDir string) *CLI {
	return &CLI{name: name, path: path, stateDir: stateDir}
}

func (r *CLI) Name() string { return r.name }
func (r *CLI) Path() string { return r.path }

func (r *CLI) GlobalArgs() []string {
	if r.stateDir == "" {
		return nil
	}
	return []string{"--root", r.stateDir}
}

func (r *CLI) run(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, r.path, append(r.GlobalArgs(), args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return stdout.Bytes(), classify(r.name, args[0], msg)
	}
	return stdout.Bytes(), nil
}

// classify turns runtime stderr into an error wrapping one of ours.
func classify(name, verb, msg string) error {
	// runc logs as logfmt (level=error msg="…"); keep the message.
	if m := logfmtMsg.FindStringSubmatch(msg); m != nil {
		if s, err := strconv.Unquote(`"` + m[1] + `"`); err == nil {
			msg = s
		} else {
			msg = m[1]
		}
	}
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, "does not exist") || strings.Contains(lower, "not found") && strings.Contains(lower, "container"):
		return fmt.Errorf("%s %s: %s: %w", name, verb, msg, ErrNotExist)
	case strings.Contains(lower, "not running") || strings.Contains(lower, "container not running") || strings.Contains(lower, "process already finished"):
		return fmt.Errorf("%s %s: %s: %w", name, verb, msg, ErrNotRunning)
	}
	return fmt.Errorf("%s: %s: %w", name, msg, ErrRuntime)
}

var logfmtMsg = regexp.MustCompile(`msg="((?:[^"\\]|\\.)*)"`)

// StartError maps the message of a failed create/start (from conmon's sync
// pipe or the runtime's log) to Podman's error, so that a missing command
// gives exit 127 and a non-executable one 126.
func StartError(name, msg string) error {
	msg = strings.TrimSpace(msg)
	if m := logfmtMsg.FindStringSubmatch(msg); m != nil {
		if s, err := strconv.Unquote(`"` + m[1] + `"`); err == nil {
			msg = s
		}
	}
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, "permission denied") || strings.Contains(lower, "operation not permitted"):
		return fmt.Errorf("%s: %s: %w", name, msg, ErrPermissionDenied)
	case strings.Contains(lower, "executable file not found in") || strings.Contains(lower, "no such file or directory"):
		return fmt.Errorf("%s: %s: %w", name, msg, ErrNotFound)
	}
	return fmt.Errorf("%s: %s: %w", name, msg, ErrRuntime)
}

func (r *CLI) Start(ctx context.Context, id string) error {
	_, err := r.run(ctx, "start", id)
	return err
}

// Kill signals the container (with all, every process in it). A running
// runc container is signalled in process when that is certainly what
// `runc kill` would do (killDirect); otherwise the runtime is run.
func (r *CLI) Kill(ctx context.Context, id string, sig syscall.Signal, all bool) error {
	if r.killDirect(id, sig, all) {
		return nil
	}
	args := []string{"kill"}
	if all {
		args = append(args, "--all")
	}
	_, err := r.run(ctx, append(args, id, strconv.Itoa(int(sig)))...)
	return err
}

func (r *CLI) Delete(ctx context.Context, id string, force bool) error {
	args := []string{"delete"}
	if force {
		args = append(args, "--force")
	}
	_, err := r.run(ctx, append(args, id)...)
	if errors.Is(err, ErrNotExist) {
		return nil
	}
	return err
}

func (r *CLI) State(ctx context.Context, id string) (State, error) {
	out, err := r.run(ctx, "state", id)
	if err != nil {
		return State{}, err
	}
	var st State
	if err := json.Unmarshal(out, &st); err != nil {
		return State{}, fmt.Errorf("decoding %s state of %s: %w", r.name, id, err)
	}
	return st, nil
}

func (r *CLI) Pause(ctx context.Context, id string) error {
	_, err := r.run(ctx, "pause", id)
	return err
}

func (r *CLI) Resume(ctx context.Context, id string) error {
	_, err := r.run(ctx, "resume", id)
	return err
}

// Update writes the resources to a temporary file and runs `update --resources`.
func (r *CLI) Update(ctx context.Context, id string, res *specs.LinuxResources) error {
	data, err := json.Marshal(res)
	if err != nil {
		return err
	}
	dir := r.stateDir
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, "resources-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	_, err = r.run(ctx, "update", "--resources", filepath.Clean(f.Name()), id)
	return err
}
