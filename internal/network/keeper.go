package network

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"

	"github.com/selkie-containers/selkie/engine"
	"github.com/vishvananda/netlink"
)

// A keeper is a veth pair in the host, down, with one end enslaved to the
// default network's bridge. netavark removes a bridge and all of its network's
// firewall chains when the last container leaves it, and creates them again
// for the next one: about two dozen iptables runs, most of the cost of a
// bridge network per `run --rm`. While a keeper is attached the bridge is
// never empty, so only the container's own rules and veth come and go. The
// bridge and the network-wide rules stay until `network rm` (as Docker's
// docker0 does); `network rm` removes the keeper and then all of that.

// KeeperNames are the two ends of bridge's keeper (for tests and tools that
// must tell the kept bridge's parts from leftovers).
func KeeperNames(bridge string) (keeper, peer string) { return keeperName(bridge) }

func keeperName(bridge string) (string, string) {
	sum := sha256.Sum256([]byte(bridge))
	h := hex.EncodeToString(sum[:])[:10]
	return "slkk" + h, "slkp" + h
}

// ensureKeeper attaches a keeper to bridge. It is an optimisation only:
// errors are returned for logging, never fatal.
func ensureKeeper(bridge string) error {
	name, peer := keeperName(bridge)
	if _, err := netlink.LinkByName(name); err == nil {
		return nil
	}
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		return err
	}
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: peer}
	if err := netlink.LinkAdd(v); err != nil {
		return err
	}
	k, err := netlink.LinkByName(name)
	if err != nil {
		return err
	}
	if err := netlink.LinkSetMaster(k, br); err != nil {
		_ = netlink.LinkDel(k)
		return err
	}
	return nil
}

func removeKeeper(bridge string) {
	name, _ := keeperName(bridge)
	if l, err := netlink.LinkByName(name); err == nil {
		_ = netlink.LinkDel(l)
	}
}

// releaseBridge removes n's keeper and lets netavark tear the network down
// (bridge, firewall chains) by tearing down a placeholder attachment in a
// throw-away namespace. netavark itself keeps the bridge if containers still
// use it (Podman's, for instance).
func (m *Manager) releaseBridge(ctx context.Context, n engine.Network) error {
	if n.Driver != "bridge" || n.NetworkInterface == "" {
		return nil
	}
	removeKeeper(n.NetworkInterface)
	if _, err := net.InterfaceByName(n.NetworkInterface); err != nil {
		return nil // no bridge: nothing set up
	}
	pno := PerNetworkOptions{InterfaceName: "eth0"}
	for _, s := range n.Subnets {
		if _, ipn, err := net.ParseCIDR(s.Subnet); err == nil {
			pno.StaticIPs = append(pno.StaticIPs, lastIP(ipn).String())
		}
	}
	in := &netavarkInput{ContainerID: randomID(), ContainerName: "selkie-network-rm",
		Networks: map[string]PerNetworkOptions{n.Name: pno}, NetworkInfo: map[string]engine.Network{n.Name: n}}
	return m.teardownLocked(ctx, "", in)
}
