package container

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/spf13/cobra"
)

// topDescriptors are the descriptors --list-descriptors prints (psgo's set).
var topDescriptors = []string{"args", "capamb", "capbnd", "capeff", "capinh", "capprm", "comm", "etime", "gid", "group", "groups", "hgroup", "hgroups", "hpid", "huid", "huser", "label", "nice", "pcpu", "pgid", "pid", "ppid", "rgroup", "rss", "ruser", "seccomp", "state", "stime", "time", "tty", "uid", "user", "vsz"}

func newTopCommand(g *command.Globals) *cobra.Command {
	var latest, list bool
	cmd := &cobra.Command{
		Use:   "top [options] CONTAINER [FORMAT-DESCRIPTORS|ARGS...]",
		Short: "Display the running processes of a container",
		Long:  "Display the running processes of a container.\n\n  The top command extends the ps(1) compatible AIX descriptors with container-specific ones as shown below.  In the absence of user-specified descriptors, the default format will be shown.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				fmt.Fprintln(g.Stdout, strings.Join(topDescriptors, "\n"))
				return nil
			}
			ctx := cmd.Context()
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			var ref string
			switch {
			case latest:
				if ref, err = latestID(ctx, eng); err != nil {
					return err
				}
			case len(args) == 0:
				return fmt.Errorf("you must provide the name or id of a running container")
			default:
				ref, args = args[0], args[1:]
			}
			rows, err := eng.ContainerTop(ctx, ref, args)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(g.Stdout, 12, 2, 2, ' ', 0)
			for _, r := range rows {
				fmt.Fprintln(tw, strings.Join(r, "\t"))
			}
			return tw.Flush()
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	fs.BoolVar(&list, "list-descriptors", false, "")
	_ = fs.MarkHidden("list-descriptors")
	return cmd
}
