package system

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// Version is the engine version, set at link time with
// -ldflags "-X github.com/selkie-containers/selkie/cli/system.Version=…".
var Version = "0.1.0-dev"

// APIVersion is the libpod-style API version Selkie speaks.
const APIVersion = "4.3.1"

// VersionReport describes this binary. It reads only the binary's own build
// information: no configuration, no store.
func VersionReport() engine.VersionReport {
	v := engine.VersionReport{
		Version:    Version,
		APIVersion: APIVersion,
		GoVersion:  runtime.Version(),
		OsArch:     runtime.GOOS + "/" + runtime.GOARCH,
		Os:         runtime.GOOS,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.GitCommit = s.Value
			case "vcs.time":
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					v.Built = t.Unix()
				}
			}
		}
	}
	v.BuiltTime = time.Unix(v.Built, 0).Format(time.ANSIC)
	return v
}

// clientVersion is what `version` templates see: {{.Client.Version}}.
type clientVersion struct {
	Client engine.VersionReport `json:"Client"`
}

func newVersionCommand(g *command.Globals) *cobra.Command {
	var f string
	cmd := &cobra.Command{
		Use:   "version [options]",
		Short: "Display the Selkie version information",
		Long:  "Display the version of this selkie binary: its version, the API version it speaks, the Go version and the build.",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := clientVersion{Client: VersionReport()}
			switch {
			case format.IsJSON(f):
				return format.JSONLine(g.Stdout, v)
			case f != "":
				return format.WriteNamed(g.Stdout, "version", f, "", v, nil, true)
			}
			c := v.Client
			_, err := fmt.Fprintf(g.Stdout, "Client:       Selkie Engine\nVersion:      %s\nAPI Version:  %s\nGo Version:   %s\n", c.Version, c.APIVersion, c.GoVersion)
			if err != nil {
				return err
			}
			if c.GitCommit != "" {
				fmt.Fprintf(g.Stdout, "Git Commit:   %s\n", c.GitCommit)
			}
			_, err = fmt.Fprintf(g.Stdout, "Built:        %s\nOS/Arch:      %s\n", c.BuiltTime, c.OsArch)
			return err
		},
	}
	cmd.Flags().StringVarP(&f, "format", "f", "", "Change the output format to JSON or a Go template")
	return cmd
}
