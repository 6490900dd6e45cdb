package local

import (
	"context"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/cgroups"
	"github.com/selkie-containers/selkie/internal/oci"
	"github.com/selkie-containers/selkie/internal/spec"
	"github.com/selkie-containers/selkie/internal/state"
)

// ContainerUpdate changes a container's resource limits (and restart
// policy). The new values are recorded, so inspect shows them and the next
// start uses them; a running or paused container gets them at once through
// the runtime's update (or, for a runtime without one, the cgroup files).
func (e *Engine) ContainerUpdate(ctx context.Context, ref string, o engine.ContainerUpdateOptions) error {
	return e.withContainer(ctx, ref, func(c *state.Container) error {
		e.syncExit(c)
		merged := mergeResources(c.Options.Resources, o.Resources)
		res, err := spec.Resources(merged, oci.CgroupMode() == oci.CgroupV2)
		if err != nil {
			return err
		}
		if o.RestartPolicy != "" {
			c.Options.RestartPolicy = o.RestartPolicy
		}
		if o.RestartRetries != nil {
			c.Options.RestartRetries = *o.RestartRetries
		}
		if c.State.Status == state.StatusRunning || c.State.Status == state.StatusPaused {
			if err := e.applyResources(ctx, c, res); err != nil {
				return err
			}
		}
		c.Options.Resources = merged
		return nil
	})
}

func (e *Engine) applyResources(ctx context.Context, c *state.Container, res *specs.LinuxResources) error {
	rt, err := e.runtimeFor(c, false)
	if err != nil {
		return err
	}
	err = rt.Update(ctx, c.ID, res)
	if err == nil {
		return nil
	}
	// A runtime without an update command: write the cgroup files ourselves.
	if msg := err.Error(); !strings.Contains(msg, "No help topic") && !strings.Contains(msg, "unknown command") {
		return fmt.Errorf("updating resources of container %s: %w", c.ID, err)
	}
	cg, cerr := cgroups.ForPID(c.State.Pid)
	if cerr != nil {
		return fmt.Errorf("finding the cgroup of container %s: %w", c.ID, cerr)
	}
	return cg.Apply(res)
}

// mergeResources applies the set fields of u over r.
func mergeResources(r, u engine.Resources) engine.Resources {
	if u.Memory != 0 {
		r.Memory = u.Memory
		if u.MemorySwap == 0 && r.MemorySwap > 0 && r.MemorySwap < r.Memory {
			r.MemorySwap = 0 // the old swap limit would now be below the memory limit
		}
	}
	if u.MemorySwap != 0 {
		r.MemorySwap = u.MemorySwap
	}
	if u.MemoryReservation != 0 {
		r.MemoryReservation = u.MemoryReservation
	}
	if u.NanoCPUs != 0 {
		r.NanoCPUs, r.CPUQuota, r.CPUPeriod = u.NanoCPUs, 0, 0
	}
	if u.CPUShares != 0 {
		r.CPUShares = u.CPUShares
	}
	if u.CPUQuota != 0 {
		r.CPUQuota, r.NanoCPUs = u.CPUQuota, 0
	}
	if u.CPUPeriod != 0 {
		r.CPUPeriod, r.NanoCPUs = u.CPUPeriod, 0
	}
	if u.CPUSetCPUs != "" {
		r.CPUSetCPUs = u.CPUSetCPUs
	}
	if u.CPUSetMems != "" {
		r.CPUSetMems = u.CPUSetMems
	}
	if u.PidsLimit != nil {
		v := *u.PidsLimit
		r.PidsLimit = &v
	}
	if u.BlkioWeight != 0 {
		r.BlkioWeight = u.BlkioWeight
	}
	return r
}
