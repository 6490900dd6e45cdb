package network

import (
	"fmt"
	"sort"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// listRow is one `network ls` line with Podman's template fields.
type listRow struct {
	engine.Network
	noTrunc bool
}

func (r listRow) ID() string {
	if !r.noTrunc && len(r.Network.ID) > 12 {
		return r.Network.ID[:12]
	}
	return r.Network.ID
}

func (r listRow) Labels() string {
	var l []string
	for k, v := range r.Network.Labels {
		l = append(l, k+"="+v)
	}
	sort.Strings(l)
	return strings.Join(l, ",")
}

var listHeaders = format.Headers{"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Labels": "LABELS",
	"IPv6Enabled": "IPV6", "DNSEnabled": "DNS", "Internal": "INTERNAL", "NetworkInterface": "NETWORK INTERFACE", "Created": "CREATED"}

func newListCommand(g *command.Globals) *cobra.Command {
	var filters []string
	var userFormat string
	var noTrunc, noHeading, quiet bool
	cmd := &cobra.Command{
		Use:     "ls [options]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Long:    "List networks",
		Args:    command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o := engine.NetworkListOptions{Filters: map[string][]string{}}
			for _, f := range filters {
				k, v, ok := strings.Cut(f, "=")
				if !ok {
					return fmt.Errorf("invalid filter %q", f)
				}
				o.Filters[k] = append(o.Filters[k], v)
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			nets, err := eng.NetworkList(cmd.Context(), o)
			if err != nil {
				return err
			}
			if quiet {
				for _, n := range nets {
					fmt.Fprintln(g.Stdout, n.Name)
				}
				return nil
			}
			if format.IsJSON(userFormat) {
				return format.JSONIndent(g.Stdout, nets, "  ")
			}
			rows := make([]listRow, 0, len(nets))
			for _, n := range nets {
				rows = append(rows, listRow{Network: n, noTrunc: noTrunc})
			}
			return format.WriteNamed(g.Stdout, "list", userFormat, "table {{.ID}}\t{{.Name}}\t{{.Driver}}", rows, listHeaders, noHeading)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&filters, "filter", "f", nil, "Provide filter values (e.g. 'name=podman')")
	f.StringVar(&userFormat, "format", "", "Pretty-print networks to JSON or using a Go template")
	f.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate the network ID")
	f.BoolVar(&noHeading, "noheading", false, "Do not print headers")
	f.BoolVarP(&quiet, "quiet", "q", false, "display only names")
	return cmd
}
