// Package image holds the image commands: the `image` noun with its
// subcommands and Podman's top-level verbs (pull, push, images, rmi, tag,
// untag, inspect, history, save, load, import, login, logout).
package image

import (
	"os"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Commands returns the top-level image commands.
func Commands(g *command.Globals) []*cobra.Command {
	img := &cobra.Command{
		Use:   "image",
		Short: "Manage images",
		Args:  command.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	list := newListCommand(g, "list")
	list.Aliases = []string{"ls"}
	rm := newRemoveCommand(g, "rm")
	img.AddCommand(
		newPullCommand(g), newPushCommand(g), list, rm, newTagCommand(g), newUntagCommand(g),
		newImageInspectCommand(g), newExistsCommand(g), newPruneCommand(g), newHistoryCommand(g),
		newSaveCommand(g), newLoadCommand(g), newImportCommand(g), newBuildCommand(g, "build"),
		newImageMountCommand(g), newImageUnmountCommand(g), newSearchCommand(g), newTreeCommand(g),
	)
	return []*cobra.Command{
		img,
		newPullCommand(g), newPushCommand(g), newListCommand(g, "images"), newRemoveCommand(g, "rmi"),
		newTagCommand(g), newUntagCommand(g), newHistoryCommand(g),
		newSaveCommand(g), newLoadCommand(g), newImportCommand(g), newLoginCommand(g), newLogoutCommand(g),
		newBuildCommand(g, "build"), newBuildxCommand(g), newSearchCommand(g),
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(f any) bool {
	if file, ok := f.(*os.File); ok {
		return term.IsTerminal(int(file.Fd()))
	}
	return false
}
