package compat

import (
	"io"
	"net/http"
	"time"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

// pendingAttach is an attach to a container that has not started yet:
// Docker clients attach first and start second, so the start request hands
// over to the attach connection, which starts the container with its streams.
type pendingAttach struct {
	start chan chan error
	gone  chan struct{}
}

func (s *routes) putAttach(id string, p *pendingAttach) {
	s.mu.Lock()
	s.attaches[id] = p
	s.mu.Unlock()
}

func (s *routes) takeAttach(id string) *pendingAttach {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.attaches[id]
	delete(s.attaches, id)
	return p
}

func (s *routes) dropAttach(id string, p *pendingAttach) {
	s.mu.Lock()
	if s.attaches[id] == p {
		delete(s.attaches, id)
	}
	s.mu.Unlock()
	close(p.gone)
}

// outputs returns the stdout and stderr writers of a Docker stream: raw for
// a TTY, 8-byte-header frames otherwise.
func outputs(w io.Writer, tty bool) (stdout, stderr io.Writer) {
	if tty {
		fw := &flushWriter{w: w}
		return fw, fw
	}
	m := wire.NewMuxer(w)
	return m.Writer(wire.Stdout), m.Writer(wire.Stderr)
}

type flushWriter struct {
	w io.Writer
}

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}

func (s *routes) containerAttach(w http.ResponseWriter, r *http.Request) error {
	c, err := s.eng.ContainerInspect(r.Context(), r.PathValue("id"), engine.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	if !boolQuery(r, "stream", false) && !boolQuery(r, "logs", false) {
		return wire.BadRequest(errNoStream)
	}
	ct := "application/vnd.docker.multiplexed-stream"
	if c.Config.Tty {
		ct = "application/vnd.docker.raw-stream"
	}
	// Park before answering: the client sends its start request as soon as
	// it has the upgrade response, and that start must find this attach.
	var p *pendingAttach
	if !c.State.Running && !c.State.Paused && boolQuery(r, "stream", false) {
		p = &pendingAttach{start: make(chan chan error), gone: make(chan struct{})}
		s.putAttach(c.ID, p)
		defer s.dropAttach(c.ID, p)
	}
	hj, err := wire.Hijack(w, r, ct)
	if err != nil {
		return err
	}
	defer hj.Close()
	out, errw := outputs(hj, c.Config.Tty)
	st := engine.Streams{DetachKeys: r.URL.Query().Get("detachKeys")}
	if boolQuery(r, "stdin", false) {
		in, done, err := wire.StdinPipe(hj)
		if err != nil {
			return err
		}
		defer done()
		st.Stdin = in
	}
	if boolQuery(r, "stdout", false) {
		st.Stdout = out
	}
	if boolQuery(r, "stderr", false) {
		st.Stderr = errw
	}
	ctx := r.Context()
	if p != nil {
		err = s.attachAndWaitForStart(r, c.ID, p, st)
	} else if c.State.Running || c.State.Paused {
		err = s.eng.ContainerAttach(ctx, c.ID, engine.ContainerAttachOptions{Streams: st, Logs: boolQuery(r, "logs", false)})
	}
	if err != nil && errw != nil && ctx.Err() == nil {
		_, _ = errw.Write([]byte("Error: " + err.Error() + "\n"))
	}
	_ = hj.CloseWrite()
	return nil
}

// attachAndWaitForStart holds the parked streams (p) until a start request for the
// container arrives, then starts it attached. The start request learns
// whether the start worked: an error from the engine, or the container
// reaching running (or already exited) state.
func (s *routes) attachAndWaitForStart(r *http.Request, id string, p *pendingAttach, st engine.Streams) error {
	var reply chan error
	select {
	case reply = <-p.start:
	case <-r.Context().Done():
		return nil
	case <-time.After(24 * time.Hour):
		return nil
	}
	ctx := r.Context()
	if st.Resize == nil {
		st.Resize = s.consoleResize(id)
	}
	done := make(chan error, 1)
	go func() { done <- s.eng.ContainerStart(ctx, id, engine.ContainerStartOptions{Attach: &st}) }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for reply != nil {
		select {
		case err := <-done:
			reply <- err
			return err
		case <-tick.C:
			c, err := s.eng.ContainerInspect(ctx, id, engine.ContainerInspectOptions{})
			if err != nil || c.State.Running || !c.State.FinishedAt.IsZero() {
				reply <- nil
				reply = nil
			}
		}
	}
	return <-done
}
