package wire

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// Stream numbers of the 8-byte frame header (Docker's multiplexed stream:
// [stream, 0, 0, 0, size uint32 big-endian] then size bytes).
const (
	Stdin  = 0
	Stdout = 1
	Stderr = 2
	// Result ends a libpod stream: a JSON Result. Docker uses 3 for
	// "systemerr" text; only Selkie's own libpod routes send Result.
	Result = 3
)

// maxFrame bounds one frame a reader accepts.
const maxFrame = 64 << 20

// Muxer writes frames to one underlying writer; its stream writers are safe
// for concurrent use (stdout and stderr come from different goroutines).
type Muxer struct {
	mu sync.Mutex
	w  io.Writer
	fl http.Flusher
}

// NewMuxer frames onto w, flushing after every frame when w can flush.
func NewMuxer(w io.Writer) *Muxer {
	m := &Muxer{w: w}
	m.fl, _ = w.(http.Flusher)
	return m
}

// WriteFrame writes one frame.
func (m *Muxer) WriteFrame(stream byte, p []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var hdr [8]byte
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(p)))
	if _, err := m.w.Write(hdr[:]); err != nil {
		return err
	}
	if _, err := m.w.Write(p); err != nil {
		return err
	}
	if m.fl != nil {
		m.fl.Flush()
	}
	return nil
}

// Writer returns an io.Writer that frames everything written as stream.
func (m *Muxer) Writer(stream byte) io.Writer { return streamWriter{m, stream} }

type streamWriter struct {
	m      *Muxer
	stream byte
}

func (s streamWriter) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n := min(len(p)-done, 1<<20)
		if err := s.m.WriteFrame(s.stream, p[done:done+n]); err != nil {
			return done, err
		}
		done += n
	}
	return done, nil
}

// ResultFrame is the JSON of the final Result frame.
type ResultFrame struct {
	Value json.RawMessage `json:"value,omitempty"`
	Error *Error          `json:"error,omitempty"`
}

// WriteResult ends a stream with v or err.
func (m *Muxer) WriteResult(v any, err error) error {
	var rf ResultFrame
	if err != nil {
		rf.Error = FromError(err)
	} else if v != nil {
		b, merr := json.Marshal(v)
		if merr != nil {
			rf.Error = FromError(merr)
		}
		rf.Value = b
	}
	b, _ := json.Marshal(rf)
	return m.WriteFrame(Result, b)
}

// ErrNoResult means the stream ended before its Result frame.
var ErrNoResult = errors.New("stream ended without a result (connection lost)")

// Demux copies frames from r to stdout/stderr (nil: discarded) until a Result
// frame, which it decodes into v; the Result's error is returned. Without a
// Result frame (Docker streams), io.EOF at a frame boundary returns
// ErrNoResult so callers that expect one can tell.
func Demux(r io.Reader, stdout, stderr io.Writer, v any) error {
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return ErrNoResult
			}
			return err
		}
		n := binary.BigEndian.Uint32(hdr[4:])
		if n > maxFrame {
			return fmt.Errorf("stream frame of %d bytes exceeds the limit", n)
		}
		switch hdr[0] {
		case Stdout, Stderr:
			w := stdout
			if hdr[0] == Stderr {
				w = stderr
			}
			if w == nil {
				w = io.Discard
			}
			if _, err := io.CopyN(w, r, int64(n)); err != nil {
				return err
			}
		case Result:
			b := make([]byte, n)
			if _, err := io.ReadFull(r, b); err != nil {
				return err
			}
			var rf ResultFrame
			if err := json.Unmarshal(b, &rf); err != nil {
				return fmt.Errorf("decoding stream result: %w", err)
			}
			if rf.Error != nil {
				return rf.Error
			}
			if v != nil && len(rf.Value) > 0 {
				return json.Unmarshal(rf.Value, v)
			}
			return nil
		default:
			if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
				return err
			}
		}
	}
}
