package system

import (
	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

func newInfoCommand(g *command.Globals) *cobra.Command {
	var f string
	var debug bool
	cmd := &cobra.Command{
		Use:   "info [options]",
		Short: "Display selkie system information",
		Long: "Display information about the host, the current storage and the configured registries.\n\n" +
			"The default output is YAML; --format json prints JSON and --format '{{.Store.GraphRoot}}' applies a Go template.",
		Args: command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			info, err := eng.Info(cmd.Context())
			if err != nil {
				return err
			}
			info.Version = VersionReport()
			switch {
			case format.IsJSON(f):
				return format.JSONIndent(g.Stdout, info, "  ")
			case f != "":
				return format.WriteNamed(g.Stdout, "info", f, "", info, nil, true)
			}
			out, err := yaml.Marshal(info)
			if err != nil {
				return err
			}
			_, err = g.Stdout.Write(out)
			return err
		},
	}
	flags := cmd.Flags()
	flags.StringVarP(&f, "format", "f", "", "Change the output format to JSON or a Go template")
	flags.BoolVarP(&debug, "debug", "D", false, "Display additional debug information")
	_ = flags.MarkHidden("debug")
	return cmd
}
