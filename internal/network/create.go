package network

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/vishvananda/netlink"
)

// subnetPools are where Podman looks for a free /24 when --subnet is not given.
var subnetPools = []string{"10.89.0.0/16", "10.90.0.0/15", "10.92.0.0/14", "10.96.0.0/11", "10.128.0.0/9"}

// build turns create options into a definition, validating everything first
// so that nothing is written for bad input.
func (m *Manager) build(o engine.NetworkCreateOptions, nets map[string]engine.Network) (engine.Network, error) {
	name := o.Name
	if name == "" {
		name = nextFree(nets, func(n engine.Network) string { return n.Name }, nil)
	} else if !nameRE.MatchString(name) {
		return engine.Network{}, invalid("network name %s invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name)
	}
	driver := o.Driver
	if driver == "" {
		driver = "bridge"
	}
	if driver != "bridge" && driver != "macvlan" && driver != "ipvlan" {
		return engine.Network{}, invalid("unsupported driver %s", driver)
	}
	n := engine.Network{
		Name: name, ID: randomID(), Driver: driver, Created: time.Now(),
		IPv6Enabled: o.IPv6, Internal: o.Internal,
		Labels: nonEmpty(o.Labels), Options: nonEmpty(o.Options),
		IPAMOptions: map[string]string{"driver": "host-local"},
	}
	if err := validateOptions(driver, n.Options); err != nil {
		return engine.Network{}, err
	}
	switch o.IPAMDriver {
	case "", "host-local":
	case "none":
		n.IPAMOptions["driver"] = "none"
	default:
		return engine.Network{}, invalid("unsupported ipam driver %q", o.IPAMDriver)
	}
	for _, d := range o.DNSServers {
		if net.ParseIP(d) == nil {
			return engine.Network{}, invalid("%s is not an ip address", d)
		}
	}
	n.NetworkDNS = o.DNSServers
	switch driver {
	case "bridge":
		n.DNSEnabled = !o.DisableDNS
		n.NetworkInterface = o.InterfaceName
		if n.NetworkInterface == "" {
			n.NetworkInterface = nextFree(nets, func(n engine.Network) string {
				if n.Driver == "bridge" {
					return n.NetworkInterface
				}
				return ""
			}, hostInterfaces())
		} else if !nameRE.MatchString(n.NetworkInterface) || len(n.NetworkInterface) > 15 {
			return engine.Network{}, invalid("interface name %s invalid", n.NetworkInterface)
		} else if l, err := netlink.LinkByName(n.NetworkInterface); err == nil && l.Type() != "bridge" {
			// netavark would enslave container veths to whatever this is.
			return engine.Network{}, invalid("interface name %s is already used on the host by a %s interface", n.NetworkInterface, l.Type())
		}
	default:
		parent := n.Options["parent"]
		if parent == "" {
			parent = o.InterfaceName
		}
		if parent != "" {
			if _, err := net.InterfaceByName(parent); err != nil {
				return engine.Network{}, invalid("parent interface %s does not exist", parent)
			}
			n.NetworkInterface = parent
			delete(n.Options, "parent")
			if len(n.Options) == 0 {
				n.Options = nil
			}
		}
		if len(o.Subnets) == 0 && n.IPAMOptions["driver"] != "none" {
			return engine.Network{}, invalid("%s driver needs at least one subnet specified, DHCP is not yet supported with netavark", driver)
		}
	}
	if n.IPAMOptions["driver"] == "none" {
		return n, nil
	}
	subnets, err := buildSubnets(o, &n, usedSubnets(nets))
	if err != nil {
		return engine.Network{}, err
	}
	n.Subnets = subnets
	return n, nil
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// nextFree returns the lowest podmanN (N ≥ 1) that no network and no host
// interface uses.
func nextFree(nets map[string]engine.Network, field func(engine.Network) string, extra []string) string {
	used := map[string]bool{}
	for _, n := range nets {
		used[field(n)] = true
	}
	for _, e := range extra {
		used[e] = true
	}
	for i := 1; ; i++ {
		c := "podman" + strconv.Itoa(i)
		if !used[c] {
			return c
		}
	}
}

func hostInterfaces() []string {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(ifs))
	for _, i := range ifs {
		out = append(out, i.Name)
	}
	return out
}

func validateOptions(driver string, opts map[string]string) error {
	for k, v := range opts {
		var ok bool
		switch driver {
		case "bridge":
			ok = k == "mtu" || k == "vlan" || k == "isolate" || k == "metric" || k == "com.docker.network.bridge.name"
		case "macvlan":
			ok = k == "mtu" || k == "mode" || k == "parent" || k == "metric"
		case "ipvlan":
			ok = k == "mtu" || k == "mode" || k == "parent" || k == "metric"
		}
		if !ok {
			return fmt.Errorf("unsupported %s network option %s", driver, k)
		}
		switch k {
		case "mtu", "metric":
			if _, err := strconv.ParseUint(v, 10, 32); err != nil {
				return invalid("%s %q must be a positive integer", k, v)
			}
		case "vlan":
			if i, err := strconv.Atoi(v); err != nil || i < 0 || i > 4094 {
				return invalid("vlan ID %s must be between 0 and 4094", v)
			}
		case "isolate":
			if v != "true" && v != "false" && v != "strict" {
				return invalid("isolate option %q must be true, false or strict", v)
			}
		case "mode":
			modes := map[string]string{"macvlan": "bridge private vepa passthru", "ipvlan": "l2 l3 l3s"}[driver]
			if !contains(strings.Fields(modes), v) {
				return invalid("unknown %s mode %q", driver, v)
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// usedSubnets lists the subnets of every network and every host route.
func usedSubnets(nets map[string]engine.Network) []*net.IPNet {
	var out []*net.IPNet
	for _, n := range nets {
		for _, s := range n.Subnets {
			if _, ipn, err := net.ParseCIDR(s.Subnet); err == nil {
				out = append(out, ipn)
			}
		}
	}
	routes, err := netlink.RouteList(nil, netlink.FAMILY_ALL)
	if err == nil {
		for _, r := range routes {
			if r.Dst != nil && !r.Dst.IP.IsLinkLocalUnicast() && !r.Dst.IP.IsLoopback() {
				ones, _ := r.Dst.Mask.Size()
				if ones > 0 {
					out = append(out, r.Dst)
				}
			}
		}
	}
	return out
}

func buildSubnets(o engine.NetworkCreateOptions, n *engine.Network, used []*net.IPNet) ([]engine.Subnet, error) {
	if len(o.Gateways) > len(o.Subnets) {
		return nil, invalid("cannot set more gateways than subnets")
	}
	if len(o.IPRanges) > len(o.Subnets) {
		return nil, invalid("cannot set more ranges than subnets")
	}
	addGateway := !n.Internal || n.DNSEnabled
	var out []engine.Subnet
	hasV4, hasV6 := false, false
	for i, s := range o.Subnets {
		_, ipn, err := parseCIDR(s)
		if err != nil {
			return nil, err
		}
		for _, u := range used {
			if overlaps(u, ipn) {
				return nil, errorfInvalid("subnet %s is already used on the host or by another config", ipn)
			}
		}
		used = append(used, ipn)
		sub := engine.Subnet{Subnet: ipn.String()}
		if i < len(o.Gateways) {
			gw := net.ParseIP(o.Gateways[i])
			if gw == nil {
				return nil, invalid("invalid gateway %q", o.Gateways[i])
			}
			if !ipn.Contains(gw) {
				return nil, errorfInvalid("gateway %s not in subnet %s", o.Gateways[i], ipn)
			}
			sub.Gateway = gw.String()
		} else if addGateway {
			sub.Gateway = firstIP(ipn).String()
		}
		if i < len(o.IPRanges) {
			lr, err := leaseRange(o.IPRanges[i], ipn)
			if err != nil {
				return nil, err
			}
			sub.LeaseRange = lr
		}
		if isIPv4(ipn) {
			hasV4 = true
		} else {
			hasV6 = true
			n.IPv6Enabled = true
		}
		out = append(out, sub)
	}
	if n.Driver != "bridge" {
		return out, nil
	}
	if !hasV4 && !(hasV6 && len(o.Subnets) > 0) {
		ipn, err := freeSubnet(used)
		if err != nil {
			return nil, err
		}
		used = append(used, ipn)
		out = append(out, autoSubnet(ipn, addGateway))
	}
	if n.IPv6Enabled && !hasV6 {
		var ipn *net.IPNet
		for tries := 0; tries < 100; tries++ {
			c := randomULA()
			free := true
			for _, u := range used {
				free = free && !overlaps(u, c)
			}
			if free {
				ipn = c
				break
			}
		}
		if ipn == nil {
			return nil, fmt.Errorf("could not find free IPv6 subnet")
		}
		out = append(out, autoSubnet(ipn, addGateway))
	}
	return out, nil
}

func autoSubnet(ipn *net.IPNet, gw bool) engine.Subnet {
	s := engine.Subnet{Subnet: ipn.String()}
	if gw {
		s.Gateway = firstIP(ipn).String()
	}
	return s
}

func leaseRange(r string, ipn *net.IPNet) (*engine.LeaseRange, error) {
	_, rn, err := parseCIDR(r)
	if err != nil {
		return nil, err
	}
	if !ipn.Contains(rn.IP) || !ipn.Contains(lastIP(rn)) {
		return nil, invalid("ip range %s is not in subnet %s", r, ipn)
	}
	return &engine.LeaseRange{StartIP: firstIP(rn).String(), EndIP: lastIP(rn).String()}, nil
}

// freeSubnet returns the first /24 of Podman's pools that overlaps nothing used.
func freeSubnet(used []*net.IPNet) (*net.IPNet, error) {
	for _, p := range subnetPools {
		_, pool, _ := net.ParseCIDR(p)
		pool.IP = pool.IP.To4()
		for c := newNet(pool.IP, 24); pool.Contains(c.IP); c = newNet(addIP(c.IP, 256), 24) {
			free := true
			for _, u := range used {
				if overlaps(u, c) {
					free = false
					break
				}
			}
			if free {
				return c, nil
			}
		}
	}
	return nil, fmt.Errorf("could not find free subnet from subnet pools")
}

func newNet(ip net.IP, ones int) *net.IPNet {
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(ones, 32)}
}
