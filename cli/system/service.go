package system

import (
	"fmt"
	"time"

	"github.com/selkie-containers/selkie/api"
	"github.com/selkie-containers/selkie/cli/command"
	"github.com/spf13/cobra"
)

// newServiceCommand is `selkie system service [--time N] [URI]`: the REST API
// (Docker-compatible and libpod-style) on a unix socket, a TCP address or a
// socket handed over by systemd, exiting after --time seconds idle.
func newServiceCommand(g *command.Globals) *cobra.Command {
	var idle int64
	cmd := &cobra.Command{
		Use:   "service [options] [URI]",
		Short: "Run API service",
		Long: "Run an API service: the Docker Engine API and Selkie's libpod API on URI " +
			"(unix:///path or tcp://host:port; default " + api.DefaultURI() + ", or the socket systemd passes).",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.Remote || g.URL != "" {
				return fmt.Errorf("cannot run the API service in remote mode")
			}
			if idle < 0 {
				return fmt.Errorf("--time must be 0 (never expire) or a positive number of seconds")
			}
			uri := api.DefaultURI()
			if len(args) == 1 {
				uri = args[0]
			}
			ln, err := api.Listen(uri)
			if err != nil {
				return err
			}
			defer ln.Close()
			if ln.Warning != "" {
				fmt.Fprintln(g.Stderr, ln.Warning)
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			tracker := api.NewIdleTracker(time.Duration(idle) * time.Second)
			h := api.NewServer(eng, api.Options{
				Version:  VersionReport(),
				Activity: tracker.Activity,
			})
			return api.Serve(cmd.Context(), ln, h, tracker)
		},
	}
	cmd.Flags().Int64VarP(&idle, "time", "t", 5, "Time until the service session expires in seconds. Use 0 to disable the timeout")
	cmd.Flags().String("cors", "", "Set CORS Headers")
	_ = cmd.Flags().MarkHidden("cors")
	return cmd
}
