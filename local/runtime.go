package local

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/oci"
	"github.com/selkie-containers/selkie/internal/state"
)

// runtimeFor returns the OCI runtime for c. Detection is lazy (only the
// start/stop/kill paths call it) and only stats files: an explicit
// --runtime or containers.conf runtime wins; otherwise the first of crun,
// runc that can work with this host's cgroup layout. A container that ran
// keeps the runtime it was started with (its state lives there).
func (e *Engine) runtimeFor(c *state.Container, starting bool) (*oci.CLI, error) {
	run, err := e.runDir()
	if err != nil {
		return nil, err
	}
	name := e.cfg.Engine.Runtime
	if !starting && c != nil && c.State.Status != state.StatusConfigured && c.Runtime != "" {
		name = c.Runtime
	}
	rt, err := oci.Detect(oci.DetectOptions{Name: name, Runtimes: e.cfg.Engine.Runtimes})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, engine.ErrInvalidArg)
	}
	stateDir := filepath.Join(run, "oci", rt.Name())
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, err
	}
	return oci.NewCLI(rt.Name(), rt.Path(), stateDir), nil
}

// ctrRunDir is <runroot>/selkie/containers/<id>: the bundle (config.json),
// conmon's attach socket and ctl fifo, pid files, and the generated
// hostname/hosts/resolv.conf. A reboot wipes it; rm removes it.
func (e *Engine) ctrRunDir(id string) (string, error) {
	run, err := e.runDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(run, "containers", id), nil
}

// logPath is where conmon writes the container's k8s-file log: --log-opt
// path, else ctr.log in the storage container's directory (persistent,
// removed with the container).
func (e *Engine) logPath(c *state.Container) (string, error) {
	if p := c.Options.LogOptions["path"]; p != "" {
		return p, nil
	}
	st, err := e.Store()
	if err != nil {
		return "", err
	}
	id := c.StorageID
	if id == "" {
		id = c.ID
	}
	dir, err := st.ContainerDirectory(id)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "ctr.log"), nil
}
