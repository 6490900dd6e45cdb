package engine

import (
	"context"
	"errors"
	"time"
)

// ErrNetworkInUse: a network containers still use cannot be removed without force.
var ErrNetworkInUse = errors.New("network is being used")

// Networks manages network definitions and containers' attachments to them.
type Networks interface {
	// NetworkCreate writes a new network definition and returns it as stored.
	// With o.Ignore an existing network of that name is returned unchanged.
	NetworkCreate(ctx context.Context, o NetworkCreateOptions) (Network, error)
	// NetworkList returns the networks matching o.Filters, sorted by name.
	NetworkList(ctx context.Context, o NetworkListOptions) ([]Network, error)
	// NetworkInspect returns one network by name, full ID or ID prefix.
	NetworkInspect(ctx context.Context, nameOrID string) (*Network, error)
	// NetworkRemove deletes a network. A network in use is refused unless
	// o.Force, which first removes the containers using it.
	NetworkRemove(ctx context.Context, nameOrID string, o NetworkRemoveOptions) (NetworkRemoveReport, error)
	// NetworkPrune removes every unused network (never the default one) that
	// matches o.Filters and returns the removed names.
	NetworkPrune(ctx context.Context, o NetworkPruneOptions) ([]string, error)
	// NetworkExists reports whether nameOrID names a network.
	NetworkExists(ctx context.Context, nameOrID string) (bool, error)
	// NetworkConnect attaches a container to a network (live when running).
	NetworkConnect(ctx context.Context, network string, o NetworkConnectOptions) error
	// NetworkDisconnect detaches a container from a network.
	NetworkDisconnect(ctx context.Context, network string, o NetworkDisconnectOptions) error
	// NetworkReload re-applies the firewall rules of a running container and
	// returns its ID.
	NetworkReload(ctx context.Context, container string) (string, error)
}

// Network is a network definition. Its JSON is the file format Podman 4
// keeps in the network config directory, so both tools share networks.
type Network struct {
	Name             string            `json:"name"`
	ID               string            `json:"id"`
	Driver           string            `json:"driver"`
	NetworkInterface string            `json:"network_interface,omitempty"`
	Created          time.Time         `json:"created,omitempty"`
	Subnets          []Subnet          `json:"subnets,omitempty"`
	IPv6Enabled      bool              `json:"ipv6_enabled"`
	Internal         bool              `json:"internal"`
	DNSEnabled       bool              `json:"dns_enabled"`
	NetworkDNS       []string          `json:"network_dns_servers,omitempty"`
	Labels           map[string]string `json:"labels,omitempty"`
	Options          map[string]string `json:"options,omitempty"`
	IPAMOptions      map[string]string `json:"ipam_options,omitempty"`
}

// Subnet is one subnet of a network, in CIDR notation.
type Subnet struct {
	Subnet     string      `json:"subnet"`
	Gateway    string      `json:"gateway,omitempty"`
	LeaseRange *LeaseRange `json:"lease_range,omitempty"`
}

// LeaseRange limits the addresses handed out in a subnet (--ip-range).
type LeaseRange struct {
	StartIP string `json:"start_ip,omitempty"`
	EndIP   string `json:"end_ip,omitempty"`
}

// NetworkCreateOptions are the flags of `network create`.
type NetworkCreateOptions struct {
	Name          string            `json:"name,omitempty"`
	Driver        string            `json:"driver,omitempty"`
	Subnets       []string          `json:"subnets,omitempty"`
	Gateways      []string          `json:"gateways,omitempty"`
	IPRanges      []string          `json:"ipRanges,omitempty"`
	IPv6          bool              `json:"ipv6,omitempty"`
	Internal      bool              `json:"internal,omitempty"`
	DisableDNS    bool              `json:"disableDns,omitempty"`
	DNSServers    []string          `json:"dns,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
	Options       map[string]string `json:"options,omitempty"`
	IPAMDriver    string            `json:"ipamDriver,omitempty"`
	InterfaceName string            `json:"interfaceName,omitempty"`
	// Ignore returns an existing network of the same name instead of failing.
	Ignore bool `json:"ignore,omitempty"`
}

// NetworkListOptions select networks: name, id, driver, label, label!, until, dangling.
type NetworkListOptions struct {
	Filters map[string][]string `json:"filters,omitempty"`
}

// NetworkRemoveOptions are the flags of `network rm`.
type NetworkRemoveOptions struct {
	Force bool `json:"force,omitempty"`
	// Timeout is the stop timeout for containers removed by Force (nil: default).
	Timeout *uint `json:"timeout,omitempty"`
}

// NetworkRemoveReport names the removed network and the containers Force removed.
type NetworkRemoveReport struct {
	Name       string   `json:"name"`
	Containers []string `json:"containers,omitempty"`
}

// NetworkPruneOptions select what prune may remove (label, until).
type NetworkPruneOptions struct {
	Filters map[string][]string `json:"filters,omitempty"`
}

// NetworkConnectOptions are the flags of `network connect`.
type NetworkConnectOptions struct {
	Container     string   `json:"container"`
	Aliases       []string `json:"aliases,omitempty"`
	StaticIPs     []string `json:"staticIps,omitempty"`
	StaticMAC     string   `json:"staticMac,omitempty"`
	InterfaceName string   `json:"interfaceName,omitempty"`
}

// NetworkDisconnectOptions are the flags of `network disconnect`.
type NetworkDisconnectOptions struct {
	Container string `json:"container"`
	Force     bool   `json:"force,omitempty"`
}
