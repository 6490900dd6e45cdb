package oci

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Cgroup layouts.
const (
	CgroupV1     = "v1"
	CgroupV2     = "v2"
	CgroupHybrid = "hybrid" // v1 controllers plus cgroup2 at /sys/fs/cgroup/unified
)

// CgroupMode reports the host's cgroup layout with two statfs calls.
func CgroupMode() string {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return CgroupV2
	}
	if err := unix.Statfs("/sys/fs/cgroup/unified", &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return CgroupHybrid
	}
	return CgroupV1
}

// DetectOptions says which runtimes are configured.
type DetectOptions struct {
	// Name is --runtime or containers.conf's engine.runtime: a name from
	// Runtimes, or a path. Empty picks the first usable of crun, runc.
	Name string
	// Runtimes is containers.conf's [engine.runtimes]: name → candidate paths.
	Runtimes map[string][]string
	// StateDir is passed to the runtime as --root.
	StateDir string
	// CgroupMode overrides the detected layout (tests).
	CgroupMode string
}

// ErrNoRuntime is returned when no configured runtime can run containers here.
var ErrNoRuntime = errors.New("no usable OCI runtime")

// Detect picks the runtime. It only stats files; nothing is executed.
func Detect(o DetectOptions) (*CLI, error) {
	mode := o.CgroupMode
	if mode == "" {
		mode = CgroupMode()
	}
	if o.Name != "" {
		name, path, err := find(o.Name, o.Runtimes)
		if err != nil {
			return nil, err
		}
		if why := unusable(name, mode); why != "" {
			return nil, fmt.Errorf("OCI runtime %s (%s) cannot run containers on this host: %s; use --runtime runc (or set runtime = \"runc\" in containers.conf): %w", name, path, why, ErrNoRuntime)
		}
		return NewCLI(name, path, o.StateDir), nil
	}
	var reasons []string
	for _, name := range []string{"crun", "runc"} {
		name, path, err := find(name, o.Runtimes)
		if err != nil {
			reasons = append(reasons, err.Error())
			continue
		}
		if why := unusable(name, mode); why != "" {
			reasons = append(reasons, fmt.Sprintf("%s (%s): %s", name, path, why))
			continue
		}
		return NewCLI(name, path, o.StateDir), nil
	}
	return nil, fmt.Errorf("%s: %s; install runc (apt-get install runc) or pass --runtime PATH: %w",
		ErrNoRuntime.Error(), strings.Join(reasons, "; "), ErrNoRuntime)
}

// unusable says why a runtime cannot work with this cgroup layout ("" if it can).
func unusable(name, mode string) string {
	if name == "crun" && mode == CgroupHybrid {
		return "cgroups in hybrid mode not supported"
	}
	return ""
}

// find resolves a runtime name or path to (name, path).
func find(nameOrPath string, runtimes map[string][]string) (string, string, error) {
	if strings.Contains(nameOrPath, "/") {
		if err := isExecutable(nameOrPath); err != nil {
			return "", "", fmt.Errorf("no valid executable found for OCI runtime %s: %w", nameOrPath, err)
		}
		return filepath.Base(nameOrPath), nameOrPath, nil
	}
	for _, p := range runtimes[nameOrPath] {
		if isExecutable(p) == nil {
			return nameOrPath, p, nil
		}
	}
	if p, err := exec.LookPath(nameOrPath); err == nil {
		return nameOrPath, p, nil
	}
	return "", "", fmt.Errorf("no valid executable found for OCI runtime %s: %w", nameOrPath, ErrNoRuntime)
}

func isExecutable(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}
