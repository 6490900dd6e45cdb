package container

import (
	"context"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newPauseCommand(g *command.Globals) *cobra.Command {
	return pauseLike(g, "pause", "Pause all the processes in one or more containers",
		"Pauses one or more running containers.  The container name or ID can be used.",
		func(ctx context.Context, eng engine.Engine, name string) error { return eng.ContainerPause(ctx, name) })
}

func newUnpauseCommand(g *command.Globals) *cobra.Command {
	return pauseLike(g, "unpause", "Unpause the processes in one or more containers",
		"Unpauses one or more previously paused containers.  The container name or ID can be used.",
		func(ctx context.Context, eng engine.Engine, name string) error {
			return eng.ContainerUnpause(ctx, name)
		})
}

// pauseLike builds pause and unpause, which differ only in the engine call.
func pauseLike(g *command.Globals, use, short, long string, fn func(context.Context, engine.Engine, string) error) *cobra.Command {
	var (
		all, latest bool
		cidfiles    []string
	)
	cmd := &cobra.Command{
		Use:   use + " [options] CONTAINER [CONTAINER...]",
		Short: short,
		Long:  long,
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := verbTargets(cmd.Context(), g, args, all, latest, cidfiles, use == "pause")
			if err != nil {
				return err
			}
			return g.EachName(cmd.Context(), names, func(ctx context.Context, eng engine.Engine, name string) (string, error) {
				if err := fn(ctx, eng, name); err != nil {
					return "", err
				}
				return name, nil
			})
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&all, "all", "a", false, "Act on all containers")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	fs.StringArrayVar(&cidfiles, "cidfile", nil, "Read the container ID from the file")
	return cmd
}
