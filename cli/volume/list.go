package volume

import (
	"fmt"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

var listHeaders = format.Headers{"Name": "VOLUME NAME", "Driver": "DRIVER", "Mountpoint": "MOUNTPOINT",
	"Scope": "SCOPE", "CreatedAt": "CREATED AT", "Labels": "LABELS", "Options": "OPTIONS", "MountCount": "MOUNT COUNT"}

func newListCommand(g *command.Globals) *cobra.Command {
	var filters []string
	var userFormat string
	var noHeading, quiet bool
	cmd := &cobra.Command{
		Use:     "ls [options]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Long:    "List all available volumes. The output of the volumes can be filtered and the output format can be changed to JSON or a user specified Go template.",
		Args:    command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl, err := parseFilters(filters)
			if err != nil {
				return err
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			vs, err := eng.VolumeList(cmd.Context(), engine.VolumeListOptions{Filters: fl})
			if err != nil {
				return err
			}
			if quiet {
				for _, v := range vs {
					fmt.Fprintln(g.Stdout, v.Name)
				}
				return nil
			}
			if format.IsJSON(userFormat) {
				return format.JSONIndent(g.Stdout, vs, "  ")
			}
			if len(vs) == 0 {
				return nil
			}
			rows := make([]engine.Volume, 0, len(vs))
			for _, v := range vs {
				rows = append(rows, *v)
			}
			return format.WriteNamed(g.Stdout, "list", userFormat, "table {{.Driver}}\t{{.Name}}", rows, listHeaders, noHeading)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&filters, "filter", "f", nil, "Filter volume output")
	f.StringVar(&userFormat, "format", "", "Format volume output using JSON or a Go template")
	f.BoolVarP(&noHeading, "noheading", "n", false, "Do not print headers")
	f.BoolVarP(&quiet, "quiet", "q", false, "Print volume output in quiet mode")
	return cmd
}

func newInspectCommand(g *command.Globals) *cobra.Command {
	var f string
	var all bool
	cmd := &cobra.Command{
		Use:   "inspect [options] VOLUME [VOLUME...]",
		Short: "Display detailed information on one or more volumes",
		Long:  "Display detailed information on one or more volumes.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) > 0 && all) || (len(args) == 0 && !all) {
				return fmt.Errorf("provide one or more volume names or use --all")
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			if all {
				vs, err := eng.VolumeList(cmd.Context(), engine.VolumeListOptions{})
				if err != nil {
					return err
				}
				for _, v := range vs {
					args = append(args, v.Name)
				}
			}
			docs := []engine.Volume{}
			var errs []error
			for _, a := range args {
				v, err := eng.VolumeInspect(cmd.Context(), a)
				if err != nil {
					errs = append(errs, fmt.Errorf("no such volume %s", a))
					continue
				}
				docs = append(docs, *v)
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
	cmd.Flags().StringVarP(&f, "format", "f", "json", "Format volume output using Go template")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "Inspect all volumes")
	return cmd
}
