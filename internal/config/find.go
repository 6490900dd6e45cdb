package config

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/selkie-containers/selkie/engine"
)

// ErrBinaryNotFound marks a helper binary (runtime, conmon, netavark …) that
// is configured or needed but absent.
var ErrBinaryNotFound = errors.New("binary not found")

// RuntimeName is the OCI runtime to use: --runtime or [engine] runtime, else
// "crun" (Podman's default) when a crun binary is configured and present,
// else "runc". It only checks files; it runs nothing.
func (c *Config) RuntimeName() string {
	if c.Engine.Runtime != "" {
		return c.Engine.Runtime
	}
	if _, err := c.FindRuntime("crun"); err == nil {
		return "crun"
	}
	return "runc"
}

// FindRuntime returns the path of the OCI runtime called name, looked up in
// [engine.runtimes]; a name containing "/" is taken as the path itself. An
// empty name means RuntimeName(). It only checks files; it runs nothing.
func (c *Config) FindRuntime(name string) (string, error) {
	if name == "" {
		name = c.RuntimeName()
	}
	if filepath.IsAbs(name) || filepath.Base(name) != name {
		if isExecutable(name) {
			return name, nil
		}
		return "", fmt.Errorf("OCI runtime %q: %w", name, ErrBinaryNotFound)
	}
	paths, ok := c.Engine.Runtimes[name]
	if !ok {
		return "", fmt.Errorf("default OCI runtime %q not found: %w", name, engine.ErrInvalidArg)
	}
	for _, p := range paths {
		if isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("could not find a working binary for OCI runtime %q (configured options: %v): %w", name, paths, ErrBinaryNotFound)
}

// FindConmon returns the conmon binary: the first of [engine] conmon_path
// that exists, then helper_binaries_dir, then $PATH.
func (c *Config) FindConmon() (string, error) {
	for _, p := range c.Engine.ConmonPath {
		if isExecutable(p) {
			return p, nil
		}
	}
	if p, err := c.FindHelperBinary("conmon"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("could not find a working conmon binary (configured options: %v): %w", c.Engine.ConmonPath, ErrBinaryNotFound)
}

// FindHelperBinary looks name up in [engine] helper_binaries_dir, then $PATH.
func (c *Config) FindHelperBinary(name string) (string, error) {
	for _, dir := range c.Engine.HelperBinariesDir {
		p := filepath.Join(dir, name)
		if isExecutable(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("could not find %q in one of %v.  To resolve this error, set the helper_binaries_dir key in the `[engine]` section of containers.conf to the directory containing your helper binaries: %w",
		name, c.Engine.HelperBinariesDir, ErrBinaryNotFound)
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}
