package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/selkie-containers/selkie/engine"
)

// MaxJSONBody bounds every JSON request body (archives are streamed, not bounded).
const MaxJSONBody = 10 << 20

// HandlerFunc is an HTTP handler that returns its error; ServeHTTP turns the
// error into the JSON error body (unless the response was already started,
// hijacked or streamed, in which case the handler reported it in-band).
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

func (h HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tw := &trackingWriter{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			if !tw.started {
				WriteError(tw, fmt.Errorf("internal error: %v", p))
			}
		}
	}()
	if err := h(tw, r); err != nil && !tw.started {
		WriteError(tw, err)
	}
}

// trackingWriter remembers whether the status line went out.
type trackingWriter struct {
	http.ResponseWriter
	started bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.started = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.started = true
	return t.ResponseWriter.Write(b)
}

func (t *trackingWriter) Flush() {
	t.started = true
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach Hijack and Flush.
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// BadRequest marks err as the caller's fault (400).
func BadRequest(err error) error {
	return fmt.Errorf("%v: %w", err, engine.ErrInvalidArg)
}

// DecodeJSON reads a JSON body of at most MaxJSONBody bytes into v. An empty
// body leaves v unchanged. With strict, unknown fields are an error.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any, strict bool) error {
	if r.Body == nil {
		return nil
	}
	body := http.MaxBytesReader(w, r.Body, MaxJSONBody)
	dec := json.NewDecoder(body)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return StatusError(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", mbe.Limit))
		}
		return BadRequest(fmt.Errorf("decoding request body: %v", err))
	}
	return nil
}

// DecodeQueryJSON decodes the JSON query parameter name into v (absent: unchanged).
func DecodeQueryJSON(r *http.Request, name string, v any) error {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil
	}
	if len(s) > MaxJSONBody {
		return BadRequest(errors.New("query parameter too large"))
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return BadRequest(fmt.Errorf("decoding query parameter %q: %v", name, err))
	}
	return nil
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// WriteJSONBody writes v as JSON after the status line was already sent.
func WriteJSONBody(w http.ResponseWriter, v any) error {
	return json.NewEncoder(w).Encode(v)
}
