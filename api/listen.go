package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
)

// DefaultURI is the socket `system service` listens on without a URI:
// /run/selkie/selkie.sock for root, $XDG_RUNTIME_DIR/selkie/selkie.sock otherwise.
func DefaultURI() string {
	if os.Geteuid() == 0 {
		return "unix:///run/selkie/selkie.sock"
	}
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), fmt.Sprintf("selkie-run-%d", os.Geteuid()))
	}
	return "unix://" + filepath.Join(dir, "selkie", "selkie.sock")
}

// Listener is what Listen returns: the listener plus what the caller should
// tell the user (e.g. the unauthenticated TCP warning).
type Listener struct {
	net.Listener
	// Warning is non-empty for tcp:// (no TLS, no authentication).
	Warning string
	// Activated is true when the listener came from systemd (LISTEN_FDS).
	Activated bool
}

// Listen opens uri: unix:///path (mode 0600, parent 0700 when created) or
// tcp://host:port. Socket activation (LISTEN_FDS for this PID) wins over uri,
// and the LISTEN_* variables are removed from the environment so containers
// started by the service never inherit them.
func Listen(uri string) (*Listener, error) {
	if ls, err := activated(); err != nil || ls != nil {
		return ls, err
	}
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("invalid service URI %q: %w", uri, err)
	}
	switch u.Scheme {
	case "unix":
		path := u.Path
		if path == "" {
			path = u.Opaque
		}
		if path == "" {
			return nil, fmt.Errorf("invalid service URI %q: no socket path", uri)
		}
		return listenUnix(path)
	case "tcp":
		if u.Host == "" || strings.HasPrefix(u.Host, ":") {
			return nil, fmt.Errorf("invalid service URI %q: give an explicit host (e.g. tcp://127.0.0.1:8080); selkie never listens on all interfaces implicitly", uri)
		}
		ln, err := net.Listen("tcp", u.Host)
		if err != nil {
			return nil, err
		}
		return &Listener{Listener: ln, Warning: "Using the Selkie API service with TCP sockets is not recommended, please see `selkie system service` manpage for details"}, nil
	default:
		return nil, fmt.Errorf("API Service endpoint scheme %q is not supported. Try tcp://%s or unix:/%s", u.Scheme, u.Host, u.Path)
	}
}

func listenUnix(path string) (*Listener, error) {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
			c.Close()
			return nil, fmt.Errorf("another service is already listening on %s", path)
		}
		_ = os.Remove(path)
	}
	// Create the socket with no access for group/other from the start, so
	// there is no window in which it is world-connectable.
	old := umask(0o177)
	ln, err := net.Listen("unix", path)
	umask(old)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	return &Listener{Listener: ln}, nil
}

func activated() (*Listener, error) {
	if os.Getenv("LISTEN_FDS") == "" {
		return nil, nil
	}
	defer func() {
		for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
			os.Unsetenv(k)
		}
	}()
	lns, err := activation.Listeners()
	if err != nil {
		return nil, fmt.Errorf("socket activation: %w", err)
	}
	for _, ln := range lns {
		if ln != nil {
			return &Listener{Listener: ln, Activated: true}, nil
		}
	}
	return nil, nil
}

// Serve serves h on ln until ctx is done or the service has been idle for
// idleTimeout (0: never), then shuts down, letting open requests finish for
// a short while. h must have been built with tracker.Activity.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, tracker *IdleTracker) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    1 << 20,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	case <-tracker.Idle():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	return err
}
