// Package system holds the engine-wide commands: version, info and the
// `system` noun.
package system

import (
	"github.com/selkie-containers/selkie/cli/command"
	"github.com/spf13/cobra"
)

// Commands returns the top-level system commands: `version`, `info` and the
// `system` noun (whose verbs are listed here, one line each).
func Commands(g *command.Globals) []*cobra.Command {
	sys := &cobra.Command{
		Use:   "system",
		Short: "Manage selkie",
		Long:  "Manage selkie: show information about the host and the store, and run the API service.",
	}
	sys.AddCommand(
		newInfoCommand(g),
		newServiceCommand(g),
		newMigrateCommand(g),
		newResetCommand(g),
		newEventsCommand(g),
		newDfCommand(g),
		newPruneCommand(g),
	)
	return []*cobra.Command{newVersionCommand(g), newInfoCommand(g), newUnshareCommand(g), newEventsCommand(g), sys}
}
