package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/monitor"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newRunCommand(g *command.Globals) *cobra.Command {
	var f CreateFlags
	var quiet bool
	cmd := &cobra.Command{
		Use:   "run [options] IMAGE [COMMAND [ARG...]]",
		Short: "Run a command in a new container",
		Long:  "Runs a command in a new container from the given image",
		Args:  command.MinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.Options(cmd.Flags(), args[0], args[1:])
			if err != nil {
				return err
			}
			o.CreateCommand = os.Args
			if err := monitor.CheckPreservedFDs(o.PreserveFDs); err != nil {
				return err
			}
			if !quiet {
				o.PullProgress = g.Stderr
			}
			return runContainer(cmd.Context(), g, &f, o)
		},
	}
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress output information when pulling images")
	AddCreateFlags(cmd.Flags(), &f, true, 10)
	return cmd
}

func runContainer(ctx context.Context, g *command.Globals, f *CreateFlags, o engine.ContainerCreateOptions) error {
	eng, err := g.Engine()
	if err != nil {
		return err
	}
	cid, err := OpenCIDFile(f.CIDFile)
	if err != nil {
		return err
	}
	rep, err := eng.ContainerCreate(ctx, o)
	if err != nil {
		cid.Abort()
		return err
	}
	if err := cid.Write(rep.ID); err != nil {
		return err
	}
	for _, w := range rep.Warnings {
		fmt.Fprintln(g.Stderr, w)
	}
	id := rep.ID
	// From here on the container exists: finish the job even when the
	// user interrupts (signals are proxied to the container instead).
	// Without --sig-proxy an interrupt ends the attach and leaves the
	// container running, as in Podman.
	userCtx := ctx
	ctx = context.WithoutCancel(ctx)
	attachCtx := ctx
	if !f.SigProxy && !o.Terminal {
		attachCtx = userCtx
	}
	removeOnError := func(err error) error {
		if o.Remove {
			_, _ = eng.ContainerRemove(ctx, id, engine.ContainerRemoveOptions{Force: true, Ignore: true})
		}
		return runtimeExit(g, err)
	}
	if f.Detach {
		if err := eng.ContainerStart(ctx, id, engine.ContainerStartOptions{}); err != nil {
			return removeOnError(err)
		}
		if err := writePidFile(ctx, eng, id, f.PidFile); err != nil {
			return err
		}
		fmt.Fprintln(g.Stdout, id)
		return nil
	}
	streams, restore, err := attachStreams(g, f, o.Terminal, o.Stdin)
	if err != nil {
		return removeOnError(err)
	}
	defer restore()
	stopProxy := proxySignals(ctx, eng, id, f.SigProxy && !o.Terminal)
	defer stopProxy()
	err = eng.ContainerStart(attachCtx, id, engine.ContainerStartOptions{Attach: streams})
	if attachCtx.Err() != nil {
		restore()
		return nil
	}
	if errors.Is(err, engine.ErrDetach) {
		restore()
		return nil
	}
	if err != nil {
		restore()
		return removeOnError(err)
	}
	if f.PidFile != "" {
		_ = writePidFile(ctx, eng, id, f.PidFile)
	}
	code, err := eng.ContainerWait(ctx, id, engine.ContainerWaitOptions{})
	restore()
	if o.Remove {
		if _, rerr := eng.ContainerRemove(ctx, id, engine.ContainerRemoveOptions{Force: true, Ignore: true}); rerr != nil && err == nil {
			fmt.Fprintln(g.Stderr, "Error:", rerr)
		}
	} else if err == nil {
		// Release the mounts now rather than when conmon's delayed cleanup runs.
		_ = eng.ContainerCleanup(ctx, id, engine.ContainerCleanupOptions{})
	}
	if o.RemoveImage {
		// --rmi, as Podman: remove (or just untag) the image after the run;
		// an image still in use is an error line, not the exit code.
		// conmon's cleanup (exit command --rmi) may have removed it first.
		if _, rerr := eng.ImageRemove(ctx, o.Image, engine.ImageRemoveOptions{}); rerr != nil && !errors.Is(rerr, engine.ErrNoSuchImage) {
			fmt.Fprintln(g.Stderr, "Error:", rerr)
		}
	}
	if err != nil {
		return err
	}
	if code != 0 {
		return &engine.ExitCodeError{Code: int(code)}
	}
	return nil
}

// runtimeExit turns "command not found" (127) and "not executable" (126)
// into Podman's exit codes, printing the error as main would.
func runtimeExit(g *command.Globals, err error) error {
	code := 0
	switch {
	case errors.Is(err, engine.ErrOCIRuntimeNotFound):
		code = 127
	case errors.Is(err, engine.ErrOCIRuntimePermissionDenied):
		code = 126
	default:
		return err
	}
	fmt.Fprintln(g.Stderr, "Error:", err)
	return &engine.ExitCodeError{Code: code}
}

// attachStreams builds the streams of an attached run/start: -a selects
// streams (default stdout and stderr, plus stdin with -i); with -t and a
// terminal on stdin, that terminal goes raw and its size follows SIGWINCH.
func attachStreams(g *command.Globals, f *CreateFlags, tty, stdin bool) (*engine.Streams, func(), error) {
	s := &engine.Streams{Stdout: g.Stdout, Stderr: g.Stderr, DetachKeys: f.DetachKeys}
	if stdin {
		s.Stdin = g.Stdin
	}
	if len(f.Attach) > 0 {
		s.Stdin, s.Stdout, s.Stderr = nil, nil, nil
		for _, a := range f.Attach {
			switch strings.ToLower(a) {
			case "stdin":
				s.Stdin = g.Stdin
			case "stdout":
				s.Stdout = g.Stdout
			case "stderr":
				s.Stderr = g.Stderr
			default:
				return nil, func() {}, fmt.Errorf("invalid stream %q for --attach - must be one of stdin, stdout, or stderr: %w", a, engine.ErrInvalidArg)
			}
		}
	}
	if s.DetachKeys == "" {
		s.DetachKeys = "none"
	}
	restore := func() {}
	if !tty {
		return s, restore, nil
	}
	in, ok := g.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return s, restore, nil
	}
	fd := int(in.Fd())
	if stdin {
		old, err := term.MakeRaw(fd)
		if err != nil {
			return nil, restore, err
		}
		var done bool
		restore = func() {
			if !done {
				done = true
				_ = term.Restore(fd, old)
			}
		}
	}
	sizes := make(chan engine.TerminalSize, 4)
	send := func() {
		if w, h, err := term.GetSize(fd); err == nil {
			select {
			case sizes <- engine.TerminalSize{Width: uint16(w), Height: uint16(h)}:
			default:
			}
		}
	}
	send()
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		for range winch {
			send()
		}
	}()
	s.Resize = sizes
	prev := restore
	restore = func() {
		signal.Stop(winch)
		prev()
	}
	return s, restore, nil
}

// proxySignals forwards the signals selkie receives to the container
// (--sig-proxy), except SIGCHLD, SIGPIPE, SIGURG and SIGWINCH.
func proxySignals(ctx context.Context, eng engine.Engine, id string, enabled bool) func() {
	if !enabled {
		return func() {}
	}
	ch := make(chan os.Signal, 8)
	signal.Notify(ch)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case s := <-ch:
				sig, ok := s.(syscall.Signal)
				if !ok || sig == syscall.SIGCHLD || sig == syscall.SIGPIPE || sig == syscall.SIGURG || sig == syscall.SIGWINCH {
					continue
				}
				_ = eng.ContainerKill(ctx, id, engine.ContainerKillOptions{Signal: strconv.Itoa(int(sig))})
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// writePidFile writes the container's PID to path (--pidfile).
func writePidFile(ctx context.Context, eng engine.Engine, id, path string) error {
	if path == "" {
		return nil
	}
	insp, err := eng.ContainerInspect(ctx, id, engine.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(strconv.Itoa(insp.State.Pid)), 0o644)
}

// allContainerIDs lists every container's ID (for --all).
func allContainerIDs(ctx context.Context, eng engine.Engine, runningOnly bool) ([]string, error) {
	list, err := eng.ContainerList(ctx, engine.ContainerListOptions{All: !runningOnly})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(list))
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// latestContainerID is --latest: the most recently created container.
func latestContainerID(ctx context.Context, eng engine.Engine) (string, error) {
	list, err := eng.ContainerList(ctx, engine.ContainerListOptions{All: true, Latest: true})
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "", fmt.Errorf("no containers to act on: %w", engine.ErrNoSuchContainer)
	}
	return list[0].ID, nil
}

// readCIDFiles returns the IDs stored in --cidfile files.
func readCIDFiles(files []string) ([]string, error) {
	var ids []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading CIDFile: %w", err)
		}
		ids = append(ids, strings.TrimSpace(string(data)))
	}
	return ids, nil
}

// filterTargets lists the IDs of the containers matching --filter values
// (key=value, as ps takes them).
func filterTargets(ctx context.Context, g *command.Globals, filters []string) ([]string, error) {
	m := map[string][]string{}
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("invalid filter %q, must be key=value: %w", f, engine.ErrInvalidArg)
		}
		m[k] = append(m[k], v)
	}
	eng, err := g.Engine()
	if err != nil {
		return nil, err
	}
	list, err := eng.ContainerList(ctx, engine.ContainerListOptions{All: true, Filters: m})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(list))
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// targets resolves the names a multi-container verb acts on.
func targets(ctx context.Context, g *command.Globals, args []string, all, latest bool, cidfiles []string, runningOnly bool) ([]string, error) {
	n := 0
	if len(args) > 0 {
		n++
	}
	if all {
		n++
	}
	if latest {
		n++
	}
	if len(cidfiles) > 0 {
		n++
	}
	if n > 1 {
		return nil, fmt.Errorf("--all, --latest, --cidfile and containers cannot be used together")
	}
	if n == 0 {
		return nil, fmt.Errorf("you must provide at least one container name or ID")
	}
	if len(cidfiles) > 0 {
		return readCIDFiles(cidfiles)
	}
	if !all && !latest {
		return args, nil
	}
	eng, err := g.Engine()
	if err != nil {
		return nil, err
	}
	if latest {
		id, err := latestContainerID(ctx, eng)
		if err != nil {
			return nil, err
		}
		return []string{id}, nil
	}
	return allContainerIDs(ctx, eng, runningOnly)
}
