package local

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/cgroups"
	"github.com/selkie-containers/selkie/internal/state"
)

// ContainerStats samples the container's cgroup and network namespace once.
// A container that is not running yields a zero sample, as Podman shows it.
// CPU is the average since the container started; a caller streaming
// samples computes the current rate from CPUNano and SystemNano deltas.
func (e *Engine) ContainerStats(ctx context.Context, ref string) (*engine.ContainerStats, error) {
	c, err := e.lookupContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	e.syncExit(c)
	now := time.Now()
	s := &engine.ContainerStats{ContainerID: c.ID, Name: c.Name, SystemNano: uint64(now.UnixNano())}
	if (c.State.Status != state.StatusRunning && c.State.Status != state.StatusPaused) || c.State.Pid == 0 {
		return s, nil
	}
	cg, err := cgroups.ForPID(c.State.Pid)
	if err != nil {
		if os.IsNotExist(err) {
			return s, nil // exited meanwhile
		}
		return nil, fmt.Errorf("finding the cgroup of container %s: %w", c.ID, err)
	}
	cs, err := cg.Stats()
	if err != nil {
		return nil, fmt.Errorf("reading the cgroup of container %s: %w", c.ID, err)
	}
	s.CPUNano = cs.CPUNano
	s.CPUSystemNano = cs.CPUSystemNano
	s.PerCPU = cs.PerCPU
	s.MemUsage = cs.MemUsage
	s.MemLimit = cs.MemLimit
	if cs.MemLimit > 0 {
		s.MemPerc = 100 * float64(cs.MemUsage) / float64(cs.MemLimit)
	}
	s.BlockInput, s.BlockOutput = cs.BlockRead, cs.BlockWrite
	s.PIDs = cs.PIDs
	s.Duration = cs.CPUNano
	if !c.State.StartedAt.IsZero() {
		s.UpTime = now.Sub(c.State.StartedAt)
		if s.UpTime > 0 {
			s.CPU = 100 * float64(cs.CPUNano) / float64(s.UpTime.Nanoseconds())
		}
	}
	s.NetInput, s.NetOutput = netDev(c.State.Pid)
	return s, nil
}

// netDev sums received and transmitted bytes over the interfaces of the
// process's network namespace, loopback excluded (/proc/PID/net/dev shows
// the namespace of PID, read from the host without entering it).
func netDev(pid int) (rx, tx uint64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/dev", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 9 {
			continue
		}
		r, _ := strconv.ParseUint(f[0], 10, 64)
		t, _ := strconv.ParseUint(f[8], 10, 64)
		rx += r
		tx += t
	}
	return rx, tx
}
