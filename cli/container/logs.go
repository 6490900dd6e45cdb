package container

import (
	"fmt"
	"io"
	"time"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/timearg"
	"github.com/spf13/cobra"
)

func newLogsCommand(g *command.Globals) *cobra.Command {
	var (
		o            engine.ContainerLogsOptions
		since, until string
		latest       bool
	)
	cmd := &cobra.Command{
		Use:   "logs [options] CONTAINER [CONTAINER...]",
		Short: "Fetch the logs of one or more containers",
		Long:  "Retrieves logs for one or more containers.",
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now()
			for _, v := range []struct {
				s string
				t *time.Time
			}{{since, &o.Since}, {until, &o.Until}} {
				if v.s == "" {
					continue
				}
				t, ok := timearg.Parse(v.s, now)
				if !ok {
					return fmt.Errorf("invalid timestamp %q: %w", v.s, engine.ErrInvalidArg)
				}
				*v.t = t
			}
			names, err := targets(cmd.Context(), g, args, false, latest, nil, false)
			if err != nil {
				return err
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			// As Podman: one container is never prefixed; several are
			// prefixed with their names (--names) or short IDs.
			multi := len(names) > 1
			o.Names = o.Names && multi
			for _, n := range names {
				lo := o
				lo.Stdout, lo.Stderr = g.Stdout, g.Stderr
				if multi && !o.Names {
					insp, err := eng.ContainerInspect(cmd.Context(), n, engine.ContainerInspectOptions{})
					if err != nil {
						return err
					}
					p := insp.ID[:12] + " "
					lo.Stdout = &prefixWriter{w: g.Stdout, prefix: p, bol: true}
					lo.Stderr = &prefixWriter{w: g.Stderr, prefix: p, bol: true}
				}
				if err := eng.ContainerLogs(cmd.Context(), n, lo); err != nil {
					return err
				}
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.Follow, "follow", "f", false, "Follow log output.  The default is false")
	fs.StringVar(&since, "since", "", "Show logs since TIMESTAMP")
	fs.StringVar(&until, "until", "", "Show logs until TIMESTAMP")
	fs.BoolVarP(&o.Timestamps, "timestamps", "t", false, "Output the timestamps in the log")
	fs.IntVar(&o.Tail, "tail", -1, "Output the specified number of LINES at the end of the logs.  Defaults to -1, which prints all lines")
	fs.BoolVarP(&o.Names, "names", "n", false, "Output the container name in the log")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	return cmd
}

// prefixWriter puts prefix at the start of every line.
type prefixWriter struct {
	w      io.Writer
	prefix string
	bol    bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	var out []byte
	for _, c := range b {
		if p.bol {
			out = append(out, p.prefix...)
			p.bol = false
		}
		out = append(out, c)
		if c == '\n' {
			p.bol = true
		}
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
