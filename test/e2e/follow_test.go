package e2e

import (
	"bufio"
	"context"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// followed is a long-running selkie command (logs -f, events) read line by
// line; it is killed when the test ends.
type followed struct {
	lines <-chan string
	done  chan error // cmd.Wait's result once the output has ended
}

func follow(t *testing.T, c *testenv.CLI, args ...string) *followed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := c.Command(ctx, args...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	f := &followed{lines: lines, done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		f.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cancel()
		go func() {
			for range lines {
			}
		}()
		<-f.done
	})
	return f
}

// next returns the command's next line, failing the test if the output
// ends or nothing comes within a minute.
func (f *followed) next(t *testing.T, what string) string {
	t.Helper()
	select {
	case l, ok := <-f.lines:
		if !ok {
			t.Fatalf("%s: output ended before %s", "followed command", what)
		}
		return l
	case <-time.After(60 * time.Second):
		t.Fatalf("followed command: no %s within a minute", what)
	}
	return ""
}

// end waits (a minute at most) for the command to end by itself, reading
// what is left, and returns its exit error.
func (f *followed) end(t *testing.T) error {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case _, ok := <-f.lines:
			if ok {
				continue
			}
			err := <-f.done
			f.done <- err // for the cleanup
			return err
		case <-deadline:
			t.Fatal("followed command did not end within a minute")
		}
	}
}
