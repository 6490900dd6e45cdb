package system

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newEventsCommand(g *command.Globals) *cobra.Command {
	var o engine.EventsOptions
	var userFormat string
	noTrunc := true
	cmd := &cobra.Command{
		Use:   "events [options]",
		Short: "Show selkie system events",
		Long:  "Monitor selkie system events.\n\n  By default, streaming mode is used, printing new events as they occur.  Previous events can be listed via --since and --until.",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var print func(engine.Event) error
			switch {
			case format.IsJSON(userFormat):
				print = func(ev engine.Event) error { return format.JSONLine(g.Stdout, ev) }
			case userFormat != "":
				tmpl, err := format.Parse("events", userFormat)
				if err != nil {
					return err
				}
				print = func(ev engine.Event) error {
					if err := tmpl.Execute(g.Stdout, ev); err != nil {
						return err
					}
					_, err := io.WriteString(g.Stdout, "\n")
					return err
				}
			default:
				print = func(ev engine.Event) error {
					_, err := fmt.Fprintln(g.Stdout, humanEvent(ev, !noTrunc))
					return err
				}
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			return eng.Events(cmd.Context(), o, print)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.Filters, "filter", "f", nil, "filter output")
	f.StringVar(&userFormat, "format", "", "format the output using a Go template")
	f.StringVar(&o.Since, "since", "", "show all events created since timestamp")
	f.StringVar(&o.Until, "until", "", "show all events until timestamp")
	f.BoolVar(&o.Stream, "stream", true, "stream events and do not exit when returning the last known event")
	f.BoolVar(&noTrunc, "no-trunc", true, "do not truncate the output")
	return cmd
}

// humanEvent is Podman's Event.ToHumanReadable (attributes sorted).
func humanEvent(e engine.Event, truncate bool) string {
	id := e.ID
	if truncate && len(id) > 12 {
		id = id[:12]
	}
	switch e.Type {
	case engine.EventTypeContainer, engine.EventTypePod:
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s %s %s (image=%s, name=%s", e.Time, e.Type, e.Status, id, e.Image, e.Name)
		if e.PodID != "" {
			fmt.Fprintf(&b, ", pod_id=%s", e.PodID)
		}
		keys := make([]string, 0, len(e.Attributes))
		for k := range e.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, ", %s=%s", k, e.Attributes[k])
		}
		b.WriteString(")")
		return b.String()
	case engine.EventTypeNetwork:
		return fmt.Sprintf("%s %s %s %s (container=%s, name=%s)", e.Time, e.Type, e.Status, id, id, e.Network)
	case engine.EventTypeImage:
		return fmt.Sprintf("%s %s %s %s %s", e.Time, e.Type, e.Status, id, e.Name)
	case engine.EventTypeSystem:
		if e.Name != "" {
			return fmt.Sprintf("%s %s %s %s", e.Time, e.Type, e.Status, e.Name)
		}
		return fmt.Sprintf("%s %s %s", e.Time, e.Type, e.Status)
	default:
		return fmt.Sprintf("%s %s %s %s", e.Time, e.Type, e.Status, e.Name)
	}
}
