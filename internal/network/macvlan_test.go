package network

import (
	"context"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/engine"
	"github.com/vishvananda/netlink"
)

// TestMacvlanAndIpvlan attaches namespaces to macvlan and ipvlan networks
// whose parent is a private veth (never a real host interface).
func TestMacvlanAndIpvlan(t *testing.T) {
	m := requireNetavark(t)
	parent := "slkpar" + randHex(3)
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: parent}, PeerName: parent + "p"}
	if err := netlink.LinkAdd(v); err != nil {
		t.Skipf("cannot create a veth parent: %v", err)
	}
	t.Cleanup(func() { _ = netlink.LinkDel(v) })
	l, _ := netlink.LinkByName(parent)
	_ = netlink.LinkSetUp(l)
	for i, driver := range []string{"macvlan", "ipvlan"} {
		t.Run(driver, func(t *testing.T) {
			sub := "10.235." + []string{"11", "12"}[i] + ".0/24"
			n, err := m.Create(engine.NetworkCreateOptions{Name: "t" + randHex(4), Driver: driver, Subnets: []string{sub},
				Options: map[string]string{"parent": parent}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = m.Remove(n.Name) })
			if n.NetworkInterface != parent || n.DNSEnabled || n.Options != nil {
				t.Fatalf("definition %+v", n)
			}
			ns := newTestNetns(t)
			o := SetupOptions{ContainerID: randHex(32), ContainerName: "mv", Networks: map[string]PerNetworkOptions{n.Name: {InterfaceName: "eth0"}}}
			res, err := m.Setup(context.Background(), ns, o)
			if err != nil && strings.Contains(err.Error(), "unknown network driver") {
				t.Skipf("this netavark has no %s driver (netavark >= 1.6 has): %v", driver, err)
			}
			if err != nil {
				t.Fatal(err)
			}
			ip := strings.Split(res[n.Name].Interfaces["eth0"].Subnets[0].IPNet, "/")[0]
			if out := nsExec(t, ns, "ip", "-o", "-d", "link", "show", "eth0"); !strings.Contains(out, driver) {
				t.Fatalf("eth0 is not a %s link:\n%s", driver, out)
			}
			if out := nsExec(t, ns, "ip", "-o", "-4", "addr", "show", "eth0"); !strings.Contains(out, ip+"/24") {
				t.Fatalf("eth0 lacks %s:\n%s", ip, out)
			}
			if err := m.Teardown(context.Background(), ns, o); err != nil {
				t.Fatal(err)
			}
			if out := nsExec(t, ns, "ip", "-o", "link"); strings.Contains(out, "eth0") {
				t.Fatalf("eth0 left after teardown:\n%s", out)
			}
		})
	}
}
