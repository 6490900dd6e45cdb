package image

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newPruneCommand(g *command.Globals) *cobra.Command {
	var o engine.ImagePruneOptions
	var force bool
	cmd := &cobra.Command{
		Use:   "prune [options]",
		Short: "Remove unused images",
		Long:  "Removes dangling or unused images from local storage.",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				what := "dangling images"
				if o.All {
					what = "all images not in use by containers"
				}
				fmt.Fprintf(g.Stdout, "WARNING! This command removes %s.\nAre you sure you want to continue? [y/N] ", what)
				answer, _ := bufio.NewReader(g.Stdin).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
					return nil
				}
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			rep, err := eng.ImagePrune(cmd.Context(), o)
			for _, r := range rep {
				fmt.Fprintln(g.Stdout, r.ID)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.All, "all", "a", false, "Remove all images not in use by containers, not just dangling ones")
	f.BoolVar(&o.All, "external", false, "Remove images even when they are used by external containers (e.g., by build containers)")
	_ = f.MarkHidden("external")
	f.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	f.StringArrayVar(&o.Filters, "filter", nil, "Provide filter values (e.g. 'label=<key>=<value>')")
	return cmd
}
