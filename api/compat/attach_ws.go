package compat

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
	"golang.org/x/net/websocket"
)

// containerAttachWS is GET /containers/{id}/attach/ws: Docker's websocket
// attach. The container's output goes out as binary frames, raw (stdout and
// stderr are not multiplexed, as in Docker), and the frames the client sends
// are the container's stdin. As with the hijacked attach, a created
// container is parked until a start request hands it over.
func (s *routes) containerAttachWS(w http.ResponseWriter, r *http.Request) error {
	c, err := s.eng.ContainerInspect(r.Context(), r.PathValue("id"), engine.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	if !boolQuery(r, "stream", false) && !boolQuery(r, "logs", false) {
		return wire.BadRequest(errNoStream)
	}
	if err := sameOrigin(r); err != nil {
		return err
	}
	var p *pendingAttach
	if !c.State.Running && !c.State.Paused && boolQuery(r, "stream", false) {
		p = &pendingAttach{start: make(chan chan error), gone: make(chan struct{})}
		s.putAttach(c.ID, p)
		defer s.dropAttach(c.ID, p)
	}
	q := r.URL.Query()
	serve := func(ws *websocket.Conn) {
		defer ws.Close()
		ws.PayloadType = websocket.BinaryFrame
		out := &wsWriter{ws: ws}
		st := engine.Streams{DetachKeys: q.Get("detachKeys")}
		if boolQuery(r, "stdin", false) {
			in, done, err := wire.StdinPipe(ws)
			if err != nil {
				return
			}
			defer done()
			st.Stdin = in
		}
		if boolQuery(r, "stdout", false) {
			st.Stdout = out
		}
		if boolQuery(r, "stderr", false) {
			st.Stderr = out
		}
		ctx := r.Context()
		var err error
		if p != nil {
			err = s.attachAndWaitForStart(r, c.ID, p, st)
		} else if c.State.Running || c.State.Paused {
			err = s.eng.ContainerAttach(ctx, c.ID, engine.ContainerAttachOptions{Streams: st, Logs: boolQuery(r, "logs", false)})
		}
		if err != nil && ctx.Err() == nil {
			_, _ = out.Write([]byte("Error: " + err.Error() + "\n"))
		}
	}
	// The handshake is checked above (sameOrigin); websocket.Server answers
	// a request that is not a websocket upgrade with 400.
	websocket.Server{Handler: serve, Handshake: func(*websocket.Config, *http.Request) error { return nil }}.ServeHTTP(hijacker{w}, r)
	return nil
}

// hijacker gives websocket.Server, which type-asserts http.Hijacker, the
// connection of a wrapped ResponseWriter.
type hijacker struct{ http.ResponseWriter }

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(h.ResponseWriter).Hijack()
}

// wsWriter sends each write as one frame (websocket.Conn serialises writers).
type wsWriter struct{ ws *websocket.Conn }

func (w *wsWriter) Write(p []byte) (int, error) { return w.ws.Write(p) }

// sameOrigin refuses a websocket request a web page opened on another site
// (a browser always sends Origin; docker clients send none or their own
// host): the API is unauthenticated, so a page must not drive a container.
func sameOrigin(r *http.Request) error {
	o := r.Header.Get("Origin")
	if o == "" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return wire.BadRequest(fmt.Errorf("invalid Origin header %q", o))
	}
	if !strings.EqualFold(u.Host, r.Host) {
		return wire.StatusError(http.StatusForbidden, fmt.Sprintf("websocket origin %q does not match host %q", o, r.Host))
	}
	return nil
}
