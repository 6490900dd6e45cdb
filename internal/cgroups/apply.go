package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Apply writes the set fields of r to the cgroup's files. It is the fallback
// for runtimes without `update`; runc and crun apply limits themselves.
func (c *Cgroup) Apply(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	var errs []error
	w := func(dir, file, val string) {
		if dir == "" {
			errs = append(errs, fmt.Errorf("no cgroup directory for %s", file))
			return
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte(val), 0); err != nil {
			errs = append(errs, fmt.Errorf("setting %s: %w", file, err))
		}
	}
	if c.IsV2() {
		c.applyV2(r, w)
	} else {
		c.applyV1(r, w)
	}
	return errors.Join(errs...)
}

func (c *Cgroup) applyV1(r *specs.LinuxResources, w func(dir, file, val string)) {
	if m := r.Memory; m != nil {
		d := c.V1["memory"]
		// Raising the limit above memsw fails, lowering memsw below the
		// limit fails: write in the order that works for the new values.
		if m.Limit != nil && m.Swap != nil && *m.Swap > 0 && *m.Swap > readInt(d, "memory.limit_in_bytes") {
			w(d, "memory.memsw.limit_in_bytes", itoa(*m.Swap))
			w(d, "memory.limit_in_bytes", itoa(*m.Limit))
		} else {
			if m.Limit != nil {
				w(d, "memory.limit_in_bytes", itoa(*m.Limit))
			}
			if m.Swap != nil {
				w(d, "memory.memsw.limit_in_bytes", itoa(*m.Swap))
			}
		}
		if m.Reservation != nil {
			w(d, "memory.soft_limit_in_bytes", itoa(*m.Reservation))
		}
	}
	if cpu := r.CPU; cpu != nil {
		d := c.V1["cpu"]
		if cpu.Shares != nil {
			w(d, "cpu.shares", utoa(*cpu.Shares))
		}
		if cpu.Period != nil {
			w(d, "cpu.cfs_period_us", utoa(*cpu.Period))
		}
		if cpu.Quota != nil {
			w(d, "cpu.cfs_quota_us", itoa(*cpu.Quota))
		}
		if cpu.Cpus != "" {
			w(c.V1["cpuset"], "cpuset.cpus", cpu.Cpus)
		}
		if cpu.Mems != "" {
			w(c.V1["cpuset"], "cpuset.mems", cpu.Mems)
		}
	}
	if r.Pids != nil && r.Pids.Limit != nil {
		w(c.V1["pids"], "pids.max", pidsMax(*r.Pids.Limit))
	}
	if r.BlockIO != nil && r.BlockIO.Weight != nil {
		w(c.V1["blkio"], "blkio.weight", utoa(uint64(*r.BlockIO.Weight)))
	}
}

func (c *Cgroup) applyV2(r *specs.LinuxResources, w func(dir, file, val string)) {
	d := c.V2
	if m := r.Memory; m != nil {
		if m.Limit != nil {
			w(d, "memory.max", max2(*m.Limit))
		}
		if m.Swap != nil && m.Limit != nil && *m.Swap > 0 {
			// v1 semantics (memory+swap) → v2's swap-only value.
			w(d, "memory.swap.max", itoa(*m.Swap-*m.Limit))
		}
		if m.Reservation != nil {
			w(d, "memory.low", itoa(*m.Reservation))
		}
	}
	if cpu := r.CPU; cpu != nil {
		if cpu.Shares != nil && *cpu.Shares > 0 {
			// The conversion runc and crun use: [2, 262144] → [1, 10000].
			w(d, "cpu.weight", utoa(1+((*cpu.Shares-2)*9999)/262142))
		}
		if cpu.Quota != nil || cpu.Period != nil {
			quota, period := "max", uint64(100000)
			if cpu.Quota != nil && *cpu.Quota > 0 {
				quota = itoa(*cpu.Quota)
			}
			if cpu.Period != nil && *cpu.Period > 0 {
				period = *cpu.Period
			}
			w(d, "cpu.max", quota+" "+utoa(period))
		}
		if cpu.Cpus != "" {
			w(d, "cpuset.cpus", cpu.Cpus)
		}
		if cpu.Mems != "" {
			w(d, "cpuset.mems", cpu.Mems)
		}
	}
	if r.Pids != nil && r.Pids.Limit != nil {
		w(d, "pids.max", pidsMax(*r.Pids.Limit))
	}
	if r.BlockIO != nil && r.BlockIO.Weight != nil {
		w(d, "io.bfq.weight", utoa(uint64(*r.BlockIO.Weight)))
	}
}

func pidsMax(n int64) string {
	if n <= 0 {
		return "max"
	}
	return itoa(n)
}

func max2(n int64) string {
	if n <= 0 {
		return "max"
	}
	return itoa(n)
}

func readInt(dir, file string) int64 {
	v, _ := strconv.ParseInt(readString(dir, file), 10, 64)
	return v
}

func itoa(n int64) string  { return strconv.FormatInt(n, 10) }
func utoa(n uint64) string { return strconv.FormatUint(n, 10) }
