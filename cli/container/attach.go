package container

import (
	"context"
	"errors"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newAttachCommand(g *command.Globals) *cobra.Command {
	var (
		detachKeys      string
		noStdin, latest bool
		sigProxy        bool
	)
	cmd := &cobra.Command{
		Use:   "attach [options] CONTAINER",
		Short: "Attach to a running container",
		Long:  "The podman attach command allows you to attach to a running container using the container's ID or name, either to view its ongoing output or to control it interactively.",
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := targets(cmd.Context(), g, args, false, latest, nil, false)
			if err != nil {
				return err
			}
			if len(names) != 1 {
				return errors.New("attach requires the name or id of one running container or the latest flag")
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			insp, err := eng.ContainerInspect(cmd.Context(), names[0], engine.ContainerInspectOptions{})
			if err != nil {
				return err
			}
			ctx := context.WithoutCancel(cmd.Context())
			f := &CreateFlags{DetachKeys: detachKeys}
			streams, restore, err := attachStreams(g, f, insp.Config.Tty, insp.Config.OpenStdin && !noStdin)
			if err != nil {
				return err
			}
			defer restore()
			stop := proxySignals(ctx, eng, insp.ID, sigProxy && !insp.Config.Tty)
			defer stop()
			err = eng.ContainerAttach(ctx, insp.ID, engine.ContainerAttachOptions{Streams: *streams, NoStdin: noStdin})
			if errors.Is(err, engine.ErrDetach) {
				return nil
			}
			if err != nil {
				return err
			}
			code, err := eng.ContainerWait(ctx, insp.ID, engine.ContainerWaitOptions{})
			if err != nil {
				return err
			}
			if code != 0 {
				return &engine.ExitCodeError{Code: int(code)}
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&detachKeys, "detach-keys", "ctrl-p,ctrl-q", "Select the key sequence for detaching a container. Format is a single character `[a-Z]` or a comma separated sequence of `ctrl-<value>`, where `<value>` is one of: `a-z`, `@`, `^`, `[`, `\\`, `]`, `^` or `_`")
	fs.BoolVar(&noStdin, "no-stdin", false, "Do not attach STDIN. The default is false")
	fs.BoolVar(&sigProxy, "sig-proxy", true, "Proxy received signals to the process")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	return cmd
}
