// Package api is Selkie's REST service: one net/http ServeMux carrying the
// Docker Engine API (api/compat) and the libpod-style API that
// `selkie --remote` speaks (api/libpod), both calling engine.Engine.
package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/selkie-containers/selkie/api/compat"
	"github.com/selkie-containers/selkie/api/libpod"
	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

// Options configures NewServer.
type Options struct {
	// Version describes the binary serving (for /version and /info).
	Version engine.VersionReport
	// Log receives request and error logs; nil is silent.
	Log *slog.Logger
	// Activity, when set, is called with +1 when a request starts and -1
	// when it ends (hijacked streams included), for the idle timeout.
	Activity func(delta int)
}

// NewServer returns the handler serving both APIs for eng.
func NewServer(eng engine.Engine, o Options) http.Handler {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	libpod.Register(mux, eng)
	compat.Register(mux, eng, compat.Options{Version: o.Version})
	return &server{mux: mux, o: o}
}

type server struct {
	mux *http.ServeMux
	o   Options
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.o.Activity != nil {
		s.o.Activity(1)
		defer s.o.Activity(-1)
	}
	if err := stripVersion(r); err != nil {
		wire.WriteError(w, err)
		return
	}
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		// unknown route or method: answer with a JSON body, as Docker does
		rec := &statusOnly{header: http.Header{}}
		h.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 || status == http.StatusOK {
			status = http.StatusNotFound
		}
		if status == http.StatusMethodNotAllowed {
			if a := rec.header.Get("Allow"); a != "" {
				w.Header().Set("Allow", a)
			}
			wire.WriteError(w, wire.StatusError(status, fmt.Sprintf("method %s not allowed for %s", r.Method, r.URL.Path)))
			return
		}
		wire.WriteError(w, wire.StatusError(status, fmt.Sprintf("page not found: %s %s", r.Method, r.URL.Path)))
		return
	}
	s.o.Log.Debug("api request", "method", r.Method, "path", r.URL.Path)
	s.mux.ServeHTTP(w, r) // sets the path values; Handler above does not

}

// statusOnly captures the status of the mux's own 404/405 answer.
type statusOnly struct {
	header http.Header
	status int
}

func (s *statusOnly) Header() http.Header         { return s.header }
func (s *statusOnly) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusOnly) WriteHeader(code int)        { s.status = code }

// stripVersion removes a leading /vX.Y[.Z] segment. Docker paths accept
// every version from 1.12 up; libpod paths take /v2+ (Podman's /v4.0.0).
func stripVersion(r *http.Request) error {
	p := r.URL.Path
	if len(p) < 3 || p[0] != '/' || p[1] != 'v' || p[2] < '0' || p[2] > '9' {
		return nil
	}
	seg, rest, _ := strings.Cut(p[1:], "/")
	if !versionOK(seg[1:]) {
		return wire.StatusError(http.StatusBadRequest, fmt.Sprintf("unsupported API version %q: this server accepts 1.12 to %s and libpod 4.x/5.x", seg, compat.APIVersion))
	}
	r.URL.Path = "/" + rest
	if raw := r.URL.RawPath; raw != "" {
		// keep escaped slashes (%2F) inside one segment
		_, rawRest, _ := strings.Cut(raw[1:], "/")
		r.URL.RawPath = "/" + rawRest
	}
	return nil
}

func versionOK(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return false
		}
		nums[i] = n
	}
	switch {
	case nums[0] == 1:
		return nums[1] >= 12 && len(parts) == 2
	case nums[0] >= 2 && nums[0] <= 9:
		return true
	}
	return false
}

// IdleTracker counts active requests and calls Idle once no request has been
// active for the timeout. A zero timeout never fires.
type IdleTracker struct {
	mu      sync.Mutex
	active  int
	timeout time.Duration
	timer   *time.Timer
	idle    chan struct{}
	once    sync.Once
}

// NewIdleTracker starts the idle clock now.
func NewIdleTracker(timeout time.Duration) *IdleTracker {
	t := &IdleTracker{timeout: timeout, idle: make(chan struct{})}
	if timeout > 0 {
		t.timer = time.AfterFunc(timeout, t.fire)
	}
	return t
}

// Activity is Options.Activity.
func (t *IdleTracker) Activity(delta int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.active += delta
	if t.timer == nil {
		return
	}
	if t.active > 0 {
		t.timer.Stop()
	} else {
		t.timer.Reset(t.timeout)
	}
}

func (t *IdleTracker) fire() {
	t.mu.Lock()
	busy := t.active > 0
	t.mu.Unlock()
	if !busy {
		t.once.Do(func() { close(t.idle) })
	}
}

// Idle is closed when the service has been idle for the timeout.
func (t *IdleTracker) Idle() <-chan struct{} { return t.idle }
