package system

import (
	"fmt"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// newUnshareCommand is `selkie unshare [COMMAND [ARG...]]`: run a command
// in the rootless user and mount namespace (where the store's files have
// their container owners), $SHELL by default.
func newUnshareCommand(g *command.Globals) *cobra.Command {
	var rootlessNetns bool
	cmd := &cobra.Command{
		Use:   "unshare [options] [COMMAND [ARG...]]",
		Short: "Run a command in a modified user namespace",
		Long:  "Runs a command in a modified user namespace.",
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := g.Unshare(cmd.Context(), args, rootlessNetns)
			if err != nil {
				return err
			}
			if code != 0 {
				return &command.ExitError{Code: code}
			}
			return nil
		},
	}
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().BoolVar(&rootlessNetns, "rootless-netns", false, "Join the rootless network namespace used for CNI and netavark networking")
	return cmd
}

// newMigrateCommand is `selkie system migrate`: after a change to
// /etc/subuid, /etc/subgid or the configuration, stop the running
// containers and end the rootless pause process, so that the next command
// builds the user namespace afresh.
func newMigrateCommand(g *command.Globals) *cobra.Command {
	var newRuntime string
	cmd := &cobra.Command{
		Use:   "migrate [options]",
		Short: "Migrate containers",
		Long:  "Migrate containers to the latest version of the engine and, rootless, restart the user namespace.",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if newRuntime != "" {
				return fmt.Errorf("--new-runtime is not supported")
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			list, err := eng.ContainerList(cmd.Context(), engineListRunning())
			if err != nil {
				return err
			}
			for _, c := range list {
				if err := eng.ContainerStop(cmd.Context(), c.ID, engineStopIgnore()); err != nil {
					fmt.Fprintf(g.Stderr, "Error: stopping container %s: %v\n", c.ID, err)
				}
			}
			return g.MigratePause()
		},
	}
	cmd.Flags().StringVar(&newRuntime, "new-runtime", "", "Specify a new runtime for all containers")
	return cmd
}

func engineListRunning() engine.ContainerListOptions { return engine.ContainerListOptions{} }

func engineStopIgnore() engine.ContainerStopOptions { return engine.ContainerStopOptions{Ignore: true} }
