package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/cgroups"
	"github.com/selkie-containers/selkie/internal/procfs"
	"github.com/selkie-containers/selkie/internal/state"
)

// ContainerTop lists the container's processes from the host's /proc, with
// psgo's descriptors. Nothing is executed in the container and its
// namespaces are never joined (security.md R6): processes are found by the
// container's PID namespace (or its cgroup with --pid host), user and group
// names come from the container's /etc/passwd and /etc/group parsed in Go.
func (e *Engine) ContainerTop(ctx context.Context, ref string, descriptors []string) ([][]string, error) {
	c, err := e.lookupContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	e.syncExit(c)
	if (c.State.Status != state.StatusRunning && c.State.Status != state.StatusPaused) || c.State.Pid == 0 {
		return nil, fmt.Errorf("top can only be used on running containers: %w", engine.ErrCtrStateInvalid)
	}
	pids, err := containerPIDs(c.State.Pid)
	if err != nil {
		return nil, fmt.Errorf("listing processes of container %s: %w", c.ID, err)
	}
	procs := make([]*procfs.Process, 0, len(pids))
	for _, pid := range pids {
		p, err := procfs.Read("/proc", pid)
		if err != nil {
			continue // exited meanwhile
		}
		procs = append(procs, p)
	}
	tc := procfs.TopContext{Now: time.Now(), CapLast: procfs.CapLast("/proc")}
	if tc.Boot, err = procfs.BootTime("/proc"); err != nil {
		return nil, err
	}
	if root := c.State.Mountpoint; root != "" {
		if tc.Users, err = procfs.ReadNamesInRoot(root, "/etc/passwd"); err != nil {
			return nil, err
		}
		if tc.Groups, err = procfs.ReadNamesInRoot(root, "/etc/group"); err != nil {
			return nil, err
		}
	}
	if needsHostNames(descriptors) {
		tc.HostUsers, _ = procfs.ReadNames("/etc/passwd")
		tc.HostGroups, _ = procfs.ReadNames("/etc/group")
	}
	rows, err := procfs.Top(procs, descriptors, tc)
	if errors.Is(err, procfs.ErrUnknownDescriptor) {
		return nil, fmt.Errorf("%w: %w", err, engine.ErrInvalidArg)
	}
	return rows, err
}

func needsHostNames(descriptors []string) bool {
	for _, d := range descriptors {
		if strings.Contains(d, "huser") || strings.Contains(d, "hgroup") {
			return true
		}
	}
	return false
}

// containerPIDs lists the host PIDs of the container whose init is host PID
// init: its PID namespace when it has its own, else the processes of its cgroup.
func containerPIDs(init int) ([]int, error) {
	if !procfs.SameNamespace("/proc", init, "pid") {
		return procfs.InPIDNamespace("/proc", init)
	}
	cg, err := cgroups.ForPID(init)
	if err != nil {
		return nil, err
	}
	dir := cg.V2
	for _, ctrl := range []string{"pids", "memory", "cpu"} {
		if d, ok := cg.V1[ctrl]; ok {
			dir = d
			break
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	out := []int{init}
	for _, f := range strings.Fields(string(data)) {
		if n, err := strconv.Atoi(f); err == nil && n != init {
			out = append(out, n)
		}
	}
	return out, nil
}
