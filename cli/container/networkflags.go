package container

import (
	"fmt"
	"net"
	"strings"

	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/pflag"
)

// networkFlags are create/run's network selection flags: --network (any
// number of times), --network-alias, --ip, --ip6 and --mac-address. They
// become ContainerCreateOptions.Network (a mode, or one network) or
// .Networks (entries "name[:ip=…,mac=…,alias=…]", internal/network's syntax).
type networkFlags struct {
	networks []string
	aliases  []string
	ip, ip6  string
	mac      string
}

func (n *networkFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&n.networks, "network", nil, "Connect a container to a network")
	fs.StringArrayVar(&n.networks, "net", nil, "Connect a container to a network")
	_ = fs.MarkHidden("net")
	fs.StringArrayVar(&n.aliases, "network-alias", nil, "Add network-scoped alias for the container")
	fs.StringVar(&n.ip, "ip", "", "Specify a static IPv4 address for the container")
	fs.StringVar(&n.ip6, "ip6", "", "Specify a static IPv6 address for the container")
	fs.StringVar(&n.mac, "mac-address", "", "Container MAC address (e.g. 92:d0:c6:0a:29:33)")
}

func isSpecialMode(m string) bool {
	switch {
	case m == "none", m == "host", m == "private", m == "slirp4netns", m == "pasta",
		strings.HasPrefix(m, "container:"), strings.HasPrefix(m, "ns:"),
		strings.HasPrefix(m, "slirp4netns:"), strings.HasPrefix(m, "pasta:"):
		return true
	}
	return false
}

func (n *networkFlags) apply(o *engine.ContainerCreateOptions) error {
	var nets []string
	for _, v := range n.networks {
		if strings.Contains(v, ":") || isSpecialMode(v) {
			nets = append(nets, v)
			continue
		}
		nets = append(nets, strings.Split(v, ",")...)
	}
	var extra []string
	for _, ip := range []string{n.ip, n.ip6} {
		if ip == "" {
			continue
		}
		if net.ParseIP(ip) == nil {
			return fmt.Errorf("%s is not an ip address: %w", ip, engine.ErrInvalidArg)
		}
		extra = append(extra, "ip="+ip)
	}
	if n.mac != "" {
		if _, err := net.ParseMAC(n.mac); err != nil {
			return fmt.Errorf("invalid MAC address %q: %w", n.mac, engine.ErrInvalidArg)
		}
		extra = append(extra, "mac="+n.mac)
	}
	for _, a := range n.aliases {
		extra = append(extra, "alias="+a)
	}
	for _, m := range nets {
		if isSpecialMode(m) && len(nets) > 1 {
			return fmt.Errorf("cannot set multiple networks without bridge network mode, selected mode %s: %w", m, engine.ErrInvalidArg)
		}
	}
	switch {
	case len(nets) == 1 && isSpecialMode(nets[0]):
		if len(extra) > 0 && nets[0] != "private" {
			return fmt.Errorf("--ip, --ip6, --mac-address and --network-alias need a bridge network, not %q: %w", nets[0], engine.ErrInvalidArg)
		}
		o.Network = nets[0]
		return nil
	case len(extra) == 0 && len(nets) <= 1:
		if len(nets) == 1 {
			o.Network = nets[0]
		}
		return nil
	case len(extra) > 0 && len(nets) > 1:
		return fmt.Errorf("--ip, --ip6, --mac-address and --network-alias can only be set for a single network: %w", engine.ErrInvalidArg)
	}
	if len(nets) == 0 || nets[0] == "private" {
		nets = []string{"bridge"}
	}
	if len(extra) > 0 {
		sep := ":"
		if strings.Contains(nets[0], ":") {
			sep = ","
		}
		nets[0] += sep + strings.Join(extra, ",")
	}
	o.Network, o.Networks = "", nets
	return nil
}

// NetworkFlags registers create's network flags (--network, --ip, --ip6,
// --mac-address, --network-alias) on fs; the returned function fills
// o.Network / o.Networks from them (pod create uses it for the infra).
func NetworkFlags(fs *pflag.FlagSet) func(o *engine.ContainerCreateOptions) error {
	n := &networkFlags{}
	n.register(fs)
	return n.apply
}
