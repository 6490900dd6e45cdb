// Package events is Selkie's events log: Podman's "file" backend. Each event
// is one JSON line appended to events.log in the engine's tmp dir; appends take
// an fcntl lock on events.log.lock (as Podman does, so both can share the
// file) and are one write(2) on an O_APPEND descriptor, so a reader never sees
// half a line. When the file passes MaxSize its oldest half is dropped.
package events

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/timearg"
	"golang.org/x/sys/unix"
)

// DefaultMaxSize is Podman's events_logfile_max_size default (1 MB).
const DefaultMaxSize = 1_000_000

// Log is the events log at one path.
type Log struct {
	Path    string
	MaxSize int64
	// PollInterval is how often a streaming reader looks for new lines.
	PollInterval time.Duration
}

// New returns the log at dir/events/events.log.
func New(dir string) *Log {
	return &Log{Path: filepath.Join(dir, "events", "events.log"), MaxSize: DefaultMaxSize, PollInterval: 100 * time.Millisecond}
}

func (l *Log) lock() (func(), error) {
	if err := os.MkdirAll(filepath.Dir(l.Path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(l.Path+".lock", os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, err
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
	for {
		err = unix.FcntlFlock(f.Fd(), unix.F_SETLKW, &lk)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		lk.Type = unix.F_UNLCK
		_ = unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk)
		f.Close()
	}, nil
}

// Write appends ev (its Time set to now when zero).
func (l *Log) Write(ev engine.Event) error {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	line, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	unlock, err := l.lock()
	if err != nil {
		return err
	}
	defer unlock()
	f, err := os.OpenFile(l.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	if l.MaxSize > 0 {
		if st, err := f.Stat(); err == nil && st.Size()+int64(len(line)) > l.MaxSize {
			f.Close()
			if err := l.rotate(); err != nil {
				return err
			}
			if f, err = os.OpenFile(l.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_CLOEXEC, 0o600); err != nil {
				return err
			}
		}
	}
	_, err = f.Write(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// rotate keeps the newest half of the log (whole lines) and notes the
// rotation as a system event, as Podman does. Caller holds the lock.
func (l *Log) rotate() error {
	data, err := os.ReadFile(l.Path)
	if err != nil {
		return err
	}
	cut := len(data) / 2
	if i := bytes.IndexByte(data[cut:], '\n'); i >= 0 {
		cut += i + 1
	} else {
		cut = len(data)
	}
	rot, _ := json.Marshal(engine.Event{Type: engine.EventTypeSystem, Status: "log-rotation", Name: l.Path, Time: time.Now()})
	tmp, err := os.CreateTemp(filepath.Dir(l.Path), ".events-*.log")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(append(append([]byte{}, data[cut:]...), rot...), '\n'))
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), l.Path)
}

// ReadOptions selects what Read returns.
type ReadOptions struct {
	Since, Until time.Time
	Stream       bool
	Match        func(engine.Event) bool
}

// Read calls fn for each selected event. Without Stream it stops at the end
// of the log; with it, it follows the log (across rotations) until ctx ends
// or Until passes, and then returns nil.
func (l *Log) Read(ctx context.Context, o ReadOptions, fn func(engine.Event) error) error {
	poll := l.PollInterval
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	var (
		f       *os.File
		r       *bufio.Reader
		partial []byte
		ino     uint64
		off     int64
	)
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	open := func() error {
		nf, err := os.Open(l.Path)
		if err != nil {
			return err
		}
		if f != nil {
			f.Close()
		}
		f, r, partial, off = nf, bufio.NewReaderSize(nf, 64<<10), nil, 0
		if st, err := nf.Stat(); err == nil {
			ino = st.Sys().(*syscall.Stat_t).Ino
		}
		return nil
	}
	if err := open(); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	} else if err != nil && !o.Stream {
		return nil
	}
	// A stream without Since starts at the end: only new events.
	if f != nil && o.Stream && o.Since.IsZero() {
		if n, err := f.Seek(0, io.SeekEnd); err == nil {
			off = n
			r.Reset(f)
		}
	}
	for {
		if f != nil {
			for {
				chunk, err := r.ReadBytes('\n')
				off += int64(len(chunk))
				if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
					line := append(partial, chunk...)
					partial = nil
					var ev engine.Event
					if json.Unmarshal(line, &ev) != nil {
						continue
					}
					if !o.Until.IsZero() && ev.Time.After(o.Until) {
						continue
					}
					if !o.Since.IsZero() && ev.Time.Before(o.Since) {
						continue
					}
					if o.Match != nil && !o.Match(ev) {
						continue
					}
					if err := fn(ev); err != nil {
						return err
					}
					continue
				}
				partial = append(partial, chunk...)
				if err != nil && err != io.EOF {
					return err
				}
				break
			}
		}
		if !o.Stream {
			return nil
		}
		if !o.Until.IsZero() && time.Now().After(o.Until) {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(poll):
		}
		// Reopen after a rotation (new inode) or a truncation.
		st, err := os.Stat(l.Path)
		if err != nil {
			continue
		}
		if f == nil || st.Sys().(*syscall.Stat_t).Ino != ino || st.Size() < off {
			if err := open(); err != nil {
				continue
			}
		}
	}
}

// ParseTime parses a --since/--until value (see timearg.Parse); "" is the
// zero time.
func ParseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, ok := timearg.Parse(s, now); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q: %w", s, engine.ErrInvalidArg)
}

// Filter compiles "key=value" filters into a matcher: values of one key are
// ORed, different keys ANDed. Keys: type, container, image, event (status),
// label, pod, volume, network.
func Filter(filters []string) (func(engine.Event) bool, error) {
	byKey := map[string][]string{}
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("invalid filter %q: %w", f, engine.ErrInvalidArg)
		}
		k = strings.ToLower(k)
		switch k {
		case "status":
			k = "event"
		case "type", "container", "image", "event", "label", "pod", "volume", "network", "since", "until":
		default:
			return nil, fmt.Errorf("%s is an invalid filter: %w", k, engine.ErrInvalidArg)
		}
		byKey[k] = append(byKey[k], v)
	}
	if len(byKey) == 0 {
		return nil, nil
	}
	prefix := func(id, v string) bool { return v != "" && len(v) <= len(id) && id[:len(v)] == v }
	one := func(k, v string, ev engine.Event) bool {
		switch k {
		case "type":
			return ev.Type == v
		case "event":
			return ev.Status == v
		case "container":
			return ev.Type == engine.EventTypeContainer && (ev.Name == v || prefix(ev.ID, v))
		case "pod":
			return (ev.Type == engine.EventTypePod && (ev.Name == v || prefix(ev.ID, v))) || (ev.PodID != "" && prefix(ev.PodID, v))
		case "volume":
			return ev.Type == engine.EventTypeVolume && ev.Name == v
		case "network":
			return ev.Type == engine.EventTypeNetwork && (ev.Network == v || ev.Name == v || prefix(ev.ID, v))
		case "image":
			if ev.Type == engine.EventTypeImage {
				return ev.Name == v || prefix(ev.ID, v) || strings.TrimPrefix(ev.Name, "localhost/") == v
			}
			img := ev.Image
			return img == v || strings.TrimSuffix(img, ":latest") == v || strings.TrimPrefix(strings.TrimSuffix(img, ":latest"), "localhost/") == v || strings.TrimPrefix(img, "localhost/") == v
		case "label":
			lk, lv, hasV := strings.Cut(v, "=")
			got, ok := ev.Attributes[lk]
			return ok && (!hasV || got == lv)
		case "since", "until":
			return true
		}
		return false
	}
	return func(ev engine.Event) bool {
		for k, vs := range byKey {
			ok := false
			for _, v := range vs {
				if one(k, v, ev) {
					ok = true
					break
				}
			}
			if !ok {
				return false
			}
		}
		return true
	}, nil
}
