package local

import (
	"context"
	"fmt"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/events"
	"github.com/selkie-containers/selkie/internal/state"
)

// eventLog is the events log of this engine, or nil when events_logger is
// "none". It lives in the tmp dir, as Podman's file backend.
func (e *Engine) eventLog() *events.Log {
	if e.cfg.Engine.EventsLogger == "none" {
		return nil
	}
	gr := e.cfg.GraphRoot
	return events.New(e.cfg.Paths(gr).TmpDir)
}

// event records one lifecycle event. It never fails the operation that
// emits it: a write error is logged at debug level.
func (e *Engine) event(ctx context.Context, typ, status, id, name, image string, attrs map[string]string) {
	e.emit(ctx, engine.Event{Type: typ, Status: status, ID: id, Name: name, Image: image, Attributes: attrs})
}

func (e *Engine) emit(ctx context.Context, ev engine.Event) {
	l := e.eventLog()
	if l == nil {
		return
	}
	if ev.Type == engine.EventTypeContainer && ev.Attributes == nil {
		ev.Attributes = map[string]string{}
	}
	if err := l.Write(ev); err != nil {
		e.log.DebugContext(ctx, "writing event", "type", ev.Type, "status", ev.Status, "err", err)
	}
}

// Events reads the events log.
func (e *Engine) Events(ctx context.Context, o engine.EventsOptions, fn func(engine.Event) error) error {
	l := e.eventLog()
	if l == nil {
		return fmt.Errorf("cannot read events with the \"none\" backend: %w", engine.ErrInvalidArg)
	}
	now := time.Now()
	since, err := events.ParseTime(o.Since, now)
	if err != nil {
		return err
	}
	until, err := events.ParseTime(o.Until, now)
	if err != nil {
		return err
	}
	match, err := events.Filter(o.Filters)
	if err != nil {
		return err
	}
	return l.Read(ctx, events.ReadOptions{Since: since, Until: until, Stream: o.Stream, Match: match}, fn)
}

// ctrEvent records a container event; its attributes are the image's and
// the container's labels, as Podman's.
func (e *Engine) ctrEvent(ctx context.Context, c *state.Container, status string) {
	ev := containerEvent(c, status)
	if status == "died" {
		ev.ContainerExitCode = int(c.State.ExitCode)
	}
	e.emit(ctx, ev)
}

// execDiedEvent records the end of an attached exec session with its exit
// code, as Podman's exec_died.
func (e *Engine) execDiedEvent(ctx context.Context, c *state.Container, code int) {
	ev := containerEvent(c, "exec_died")
	ev.ContainerExitCode = code
	e.emit(ctx, ev)
}

func containerEvent(c *state.Container, status string) engine.Event {
	attrs := map[string]string{}
	if c.ImageConfig != nil {
		for k, v := range c.ImageConfig.Config.Labels {
			attrs[k] = v
		}
	}
	for k, v := range c.Options.Labels {
		attrs[k] = v
	}
	return engine.Event{Type: engine.EventTypeContainer, Status: status, ID: c.ID, Name: c.Name, Image: c.ImageName, PodID: c.Pod, Attributes: attrs}
}

// diedEvent records, for the first cleanup of a run (conmon's PID still
// recorded), "died" when the run ended and returns what records "cleanup"
// once the cleanup is done.
func (e *Engine) diedEvent(ctx context.Context, c *state.Container) func() {
	if c.State.Status == state.StatusExited || c.State.Status == state.StatusStopped {
		e.ctrEvent(ctx, c, "died")
	}
	return func() { e.ctrEvent(ctx, c, "cleanup") }
}

// imageID is the ID of the local image ref names, or "".
func (e *Engine) imageID(ref string) string {
	m, err := e.images()
	if err != nil {
		return ""
	}
	img, err := m.Lookup(ref)
	if err != nil || img == nil {
		return ""
	}
	return img.ID
}

// imageEvent records an image event for the image ref names.
func (e *Engine) imageEvent(ctx context.Context, status, ref, name string) {
	if e.eventLog() == nil {
		return
	}
	e.event(ctx, engine.EventTypeImage, status, e.imageID(ref), name, "", nil)
}
