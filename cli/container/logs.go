package container

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
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
			var err error
			now := time.Now()
			if since != "" {
				if o.Since, err = parseLogTime(since, now); err != nil {
					return err
				}
			}
			if until != "" {
				if o.Until, err = parseLogTime(until, now); err != nil {
					return err
				}
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

// parseLogTime accepts RFC3339 (with or without nanoseconds), a date, a
// Unix timestamp, or a duration meaning "that long ago".
func parseLogTime(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02Z07:00", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	sec, frac, _ := strings.Cut(s, ".")
	if n, err := strconv.ParseInt(sec, 10, 64); err == nil {
		ns := int64(0)
		if frac != "" {
			f := (frac + "000000000")[:9]
			ns, _ = strconv.ParseInt(f, 10, 64)
		}
		return time.Unix(n, ns), nil
	}
	return time.Time{}, fmt.Errorf("invalid timestamp %q: %w", s, engine.ErrInvalidArg)
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
