package local

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/monitor"
	"github.com/selkie-containers/selkie/internal/state"
)

// ContainerLogs writes the container's k8s-file log to o.Stdout/o.Stderr.
func (e *Engine) ContainerLogs(ctx context.Context, ref string, o engine.ContainerLogsOptions) error {
	c, err := e.lookupContainer(ctx, ref)
	if err != nil {
		return err
	}
	switch logDriver(c, e.cfg.Containers.LogDriver) {
	case monitor.LogNone, monitor.LogPassthrough:
		return fmt.Errorf("this container is using the '%s' log driver, cannot read logs: %w", logDriver(c, e.cfg.Containers.LogDriver), engine.ErrNoLogs)
	}
	path, err := e.logPath(c)
	if err != nil {
		return err
	}
	stdout, stderr := o.Stdout, o.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = stdout
	}
	exits, _ := e.exitDir()
	running := func() bool {
		cc := *c
		if e.syncExit(&cc) {
			return false
		}
		return cc.State.Status == state.StatusRunning || cc.State.Status == state.StatusPaused
	}
	ro := monitor.LogReadOptions{Since: o.Since, Until: o.Until, Tail: o.Tail, Follow: o.Follow && running()}
	if ro.Follow {
		// Following ends once the container is no longer running: its exit
		// file is there, its conmon is gone (the exit file may already
		// have been removed by cleanup), or — checked about once a second
		// — its record says it is not running or it was removed.
		conmonPid, polls := c.State.ConmonPid, 0
		ro.Done = func() bool {
			if _, _, err := monitor.ReadExitFile(exits, c.ID); err == nil {
				return true
			}
			if conmonPid > 0 && !monitor.ProcessAlive(conmonPid) {
				return true
			}
			if polls++; polls%10 != 0 {
				return false
			}
			cc, err := e.lookupContainer(ctx, c.ID)
			return err != nil || !(cc.State.Status == state.StatusRunning || cc.State.Status == state.StatusPaused)
		}
	}
	partial := map[string]bool{}
	return monitor.ReadLog(ctx, path, ro, func(l monitor.LogLine) error {
		w := stdout
		if l.Stream == "stderr" {
			w = stderr
		}
		prefix := ""
		if !partial[l.Stream] {
			if o.Names {
				prefix += c.Name + " "
			}
			if o.Timestamps {
				prefix += l.Time.UTC().Format(time.RFC3339Nano) + " "
			}
		}
		partial[l.Stream] = l.Partial
		msg := prefix + l.Msg
		if !l.Partial {
			msg += "\n"
		}
		_, err := io.WriteString(w, msg)
		return err
	})
}
