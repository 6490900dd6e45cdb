package container

import (
	"context"
	"errors"
	"fmt"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newStartCommand(g *command.Globals) *cobra.Command {
	var (
		attach, interactive, all, latest, sigProxy bool
		detachKeys                                 string
		filters                                    []string
	)
	cmd := &cobra.Command{
		Use:   "start [options] CONTAINER [CONTAINER...]",
		Short: "Start one or more containers",
		Long:  "Starts one or more containers.  The container name or ID can be used.",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var names []string
			var err error
			if len(filters) > 0 {
				if len(args) > 0 || all || latest {
					return fmt.Errorf("--filter takes no container names, --all or --latest")
				}
				names, err = filterTargets(ctx, g, filters)
			} else {
				names, err = targets(ctx, g, args, all, latest, nil, false)
			}
			if err != nil {
				return err
			}
			if attach || interactive {
				if len(names) != 1 {
					return fmt.Errorf("you cannot start and attach multiple containers at once")
				}
				return startAttached(ctx, g, names[0], interactive, sigProxy, detachKeys)
			}
			return g.EachName(ctx, names, func(ctx context.Context, eng engine.Engine, name string) (string, error) {
				if err := eng.ContainerStart(ctx, name, engine.ContainerStartOptions{}); err != nil {
					return "", runtimeExit(g, err)
				}
				return name, nil
			})
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&attach, "attach", "a", false, "Attach container's STDOUT and STDERR")
	fs.BoolVarP(&interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	fs.BoolVar(&all, "all", false, "Start all containers regardless of their state or configuration")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	fs.BoolVar(&sigProxy, "sig-proxy", false, "Proxy received signals to the process (default true if attaching, false otherwise)")
	fs.StringVar(&detachKeys, "detach-keys", "ctrl-p,ctrl-q", "Select the key sequence for detaching a container. Format is a single character `[a-Z]` or a comma separated sequence of `ctrl-<value>`, where `<value>` is one of: `a-z`, `@`, `^`, `[`, `\\`, `]`, `^` or `_`")
	fs.StringArrayVar(&filters, "filter", nil, "Filter output based on conditions given")
	return cmd
}

// startAttached is `start -a`: attach, start, wait, exit with the container's code.
func startAttached(ctx context.Context, g *command.Globals, name string, interactive, sigProxy bool, detachKeys string) error {
	eng, err := g.Engine()
	if err != nil {
		return err
	}
	insp, err := eng.ContainerInspect(ctx, name, engine.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	f := &CreateFlags{DetachKeys: detachKeys}
	streams, restore, err := attachStreams(g, f, insp.Config.Tty, interactive && insp.Config.OpenStdin)
	if err != nil {
		return err
	}
	defer restore()
	stop := proxySignals(ctx, eng, insp.ID, !insp.Config.Tty)
	defer stop()
	err = eng.ContainerStart(ctx, insp.ID, engine.ContainerStartOptions{Attach: streams})
	if errors.Is(err, engine.ErrDetach) {
		return nil
	}
	if err != nil {
		return runtimeExit(g, err)
	}
	code, err := eng.ContainerWait(ctx, insp.ID, engine.ContainerWaitOptions{})
	if err != nil {
		return err
	}
	if insp.HostConfig.AutoRemove {
		_, _ = eng.ContainerRemove(ctx, insp.ID, engine.ContainerRemoveOptions{Force: true, Ignore: true})
	} else {
		_ = eng.ContainerCleanup(ctx, insp.ID, engine.ContainerCleanupOptions{})
	}
	if code != 0 {
		return &engine.ExitCodeError{Code: int(code)}
	}
	return nil
}
