package container

import (
	"context"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newKillCommand(g *command.Globals) *cobra.Command {
	var (
		all, latest bool
		cidfiles    []string
		signal      string
	)
	cmd := &cobra.Command{
		Use:   "kill [options] CONTAINER [CONTAINER...]",
		Short: "Kill one or more running containers with a specific signal",
		Long:  "The main process inside each container specified will be sent SIGKILL, or any signal specified with option --signal.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := ParseSignal(signal); err != nil {
				return err
			}
			names, err := targets(cmd.Context(), g, args, all, latest, cidfiles, true)
			if err != nil {
				return err
			}
			return g.EachName(cmd.Context(), names, func(ctx context.Context, eng engine.Engine, name string) (string, error) {
				if err := eng.ContainerKill(ctx, name, engine.ContainerKillOptions{Signal: signal}); err != nil {
					return "", err
				}
				return name, nil
			})
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&all, "all", "a", false, "Signal all running containers")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	fs.StringArrayVar(&cidfiles, "cidfile", nil, "Read the container ID from the file")
	fs.StringVarP(&signal, "signal", "s", "KILL", "Signal to send to the container")
	return cmd
}
