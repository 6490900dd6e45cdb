package container

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newPruneCommand(g *command.Globals) *cobra.Command {
	var (
		force   bool
		filters []string
	)
	cmd := &cobra.Command{
		Use:   "prune [options]",
		Short: "Remove all non running containers",
		Long:  "podman container prune\n\n  Removes all non running containers",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fm, err := ParseFilters(filters)
			if err != nil {
				return err
			}
			for k := range fm {
				switch k {
				case "label", "label!", "until":
				default:
					return fmt.Errorf("%s is an invalid filter", k)
				}
			}
			if !force {
				fmt.Fprint(g.Stdout, "WARNING! This will remove all non running containers.\nAre you sure you want to continue? [y/N] ")
				ans, _ := bufio.NewReader(g.Stdin).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(ans)); a != "y" && a != "yes" {
					return nil
				}
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			l, err := eng.ContainerList(ctx, engine.ContainerListOptions{All: true, Filters: fm})
			if err != nil {
				return err
			}
			var last error
			for _, c := range l {
				switch c.State {
				case "running", "paused", "stopping", "removing":
					continue
				}
				rep, err := eng.ContainerRemove(ctx, c.ID, engine.ContainerRemoveOptions{Ignore: true})
				if err != nil {
					if last != nil {
						fmt.Fprintln(g.Stderr, "Error:", last)
					}
					last = err
					continue
				}
				for _, id := range rep.Removed {
					fmt.Fprintln(g.Stdout, id)
				}
			}
			return last
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation.  The default is false")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, "Provide filter values (e.g. 'label=<key>=<value>')")
	return cmd
}
