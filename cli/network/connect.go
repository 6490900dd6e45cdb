package network

import (
	"context"
	"errors"
	"net"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newConnectCommand(g *command.Globals) *cobra.Command {
	var o engine.NetworkConnectOptions
	var ip, ip6 net.IP
	cmd := &cobra.Command{
		Use:   "connect [options] NETWORK CONTAINER",
		Short: "Add container to a network",
		Long:  "Add container to a network",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Container = args[1]
			for _, a := range []net.IP{ip, ip6} {
				if a != nil {
					o.StaticIPs = append(o.StaticIPs, a.String())
				}
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			return eng.NetworkConnect(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Aliases, "alias", nil, "network scoped alias for container")
	f.IPVar(&ip, "ip", nil, "set a static ipv4 address for this container network")
	f.IPVar(&ip6, "ip6", nil, "set a static ipv6 address for this container network")
	f.StringVar(&o.StaticMAC, "mac-address", "", "set a static mac address for this container network")
	return cmd
}

func newDisconnectCommand(g *command.Globals) *cobra.Command {
	var o engine.NetworkDisconnectOptions
	cmd := &cobra.Command{
		Use:   "disconnect [options] NETWORK CONTAINER",
		Short: "Disconnect a container from a network",
		Long:  "Remove container from a network",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Container = args[1]
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			return eng.NetworkDisconnect(cmd.Context(), args[0], o)
		},
	}
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "force removal of container from network")
	return cmd
}

func newReloadCommand(g *command.Globals) *cobra.Command {
	var all, latest bool
	cmd := &cobra.Command{
		Use:   "reload [options] [CONTAINER...]",
		Short: "Reload firewall rules for one or more containers",
		Long:  "reload container networks, recreating firewall rules",
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) && !latest {
				return errors.New("either --all or container names must be given, but not both")
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			names := args
			if all || latest {
				cs, err := eng.ContainerList(cmd.Context(), engine.ContainerListOptions{Latest: latest})
				if err != nil {
					return err
				}
				names = nil
				for _, c := range cs {
					names = append(names, c.ID)
				}
			}
			return g.EachName(cmd.Context(), names, func(ctx context.Context, eng engine.Engine, name string) (string, error) {
				return eng.NetworkReload(ctx, name)
			})
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "Reload network configuration of all containers")
	cmd.Flags().BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	return cmd
}
