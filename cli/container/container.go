// Package container holds the container commands: the `container` noun with
// its verbs, and Podman's top-level aliases (create, ps, rm, …).
package container

import (
	"fmt"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/spf13/cobra"
)

// verb is one container command. topLevel also registers it at the root
// (`selkie rm` as well as `selkie container rm`); aliases apply only under
// the `container` noun (`container ls` for ps).
type verb struct {
	build    func(g *command.Globals) *cobra.Command
	topLevel bool
	aliases  []string
}

// verbs lists every container command, one line each. Add yours here.
func verbs() []verb {
	return []verb{
		{build: newCreateCommand, topLevel: true},
		{build: newPsCommand, topLevel: true, aliases: []string{"ls", "list"}},
		{build: newInspectCommand},
		{build: newRmCommand, topLevel: true},
		{build: newRenameCommand, topLevel: true},
		{build: newExistsCommand},
		{build: newPruneCommand},
		{build: newRunCommand, topLevel: true},
		{build: newStartCommand, topLevel: true},
		{build: newStopCommand, topLevel: true},
		{build: newKillCommand, topLevel: true},
		{build: newRestartCommand, topLevel: true},
		{build: newLogsCommand, topLevel: true},
		{build: newAttachCommand, topLevel: true},
		{build: newWaitCommand, topLevel: true},
		{build: newInitCommand, topLevel: true},
		{build: newCleanupCommand},
		{build: newPauseCommand, topLevel: true},
		{build: newUnpauseCommand, topLevel: true},
		{build: newTopCommand, topLevel: true},
		{build: newStatsCommand, topLevel: true},
		{build: newMountCommand, topLevel: true},
		{build: newUnmountCommand, topLevel: true},
		{build: newDiffCommand, topLevel: true},
		{build: newExportCommand, topLevel: true},
		{build: newPortCommand, topLevel: true},
		{build: newExecCommand, topLevel: true},
		{build: newUpdateCommand, topLevel: true},
		{build: newCpCommand, topLevel: true},
		{build: newCommitCommand, topLevel: true},
		// E2: exec top stats pause unpause update mount unmount diff export commit port
	}
}

// Commands returns the `container` noun command and the top-level verbs.
func Commands(g *command.Globals) []*cobra.Command {
	noun := &cobra.Command{
		Use:   "container",
		Short: "Manage containers",
		Long:  "Manage containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unrecognized command `%s %s`\nTry '%s --help' for more information", cmd.CommandPath(), args[0], cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
	out := []*cobra.Command{noun}
	for _, v := range verbs() {
		sub := v.build(g)
		sub.Aliases = append(sub.Aliases, v.aliases...)
		noun.AddCommand(sub)
		if v.topLevel {
			out = append(out, v.build(g))
		}
	}
	return out
}
