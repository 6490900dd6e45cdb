package network

import (
	"fmt"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newCreateCommand(g *command.Globals) *cobra.Command {
	var o engine.NetworkCreateOptions
	var labels, opts []string
	cmd := &cobra.Command{
		Use:   "create [options] [NAME]",
		Short: "Create networks for containers and pods",
		Long:  "create networks for containers and pods",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("accepts at most 1 arg(s), received %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Name = args[0]
			}
			var err error
			if o.Labels, err = keyValues(labels, false, "label"); err != nil {
				return err
			}
			if o.Options, err = keyValues(opts, true, "option"); err != nil {
				return err
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			n, err := eng.NetworkCreate(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.Stdout, n.Name)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Driver, "driver", "d", "bridge", "driver to manage the network")
	f.StringSliceVar(&o.Gateways, "gateway", nil, "IPv4 or IPv6 gateway for the subnet")
	f.BoolVar(&o.Internal, "internal", false, "restrict external access from this network")
	f.StringArrayVar(&o.IPRanges, "ip-range", nil, "allocate container IP from range")
	f.StringVar(&o.IPAMDriver, "ipam-driver", "", "IP Address Management Driver")
	f.BoolVar(&o.IPv6, "ipv6", false, "enable IPv6 networking")
	f.StringArrayVar(&labels, "label", nil, "set metadata on a network")
	f.StringArrayVarP(&opts, "opt", "o", nil, "Set driver specific options (default [])")
	f.StringArrayVar(&o.Subnets, "subnet", nil, "subnets in CIDR format")
	f.BoolVar(&o.DisableDNS, "disable-dns", false, "disable dns plugin")
	f.StringSliceVar(&o.DNSServers, "dns", nil, "DNS servers this network will use")
	f.StringVar(&o.InterfaceName, "interface-name", "", "interface name which is used by the driver")
	f.BoolVar(&o.Ignore, "ignore", false, "Don't fail if network already exists")
	return cmd
}

// keyValues parses k=v flags; a bare k is k="" unless needValue.
func keyValues(in []string, needValue bool, what string) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range in {
		k, v, ok := strings.Cut(kv, "=")
		if k == "" || (needValue && !ok) {
			return nil, fmt.Errorf("invalid %s %q: must be in the form key=value: %w", what, kv, engine.ErrInvalidArg)
		}
		out[k] = v
	}
	return out, nil
}
