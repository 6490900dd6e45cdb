package container

import (
	"github.com/selkie-containers/selkie/cli/command"
	"github.com/spf13/cobra"
)

func newRenameCommand(g *command.Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NAME",
		Short: "Rename an existing container",
		Long:  "The podman rename command allows you to rename an existing container",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			return eng.ContainerRename(cmd.Context(), args[0], args[1])
		},
	}
}
