package container

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newPortCommand(g *command.Globals) *cobra.Command {
	var all, latest bool
	cmd := &cobra.Command{
		Use:   "port [options] CONTAINER [PORT]",
		Short: "List port mappings or a specific mapping for the container",
		Long:  "List port mappings for the CONTAINER, or look up the public-facing port that is NAT-ed to the PRIVATE_PORT",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			var refs []string
			var want string
			switch {
			case all:
				if len(args) > 1 {
					return fmt.Errorf("the -a/--all flag takes at most one port argument")
				}
				if refs, err = listIDs(ctx, eng, true); err != nil {
					return err
				}
				if len(args) == 1 {
					want = args[0]
				}
			case latest:
				id, err := latestID(ctx, eng)
				if err != nil {
					return err
				}
				refs = []string{id}
				if len(args) > 0 {
					want = args[0]
				}
			case len(args) == 0:
				return fmt.Errorf("you must supply a running container name or id")
			default:
				refs = args[:1]
				if len(args) > 1 {
					want = args[1]
				}
			}
			wantPort, wantProto, err := parsePortArg(want)
			if err != nil {
				return err
			}
			for _, ref := range refs {
				if err := printPorts(ctx, g, eng, ref, all, want, wantPort, wantProto); err != nil {
					return err
				}
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&all, "all", "a", false, "Display port information for all containers")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	return cmd
}

// parsePortArg splits "80" or "80/udp" (tcp when no protocol is given).
func parsePortArg(s string) (uint16, string, error) {
	if s == "" {
		return 0, "", nil
	}
	p, proto, ok := strings.Cut(s, "/")
	if !ok {
		proto = "tcp"
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return 0, "", fmt.Errorf("unable to parse %q as a port: %w", s, engine.ErrInvalidArg)
	}
	return uint16(n), proto, nil
}

func printPorts(ctx context.Context, g *command.Globals, eng engine.Engine, ref string, all bool, want string, port uint16, proto string) error {
	ports, err := eng.ContainerPort(ctx, ref)
	if err != nil {
		return err
	}
	prefix := ""
	if all {
		prefix = portShortID(ref) + "\t"
	}
	found := false
	for _, m := range ports {
		hostIP := m.HostIP
		if hostIP == "" {
			hostIP = "0.0.0.0"
		}
		n := m.Range
		if n == 0 {
			n = 1
		}
		for _, pr := range strings.Split(m.Protocol, ",") {
			if pr == "" {
				pr = "tcp"
			}
			if want == "" {
				for i := uint16(0); i < n; i++ {
					fmt.Fprintf(g.Stdout, "%s%d/%s -> %s:%d\n", prefix, m.ContainerPort+i, pr, hostIP, m.HostPort+i)
				}
				continue
			}
			if pr == proto && port >= m.ContainerPort && port < m.ContainerPort+n {
				fmt.Fprintf(g.Stdout, "%s:%d\n", hostIP, m.HostPort+(port-m.ContainerPort))
				found = true
			}
		}
	}
	if want != "" && !found {
		return fmt.Errorf("failed to find published port %q", want)
	}
	return nil
}

func portShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
