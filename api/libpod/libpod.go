// Package libpod serves the libpod-style routes `selkie --remote` uses. The
// bodies are engine types; each handler decodes, calls engine.Engine once,
// and encodes. Errors map through api/wire's one table.
package libpod

import (
	"bytes"
	"io"
	"net/http"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

type routes struct {
	eng engine.Engine
}

// Register adds the /libpod/... routes to mux (paths without the version
// prefix, which the server strips).
func Register(mux *http.ServeMux, eng engine.Engine) {
	s := &routes{eng: eng}
	h := func(pattern string, fn wire.HandlerFunc) { mux.Handle(pattern, fn) }
	s.system(h)
	s.events(h)
	s.images(h)
	s.containers(h)
	s.exec(h)
	s.networks(h)
	s.volumes(h)
	s.pods(h)
	s.build(h)
}

type handle func(pattern string, fn wire.HandlerFunc)

func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return wire.DecodeJSON(w, r, v, true)
}

func ok(w http.ResponseWriter, v any) error {
	if v == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return wire.WriteJSON(w, http.StatusOK, v)
}

// stream answers with frames: fn's stdout and stderr, then its result.
func stream(w http.ResponseWriter, fn func(stdout, stderr io.Writer) (any, error)) error {
	w.Header().Set("Content-Type", wire.ContentType)
	w.WriteHeader(http.StatusOK)
	http.NewResponseController(w).Flush()
	m := wire.NewMuxer(w)
	v, err := fn(m.Writer(wire.Stdout), m.Writer(wire.Stderr))
	return m.WriteResult(v, err)
}

// streamAfterBody is stream for handlers that read the request body: an
// HTTP/1 server may not read a body once the response started, so the
// progress is buffered and sent when fn returns.
func streamAfterBody(w http.ResponseWriter, fn func(progress io.Writer) (any, error)) error {
	var buf bytes.Buffer
	v, err := fn(&buf)
	return stream(w, func(stdout, _ io.Writer) (any, error) {
		_, _ = stdout.Write(buf.Bytes())
		return v, err
	})
}

// hijack takes the connection over and runs fn with the requested streams:
// stdin is read from the connection, stdout and stderr go out as frames, and
// fn's result ends the stream. Resizes arrive as separate requests.
func hijack(w http.ResponseWriter, r *http.Request, set wire.StreamSet, detachKeys string, fn func(st engine.Streams) (any, error)) error {
	hj, err := wire.Hijack(w, r, wire.ContentType)
	if err != nil {
		return err
	}
	defer hj.Close()
	m := wire.NewMuxer(hj)
	st := engine.Streams{DetachKeys: detachKeys, Resize: set.Resize()}
	if set.Stdin {
		in, done, err := wire.StdinPipe(hj)
		if err != nil {
			return err
		}
		defer done()
		st.Stdin = in
	}
	if set.Stdout {
		st.Stdout = m.Writer(wire.Stdout)
	}
	if set.Stderr {
		st.Stderr = m.Writer(wire.Stderr)
	}
	v, err := fn(st)
	_ = m.WriteResult(v, err)
	_ = hj.CloseWrite()
	return nil
}
