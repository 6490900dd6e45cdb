// Package network holds the `network` noun: create, ls, inspect, rm, prune,
// exists, connect, disconnect, reload.
package network

import (
	"errors"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// Commands returns the top-level network command.
func Commands(g *command.Globals) []*cobra.Command {
	n := &cobra.Command{
		Use:   "network",
		Short: "Manage networks",
		Long:  "Manage networks",
		Args:  command.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	n.AddCommand(newCreateCommand(g), newListCommand(g), newInspectCommand(g), newRemoveCommand(g),
		newPruneCommand(g), newExistsCommand(g), newConnectCommand(g), newDisconnectCommand(g), newReloadCommand(g))
	return []*cobra.Command{n}
}

// exitCodeFor is Podman's network exit status: 1 for an unknown network,
// 2 for one in use, 125 otherwise.
func exitCodeFor(err error) int {
	switch {
	case errors.Is(err, engine.ErrNoSuchNetwork):
		return 1
	case errors.Is(err, engine.ErrNetworkInUse):
		return 2
	}
	return 125
}
