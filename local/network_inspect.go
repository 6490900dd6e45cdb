package local

import (
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/network"
	"github.com/selkie-containers/selkie/internal/state"
)

// inspectNetworkSettings is inspect's NetworkSettings: what network setup
// reported while the container runs, else only the requested ports.
func inspectNetworkSettings(c *state.Container, requested map[string][]engine.InspectHostPort) engine.NetworkSettings {
	if c.State.Network != nil {
		return c.State.Network.Settings
	}
	return engine.NetworkSettings{Ports: requested}
}

// networkIP is the container's first address, for its /etc/hosts line ("" if none).
func networkIP(c *state.Container) string {
	if c.State.Network != nil && len(c.State.Network.IPs) > 0 {
		return c.State.Network.IPs[0]
	}
	return ""
}

// networkHosts appends host.containers.internal (the gateway of the first
// network) to a generated /etc/hosts.
func networkHosts(c *state.Container, hosts []byte) []byte {
	if c.State.Network == nil || c.State.Network.HostIP == "" {
		return hosts
	}
	if len(hosts) > 0 && hosts[len(hosts)-1] != '\n' {
		hosts = append(hosts, '\n')
	}
	return append(hosts, []byte(c.State.Network.HostIP+"\thost.containers.internal\n")...)
}

// networkResolv is /etc/resolv.conf for a container on DNS-enabled networks:
// aardvark-dns first (container names resolve), then --dns or the host's
// non-loopback servers. Without aardvark it returns fallback unchanged.
func networkResolv(c *state.Container, host, fallback []byte) []byte {
	ns := c.State.Network
	if ns == nil || len(ns.DNSServers) == 0 {
		return fallback
	}
	return network.ResolvConfData(host, network.ResolvOptions{
		DNSServers: ns.DNSServers, DNSSearch: ns.DNSSearch,
		Nameservers: c.Options.DNSServers, Searches: c.Options.DNSSearch, Options: c.Options.DNSOptions,
	})
}
