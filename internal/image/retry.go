package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/docker/distribution/registry/api/errcode"
	"go.podman.io/image/v5/docker"
)

// retry runs op up to 1+maxRetry times while its error is transient
// (network errors, 5xx, 429). delay 0 means exponential back-off from 1 s.
// Each retry is announced on w as Podman does.
func retry(ctx context.Context, w io.Writer, maxRetry uint, delay time.Duration, op func() error) error {
	var err error
	for attempt := uint(0); ; attempt++ {
		err = op()
		if err == nil || attempt >= maxRetry || !isRetryable(err) {
			return err
		}
		d := delay
		if d == 0 {
			d = time.Second << attempt
		}
		if w != nil {
			fmt.Fprintf(w, "Failed, retrying in %s ... (%d/%d). Error: %v\n", d, attempt+1, maxRetry, err)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
	}
}

// isRetryable reports whether err is worth another attempt.
func isRetryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var unexpected docker.UnexpectedHTTPStatusError
	if errors.As(err, &unexpected) {
		return unexpected.StatusCode >= 500 || unexpected.StatusCode == 429
	}
	var ec errcode.Error
	if errors.As(err, &ec) {
		return ec.Code == errcode.ErrorCodeTooManyRequests || ec.Code == errcode.ErrorCodeUnavailable
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno == syscall.ECONNREFUSED || errno == syscall.ECONNRESET || errno == syscall.ECONNABORTED ||
			errno == syscall.EHOSTUNREACH || errno == syscall.ENETUNREACH || errno == syscall.ETIMEDOUT || errno == syscall.EPIPE
	}
	var operr *net.OpError
	if errors.As(err, &operr) {
		return operr.Op == "dial" || operr.Op == "read" || operr.Op == "write"
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return true
	}
	// TLS and protocol errors ("server gave HTTP response to HTTPS client",
	// unknown authority) do not heal by retrying.
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
