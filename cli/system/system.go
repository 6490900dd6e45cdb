// Package system holds the engine-wide commands: version, info and the
// `system` noun.
package system

import (
	"fmt"
	"runtime"
	"time"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// Version is the engine version printed by `selkie version`.
var Version = "0.1.0-dev"

// APIVersion is the libpod-style API version Selkie speaks.
const APIVersion = "4.3.1"

// Commands returns the top-level system commands.
func Commands(g *command.Globals) []*cobra.Command {
	sys := &cobra.Command{
		Use:   "system",
		Short: "Manage selkie",
		Args:  command.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	sys.AddCommand(newInfoCommand(g))
	return []*cobra.Command{newVersionCommand(g), newInfoCommand(g), sys}
}

// VersionReport describes this binary.
func VersionReport() engine.VersionReport {
	return engine.VersionReport{
		Version:    Version,
		APIVersion: APIVersion,
		GoVersion:  runtime.Version(),
		BuiltTime:  time.Unix(0, 0).Format(time.ANSIC),
		OsArch:     runtime.GOOS + "/" + runtime.GOARCH,
		Os:         runtime.GOOS,
	}
}

func newVersionCommand(g *command.Globals) *cobra.Command {
	var f string
	cmd := &cobra.Command{
		Use:   "version [options]",
		Short: "Display the selkie version information",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := VersionReport()
			if f != "" {
				if format.IsJSON(f) {
					return format.JSON(g.Stdout, struct {
						Client engine.VersionReport `json:"Client"`
					}{v})
				}
				return format.Write(g.Stdout, f, "", struct{ Client engine.VersionReport }{v}, nil, true)
			}
			fmt.Fprintf(g.Stdout, "Client:       Selkie Engine\nVersion:      %s\nAPI Version:  %s\nGo Version:   %s\nBuilt:        %s\nOS/Arch:      %s\n",
				v.Version, v.APIVersion, v.GoVersion, v.BuiltTime, v.OsArch)
			return nil
		},
	}
	cmd.Flags().StringVarP(&f, "format", "f", "", "Change the output format to JSON or a Go template")
	return cmd
}

func newInfoCommand(g *command.Globals) *cobra.Command {
	var f string
	cmd := &cobra.Command{
		Use:   "info [options]",
		Short: "Display selkie system information",
		Args:  command.NoArgs,
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
			if f == "" || format.IsJSON(f) {
				// Podman prints YAML by default; JSON carries the same tree.
				return format.JSON(g.Stdout, info)
			}
			return format.Write(g.Stdout, f, "", info, nil, true)
		},
	}
	cmd.Flags().StringVarP(&f, "format", "f", "", "Change the output format to JSON or a Go template")
	return cmd
}
