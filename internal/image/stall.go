package image

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/types"
)

// errStalled is the cause of a copy cancelled by the stall guard.
var errStalled = errors.New("registry stalled")

// stallGuard cancels a registry copy that makes no progress for a while:
// containers/image bounds only dialing and TLS handshakes, so a registry
// that accepts a connection and never answers would hang a pull forever.
// Progress is any blob event; once every blob started has finished (the
// store is committing), the guard stands down.
type stallGuard struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	ch     chan types.ProgressProperties
	done   chan struct{}
	wg     sync.WaitGroup
}

// guardCopy arms a guard on co for timeout (no guard when timeout <= 0).
// The returned stop must be called after copy.Image returns.
func guardCopy(ctx context.Context, co *copy.Options, timeout time.Duration) (context.Context, func(err error) error) {
	if timeout <= 0 {
		return ctx, func(err error) error { return err }
	}
	g := &stallGuard{ch: make(chan types.ProgressProperties, 16), done: make(chan struct{})}
	g.ctx, g.cancel = context.WithCancelCause(ctx)
	co.Progress = g.ch
	co.ProgressInterval = time.Second
	events := make(chan bool, 1) // true: a transfer is in flight
	g.wg.Add(2)
	go func() { // drain: containers/image sends synchronously
		defer g.wg.Done()
		open := 0
		for {
			select {
			case p := <-g.ch:
				switch p.Event {
				case types.ProgressEventNewArtifact:
					open++
				case types.ProgressEventDone, types.ProgressEventSkipped:
					open--
				}
				select { // keep only the latest state
				case <-events:
				default:
				}
				events <- open > 0
			case <-g.done:
				return
			}
		}
	}()
	go func() {
		defer g.wg.Done()
		t := time.NewTimer(timeout)
		defer t.Stop()
		idle := false // true once all started transfers are done
		for {
			select {
			case inFlight := <-events:
				idle = !inFlight
				t.Reset(timeout)
			case <-t.C:
				if !idle {
					g.cancel(errStalled)
					return
				}
				t.Reset(timeout)
			case <-g.done:
				return
			}
		}
	}()
	return g.ctx, func(err error) error {
		close(g.done)
		g.wg.Wait()
		stalled := errors.Is(context.Cause(g.ctx), errStalled)
		g.cancel(nil)
		if err != nil && stalled {
			return fmt.Errorf("no progress for %s: %w", timeout, errStalled)
		}
		return err
	}
}
