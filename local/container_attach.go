package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/monitor"
	"github.com/selkie-containers/selkie/internal/state"
)

// attachSession is a connection to conmon's attach socket.
type attachSession struct {
	conn     *net.UnixConn
	bundle   string
	stdin    bool // the container's stdin is open (-i)
	terminal bool
}

func (e *Engine) dialAttach(c *state.Container) (*attachSession, error) {
	if c.Options.LogDriver == monitor.LogPassthrough {
		return nil, fmt.Errorf("cannot attach to a container using the passthrough log driver: %w", engine.ErrInvalidArg)
	}
	dir, err := e.ctrRunDir(c.ID)
	if err != nil {
		return nil, err
	}
	conn, err := monitor.DialAttach(dir)
	if err != nil {
		return nil, err
	}
	return &attachSession{conn: conn, bundle: dir, stdin: c.Options.Stdin, terminal: c.Options.Terminal}, nil
}

// stream copies the container's output to the streams and the streams'
// stdin to the container until the output ends, the user detaches
// (engine.ErrDetach) or ctx ends.
func (s *attachSession) stream(ctx context.Context, st *engine.Streams) error {
	defer s.conn.Close()
	if st == nil {
		st = &engine.Streams{}
	}
	stdout, stderr := st.Stdout, st.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	keysStr := st.DetachKeys
	if keysStr == "" {
		keysStr = monitor.DefaultDetachKeys
	} else if keysStr == "none" {
		keysStr = ""
	}
	keys, err := monitor.ParseDetachKeys(keysStr)
	if err != nil {
		return fmt.Errorf("%w: %w", err, engine.ErrInvalidArg)
	}
	outDone := make(chan error, 1)
	go func() { outDone <- monitor.CopyOutput(s.conn, stdout, stderr) }()
	detached := make(chan struct{})
	if st.Stdin != nil && s.stdin {
		go func() {
			err := monitor.CopyStdin(s.conn, st.Stdin, keys)
			if errors.Is(err, monitor.ErrDetach) {
				close(detached)
				return
			}
			// End of input: conmon closes the container's stdin.
			_ = s.conn.CloseWrite()
		}()
	}
	if st.Resize != nil {
		go func() {
			for sz := range st.Resize {
				_ = monitor.Resize(s.bundle, sz.Height, sz.Width)
			}
		}()
	}
	select {
	case err := <-outDone:
		return err
	case <-detached:
		return engine.ErrDetach
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ContainerAttach connects streams to a running container.
func (e *Engine) ContainerAttach(ctx context.Context, ref string, o engine.ContainerAttachOptions) error {
	c, err := e.lookupContainer(ctx, ref)
	if err != nil {
		return err
	}
	e.syncExit(c)
	if c.State.Status != state.StatusRunning && c.State.Status != state.StatusCreated {
		return fmt.Errorf("you can only attach to running containers: %w", engine.ErrCtrStateInvalid)
	}
	s, err := e.dialAttach(c)
	if err != nil {
		return err
	}
	e.ctrEvent(ctx, c, "attach")
	streams := o.Streams
	if o.NoStdin {
		streams.Stdin = nil
	}
	return s.stream(ctx, &streams)
}

// ContainerResize sends a terminal size to conmon.
func (e *Engine) ContainerResize(ctx context.Context, ref string, size engine.TerminalSize) error {
	c, err := e.lookupContainer(ctx, ref)
	if err != nil {
		return err
	}
	if !c.Options.Terminal {
		return fmt.Errorf("container %s does not have a terminal: %w", c.ID, engine.ErrCtrStateInvalid)
	}
	dir, err := e.ctrRunDir(c.ID)
	if err != nil {
		return err
	}
	return monitor.Resize(dir, size.Height, size.Width)
}
