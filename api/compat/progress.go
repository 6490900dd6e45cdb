package compat

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// jsonStream writes Docker's JSON-message stream (pull, push, load): one
// JSON object per line, flushed as it goes.
type jsonStream struct {
	mu  sync.Mutex
	rc  *http.ResponseController
	enc *json.Encoder
	buf bytes.Buffer // partial line of progress text
}

type jsonMessage struct {
	Stream      string        `json:"stream,omitempty"`
	Status      string        `json:"status,omitempty"`
	ID          string        `json:"id,omitempty"`
	Error       string        `json:"error,omitempty"`
	ErrorDetail *errorDetail  `json:"errorDetail,omitempty"`
	Aux         any           `json:"aux,omitempty"`
	Progress    *jsonProgress `json:"progressDetail,omitempty"`
}

type errorDetail struct {
	Message string `json:"message"`
}

type jsonProgress struct{}

func newJSONStream(w http.ResponseWriter) *jsonStream {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	return &jsonStream{rc: rc, enc: json.NewEncoder(w)}
}

func (s *jsonStream) send(m jsonMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.enc.Encode(m)
	_ = s.rc.Flush()
}

// status is an io.Writer turning each progress line into {"status": line}.
func (s *jsonStream) status() *lineWriter { return &lineWriter{s: s, field: "status"} }

// stream is an io.Writer turning each line into {"stream": line+"\n"}.
func (s *jsonStream) stream() *lineWriter { return &lineWriter{s: s, field: "stream"} }

func (s *jsonStream) fail(err error) {
	s.send(jsonMessage{Error: err.Error(), ErrorDetail: &errorDetail{Message: err.Error()}})
}

type lineWriter struct {
	s     *jsonStream
	field string
	buf   bytes.Buffer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadString('\n')
		if err != nil {
			l.buf.Reset()
			l.buf.WriteString(line)
			return len(p), nil
		}
		l.emit(strings.TrimRight(line, "\r\n"))
	}
}

func (l *lineWriter) emit(line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	if l.field == "stream" {
		l.s.send(jsonMessage{Stream: line + "\n"})
		return
	}
	l.s.send(jsonMessage{Status: line})
}

// flush emits a trailing partial line.
func (l *lineWriter) flush() {
	if l.buf.Len() > 0 {
		l.emit(l.buf.String())
		l.buf.Reset()
	}
}
