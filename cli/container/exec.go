package container

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/monitor"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newExecCommand(g *command.Globals) *cobra.Command {
	var (
		o                           engine.ExecCreateOptions
		envs, envFiles              []string
		detach, interactive, latest bool
	)
	cmd := &cobra.Command{
		Use:   "exec [options] CONTAINER COMMAND [ARG...]",
		Short: "Run a process in a running container",
		Long:  "Run a process in a running container",
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.PreserveFDs > 0 && !detach {
				// Before this process opens fds of its own (as run).
				if err := monitor.CheckPreservedFDs(o.PreserveFDs); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			var ref string
			switch {
			case latest:
				if ref, err = latestID(ctx, eng); err != nil {
					return err
				}
			case len(args) == 0:
				return fmt.Errorf("exec requires the name or ID of a container or the --latest flag")
			default:
				ref, args = args[0], args[1:]
			}
			o.Command = args
			o.AttachStdin = interactive
			if o.Env, err = ParseEnv(envs, envFiles, os.LookupEnv, os.Environ); err != nil {
				return err
			}
			if detach && o.PreserveFDs > 0 {
				return errors.New("--detach and --preserve-fds cannot be used together")
			}
			id, err := eng.ExecCreate(ctx, ref, o)
			if err != nil {
				return err
			}
			if detach {
				if _, err := eng.ExecStart(ctx, id, engine.ExecStartOptions{Detach: true}); err != nil {
					return processExit(g, err)
				}
				fmt.Fprintln(g.Stdout, id)
				return nil
			}
			streams, restore, err := execStreams(g, o.Terminal, interactive, o.DetachKeys)
			if err != nil {
				return err
			}
			code, err := eng.ExecStart(ctx, id, engine.ExecStartOptions{Streams: *streams})
			restore()
			if errors.Is(err, engine.ErrDetach) {
				return nil
			}
			if err != nil {
				return processExit(g, err)
			}
			if code != 0 {
				return &engine.ExitCodeError{Code: code}
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.SetInterspersed(false)
	fs.BoolVarP(&detach, "detach", "d", false, "Run the exec session in detached mode (backgrounded)")
	fs.StringVar(&o.DetachKeys, "detach-keys", "", "Select the key sequence for detaching a container. Format is a single character [a-Z] or ctrl-<value> where <value> is one of: a-z, @, ^, [, , or _")
	fs.StringArrayVarP(&envs, "env", "e", nil, "Set environment variables")
	fs.StringSliceVar(&envFiles, "env-file", nil, "Read in a file of environment variables")
	fs.BoolVarP(&interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	fs.BoolVar(&o.Privileged, "privileged", false, "Give the process extended Linux capabilities inside the container.  The default is false")
	fs.BoolVarP(&o.Terminal, "tty", "t", false, "Allocate a pseudo-TTY. The default is false")
	fs.StringVarP(&o.User, "user", "u", "", "Sets the username or UID used and optionally the groupname or GID for the specified command")
	fs.UintVar(&o.PreserveFDs, "preserve-fds", 0, "Pass N additional file descriptors to the container")
	fs.StringVarP(&o.WorkDir, "workdir", "w", "", "Working directory inside the container")
	return cmd
}

// execStreams connects the caller's stdio; with -t on a terminal, stdin goes
// raw (with -i) and SIGWINCH sends the new size.
func execStreams(g *command.Globals, tty, stdin bool, detachKeys string) (*engine.Streams, func(), error) {
	s := &engine.Streams{Stdout: g.Stdout, Stderr: g.Stderr, DetachKeys: detachKeys}
	if stdin {
		s.Stdin = g.Stdin
	}
	restore := func() {}
	in, ok := g.Stdin.(*os.File)
	if !tty || !ok || !term.IsTerminal(int(in.Fd())) {
		return s, restore, nil
	}
	fd := int(in.Fd())
	if stdin {
		old, err := term.MakeRaw(fd)
		if err != nil {
			return nil, restore, err
		}
		restore = func() { _ = term.Restore(fd, old) }
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
	return s, func() { signal.Stop(winch); prev() }, nil
}
