package container

import (
	"context"
	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newExistsCommand(g *command.Globals) *cobra.Command {
	var o engine.ContainerExistsOptions
	cmd := command.ExistsCommand(g, "exists [options] CONTAINER", "Check if a container exists in local storage",
		"If the named container exists in local storage, podman container exists exits with 0, otherwise the exit code will be 1.",
		func(ctx context.Context, eng engine.Engine, name string) (bool, error) {
			return eng.ContainerExists(ctx, name, o)
		})
	cmd.Flags().BoolVar(&o.External, "external", false, "Check external storage containers as well as Podman containers")
	return cmd
}
