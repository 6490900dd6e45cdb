package remote_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/api"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/remote"
)

var sentinels = []error{
	engine.ErrNoSuchContainer, engine.ErrNoSuchImage, engine.ErrNoSuchPod, engine.ErrNoSuchVolume,
	engine.ErrNoSuchNetwork, engine.ErrNoSuchExec, engine.ErrNameInUse, engine.ErrInvalidArg,
	engine.ErrCtrStateInvalid, engine.ErrImageInUse, engine.ErrAmbiguous, engine.ErrNotImplemented,
	engine.ErrCanceled,
}

// errEngine fails every call it answers with the sentinel named by the ID,
// after writing some output, so errors are checked on plain, streamed and
// hijacked routes.
type errEngine struct{ engine.Engine }

func pick(id string) error {
	for _, s := range sentinels {
		if s.Error() == id {
			return fmt.Errorf("doing %s: %w", id, s)
		}
	}
	if strings.HasPrefix(id, "exit") {
		var code int
		fmt.Sscanf(id, "exit%d", &code)
		return &engine.ExitCodeError{Code: code}
	}
	if id == "plain" {
		return errors.New("some plain failure")
	}
	return nil
}

func (errEngine) ContainerStop(ctx context.Context, id string, o engine.ContainerStopOptions) error {
	return pick(id)
}

func (errEngine) ImagePull(ctx context.Context, ref string, o engine.ImagePullOptions, w io.Writer) (engine.ImagePullReport, error) {
	fmt.Fprintln(w, "Trying to pull", ref)
	if err := pick(ref); err != nil {
		return engine.ImagePullReport{}, err
	}
	return engine.ImagePullReport{Images: []string{"abc"}}, nil
}

func (errEngine) ContainerAttach(ctx context.Context, id string, o engine.ContainerAttachOptions) error {
	if o.Stdin != nil && o.Stdout != nil {
		b, _ := io.ReadAll(o.Stdin)
		o.Stdout.Write(bytes.ToUpper(b))
	}
	if o.Stderr != nil {
		fmt.Fprint(o.Stderr, "err-output")
	}
	return pick(id)
}

func (errEngine) ExecStart(ctx context.Context, id string, o engine.ExecStartOptions) (int, error) {
	fmt.Fprint(o.Stdout, "exec-output")
	if err := pick(id); err != nil {
		return 0, err
	}
	return 42, nil
}

func (errEngine) ImageMount(ctx context.Context, name string) (string, error) {
	return "/mnt/" + name, pick(name)
}

func newClient(t *testing.T, eng engine.Engine) *remote.Client {
	t.Helper()
	srv := httptest.NewServer(api.NewServer(eng, api.Options{}))
	t.Cleanup(srv.Close)
	c, err := remote.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestErrorRoundTrip(t *testing.T) {
	c := newClient(t, errEngine{})
	ctx := context.Background()
	for _, s := range sentinels {
		t.Run(s.Error(), func(t *testing.T) {
			err := c.ContainerStop(ctx, s.Error(), engine.ContainerStopOptions{})
			if !errors.Is(err, s) {
				t.Fatalf("plain call: %v is not %v", err, s)
			}
			if want := "doing " + s.Error() + ": " + s.Error(); err.Error() != want {
				t.Fatalf("message %q, want %q", err.Error(), want)
			}
			for _, other := range sentinels {
				if other != s && errors.Is(err, other) {
					t.Fatalf("%v also matches %v", err, other)
				}
			}
			var progress bytes.Buffer
			_, err = c.ImagePull(ctx, s.Error(), engine.ImagePullOptions{}, &progress)
			if !errors.Is(err, s) || !strings.Contains(progress.String(), "Trying to pull") {
				t.Fatalf("streamed call: %v, progress %q", err, progress.String())
			}
			var out, errb bytes.Buffer
			err = c.ContainerAttach(ctx, s.Error(), engine.ContainerAttachOptions{Streams: engine.Streams{Stdin: strings.NewReader("hello"), Stdout: &out, Stderr: &errb}})
			if !errors.Is(err, s) || out.String() != "HELLO" || errb.String() != "err-output" {
				t.Fatalf("hijacked call: %v, stdout %q, stderr %q", err, out.String(), errb.String())
			}
		})
	}
	t.Run("exit code", func(t *testing.T) {
		err := c.ContainerStop(ctx, "exit3", engine.ContainerStopOptions{})
		var ee *engine.ExitCodeError
		if !errors.As(err, &ee) || ee.Code != 3 {
			t.Fatalf("%v does not carry exit code 3", err)
		}
	})
	t.Run("plain error", func(t *testing.T) {
		err := c.ContainerStop(ctx, "plain", engine.ContainerStopOptions{})
		if err == nil || err.Error() != "some plain failure" {
			t.Fatalf("%v", err)
		}
		for _, s := range sentinels {
			if errors.Is(err, s) {
				t.Fatalf("plain error matches %v", s)
			}
		}
	})
	t.Run("success", func(t *testing.T) {
		if err := c.ContainerStop(ctx, "fine", engine.ContainerStopOptions{}); err != nil {
			t.Fatal(err)
		}
		rep, err := c.ImagePull(ctx, "fine", engine.ImagePullOptions{}, nil)
		if err != nil || len(rep.Images) != 1 || rep.Images[0] != "abc" {
			t.Fatalf("%v %v", rep, err)
		}
		var out bytes.Buffer
		code, err := c.ExecStart(ctx, "fine", engine.ExecStartOptions{Streams: engine.Streams{Stdout: &out}})
		if err != nil || code != 42 || out.String() != "exec-output" {
			t.Fatalf("exec: %d %v %q", code, err, out.String())
		}
	})
	t.Run("names with slashes in the path", func(t *testing.T) {
		p, err := c.ImageMount(ctx, "localhost/some/image:tag")
		if err != nil || p != "/mnt/localhost/some/image:tag" {
			t.Fatalf("%q %v", p, err)
		}
		_, err = c.ImageMount(ctx, "no such image")
		if !errors.Is(err, engine.ErrNoSuchImage) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("unreachable service", func(t *testing.T) {
		c, _ := remote.New("unix:///nonexistent/selkie.sock")
		err := c.ContainerStop(ctx, "x", engine.ContainerStopOptions{})
		if err == nil || !strings.Contains(err.Error(), "unable to connect") {
			t.Fatalf("%v", err)
		}
	})
}
