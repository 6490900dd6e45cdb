package network

import (
	"fmt"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newInspectCommand(g *command.Globals) *cobra.Command {
	var f string
	cmd := &cobra.Command{
		Use:   "inspect [options] NETWORK [NETWORK...]",
		Short: "Displays the raw network configuration for one or more networks.",
		Long:  "Displays the network configuration for one or more networks.",
		Args:  command.MinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			docs := []engine.Network{}
			var errs []error
			for _, a := range args {
				n, err := eng.NetworkInspect(cmd.Context(), a)
				if err != nil {
					errs = append(errs, fmt.Errorf("network %s: %w", a, err))
					continue
				}
				docs = append(docs, *n)
			}
			if format.IsJSON(f) || f == "" {
				if err := format.JSONIndent(g.Stdout, docs, "     "); err != nil {
					return err
				}
			} else if err := format.WriteNamed(g.Stdout, "inspect", f, "", docs, nil, true); err != nil {
				return err
			}
			if len(errs) == 0 {
				return nil
			}
			for _, e := range errs[:len(errs)-1] {
				fmt.Fprintln(g.Stderr, "Error:", e)
			}
			return fmt.Errorf("inspecting object: %w", errs[len(errs)-1])
		},
	}
	cmd.Flags().StringVarP(&f, "format", "f", "", "Pretty-print network to JSON or using a Go template")
	return cmd
}
