package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// background starts selkie args with a deadline; the returned function waits
// for it and returns its stdout and whether it ended in time.
func background(t *testing.T, c *testenv.CLI, d time.Duration, args ...string) (done <-chan struct{}, result func() (string, bool)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	cmd := c.Command(ctx, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	ch := make(chan struct{})
	go func() { cmd.Wait(); close(ch) }()
	t.Cleanup(func() { cancel(); <-ch })
	return ch, func() (string, bool) {
		<-ch
		inTime := ctx.Err() == nil
		cancel()
		return out.String(), inTime
	}
}

// wait on a created (never started) container answers at once with 0, as
// Podman 4.3.1 does; once it has run, wait gives that run's exit code.
func TestContainerWaitCreated(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	id := c.Must(t, "create", "--network", "none", "bb", "sh", "-c", "exit 3")
	_, result := background(t, c, 10*time.Second, "wait", id)
	if out, ok := result(); !ok || strings.TrimSpace(out) != "0" {
		t.Fatalf("wait on a created container: %q (in time: %v), want 0 at once", out, ok)
	}
	c.Must(t, "start", id)
	if out := c.Must(t, "wait", id); out != "3" {
		t.Fatalf("wait after start: %q, want 3", out)
	}
	c.Must(t, "rm", id)
}

// logs -f ends when the container goes away even though its exit file was
// removed before the follower saw it (rm -f of a running container).
func TestContainerLogsFollowEndsOnRemoval(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	for i := 0; i < 2; i++ {
		id := c.Must(t, "run", "-d", "--network", "none", "bb", "sh", "-c", "echo hello; sleep 100")
		verbsWaitFor(t, func() bool { return strings.Contains(c.Must(t, "logs", id), "hello") })
		_, result := background(t, c, 20*time.Second, "logs", "-f", id)
		time.Sleep(300 * time.Millisecond)
		c.Must(t, "rm", "-f", "-t", "0", id)
		if out, ok := result(); !ok || !strings.Contains(out, "hello") {
			t.Fatalf("logs -f after rm -f: %q (ended in time: %v)", out, ok)
		}
	}
}

// restart of a detached --rm container keeps it: the stopped run's cleanup
// (with its removal) must not remove the restarted container.
func TestContainerRestartRm(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	id := c.Must(t, "run", "-d", "--rm", "--network", "none", "bb", "sleep", "100")
	for i := 0; i < 3; i++ {
		c.Must(t, "restart", "-t", "0", id)
		time.Sleep(500 * time.Millisecond) // the old conmon's cleanup --rm has run
		if st := c.Must(t, "inspect", "--format", "{{.State.Status}}", id); st != "running" {
			t.Fatalf("after restart %d: status %q", i, st)
		}
	}
	c.Must(t, "stop", "-t", "0", id)
	verbsWaitFor(t, func() bool { return c.Run("container", "exists", id).ExitCode == 1 })
}
