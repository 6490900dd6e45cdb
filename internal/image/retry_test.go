package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.podman.io/image/v5/docker"
)

func TestRetry(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	var out bytes.Buffer
	calls := 0
	err := retry(context.Background(), &out, 2, time.Millisecond, func() error { calls++; return refused })
	if !errors.Is(err, syscall.ECONNREFUSED) || calls != 3 || strings.Count(out.String(), "Failed, retrying in 1ms") != 2 {
		t.Fatalf("transient: err %v, %d calls, output %q", err, calls, out.String())
	}
	calls = 0
	permanent := docker.ErrUnauthorizedForCredentials{Err: errors.New("nope")}
	if err := retry(context.Background(), nil, 5, time.Millisecond, func() error { calls++; return permanent }); err == nil || calls != 1 {
		t.Fatalf("permanent errors must not be retried: %v after %d calls", err, calls)
	}
	calls = 0
	if err := retry(context.Background(), nil, 0, time.Millisecond, func() error { calls++; return refused }); err == nil || calls != 1 {
		t.Fatalf("--retry 0: %d calls", calls)
	}
	// Cancelled while waiting: stops at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_ = retry(ctx, nil, 3, time.Hour, func() error { return refused })
	if time.Since(start) > time.Second {
		t.Fatal("retry ignored cancellation")
	}
}

func TestIsRetryable(t *testing.T) {
	for err, want := range map[error]bool{
		&net.OpError{Err: syscall.ECONNREFUSED}:                    true,
		fmt.Errorf("x: %w", io.ErrUnexpectedEOF):                   true,
		docker.UnexpectedHTTPStatusError{StatusCode: 503}:          true,
		docker.UnexpectedHTTPStatusError{StatusCode: 404}:          false,
		docker.ErrUnauthorizedForCredentials{Err: errors.New("x")}: false,
		context.Canceled:               false,
		errors.New("manifest unknown"): false,
		&url.Error{Op: "Get", URL: "https://x/v2/", Err: errors.New("http: server gave HTTP response to HTTPS client")}: false,
		&net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}:                                       false,
	} {
		if got := isRetryable(err); got != want {
			t.Errorf("isRetryable(%v) = %v, want %v", err, got, want)
		}
	}
}

func TestParseCredsAndRegistryKey(t *testing.T) {
	if u, p, err := parseCreds("me:pa:ss"); err != nil || u != "me" || p != "pa:ss" {
		t.Fatalf("parseCreds: %q %q %v", u, p, err)
	}
	for _, bad := range []string{"", ":pw"} {
		if _, _, err := parseCreds(bad); err == nil {
			t.Errorf("parseCreds(%q) accepted", bad)
		}
	}
	for in, want := range map[string]string{"https://r.io/": "r.io", "docker://r.io/ns": "r.io/ns", "localhost:5000": "localhost:5000"} {
		if got := registryKey(in); got != want {
			t.Errorf("registryKey(%q) = %q", in, got)
		}
	}
}
