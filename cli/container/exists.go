package container

import (
	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newExistsCommand(g *command.Globals) *cobra.Command {
	var o engine.ContainerExistsOptions
	cmd := &cobra.Command{
		Use:   "exists [options] CONTAINER",
		Short: "Check if a container exists in local storage",
		Long:  "If the named container exists in local storage, podman container exists exits with 0, otherwise the exit code will be 1.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			ok, err := eng.ContainerExists(cmd.Context(), args[0], o)
			if err != nil {
				return err
			}
			if !ok {
				return &command.ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.External, "external", false, "Check external storage containers as well as Podman containers")
	return cmd
}
