// Package oci drives an OCI runtime binary with runc's command line (runc
// and crun share it): start, kill, delete, state, pause, resume, update.
// Creating the container is conmon's job (internal/monitor), which runs the
// runtime's create itself.
package oci

import (
	"context"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// State is what `runtime state` reports.
type State struct {
	ID     string `json:"id"`
	Status string `json:"status"` // creating, created, running, paused, stopped
	Pid    int    `json:"pid"`
	Bundle string `json:"bundle"`
}

// Runtime is an OCI runtime. Implemented by the runc-compatible CLI driver
// and by test fakes.
type Runtime interface {
	// Name is the runtime's short name (runc, crun …).
	Name() string
	// Path is the binary conmon runs.
	Path() string
	// GlobalArgs are passed before every subcommand (conmon gets them as
	// --runtime-arg), e.g. the state directory.
	GlobalArgs() []string
	// Start starts the process of a created container.
	Start(ctx context.Context, id string) error
	// Kill signals the container's init process, or every process with all.
	// A container that is not running yields an error wrapping ErrNotRunning.
	Kill(ctx context.Context, id string, sig syscall.Signal, all bool) error
	// Delete removes the runtime's record of the container; a container the
	// runtime does not know is not an error.
	Delete(ctx context.Context, id string, force bool) error
	// State reports the runtime's view; an unknown container yields an
	// error wrapping ErrNotExist.
	State(ctx context.Context, id string) (State, error)
}

// Pauser is implemented by runtimes that can freeze a container.
type Pauser interface {
	Pause(ctx context.Context, id string) error
	Resume(ctx context.Context, id string) error
}

// Updater is implemented by runtimes that can change resources of a running container.
type Updater interface {
	Update(ctx context.Context, id string, r *specs.LinuxResources) error
}
