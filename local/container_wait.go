package local

import (
	"context"
	"fmt"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/monitor"
	"github.com/selkie-containers/selkie/internal/state"
)

// waitCondition reports whether c is a state wait knows (known) and can wait
// for (ok); health conditions are known but not supported yet.
func waitCondition(c string) (ok, known bool) {
	switch c {
	case "configured", "created", "exited", "initialized", "paused", "removing", "running", "stopped", "stopping":
		return true, true
	case "healthy", "unhealthy":
		return false, true
	}
	return false, false
}

// ContainerWait blocks until the container reaches one of o.Conditions
// (default: exited) and returns its exit code. Waiting for the exit watches
// conmon's exit file with inotify; other conditions re-read the record
// every o.Interval.
func (e *Engine) ContainerWait(ctx context.Context, ref string, o engine.ContainerWaitOptions) (int32, error) {
	conds := map[string]bool{}
	for _, c := range o.Conditions {
		if ok, known := waitCondition(c); !known || !ok {
			return -1, fmt.Errorf("%q is not a valid container state: %w", c, engine.ErrInvalidArg)
		}
		if c == "stopped" {
			c = "exited"
		}
		conds[c] = true
	}
	if len(conds) == 0 {
		conds["exited"] = true
	}
	interval := o.Interval
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	c, err := e.lookupContainer(ctx, ref)
	if err != nil {
		return -1, err
	}
	id := c.ID
	since, sawRun := time.Now(), false
	exits, err := e.exitDir()
	if err != nil {
		return -1, err
	}
	for {
		e.syncExit(c)
		observeExit(c, exits) // conmon killed with -9: dead, 137
		status := publicStatus(c.State.Status)
		if status == state.StatusStopped {
			status = "exited" // stopped by the engine, cleanup pending
		}
		if o.NextExit && !sawRun {
			switch {
			case c.State.Status == state.StatusRunning || c.State.Status == state.StatusPaused:
				sawRun = true
			case c.State.FinishedAt.After(since):
				// It ran and exited between two looks at the record.
				return c.State.ExitCode, nil
			default:
				status = "" // not started yet: keep waiting
			}
		}
		if conds[status] || (status == "created" && conds["configured"]) {
			if status != "exited" {
				return -1, nil // as Podman: no exit code for other conditions
			}
			return c.State.ExitCode, nil
		}
		if status == "created" || status == "initialized" {
			if !o.NextExit && conds["exited"] && len(conds) == 1 {
				// As Podman 4.3: a container that never ran answers at
				// once with its recorded exit code.
				return c.State.ExitCode, nil
			}
		}
		waited := false
		if conds["exited"] && len(conds) == 1 && (c.State.Status == state.StatusRunning || c.State.Status == state.StatusPaused) {
			conmonPid := c.State.ConmonPid
			code, _, err := monitor.WaitExitFile(ctx, exits, id, func() bool { return monitor.ProcessAlive(conmonPid) })
			if err == nil {
				e.log.Debug("container exited", "id", id, "code", code)
				return code, nil
			}
			if ctx.Err() != nil {
				return -1, ctx.Err()
			}
			// conmon vanished: the record (after cleanup) has the answer.
			waited = !monitor.ProcessAlive(conmonPid)
		}
		if !waited {
			select {
			case <-ctx.Done():
				return -1, ctx.Err()
			case <-time.After(interval):
			}
		}
		c, err = e.lookupContainer(ctx, id)
		if err != nil {
			return -1, err
		}
	}
}
