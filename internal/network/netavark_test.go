package network

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/engine"
)

func requireNetavark(t *testing.T) *Manager {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	nv := "/usr/lib/podman/netavark"
	if _, err := os.Stat(nv); err != nil {
		t.Skip("netavark not installed")
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		if _, err := os.Stat("/usr/sbin/iptables"); err != nil {
			t.Skip("iptables not installed")
		}
	}
	av := "/usr/lib/podman/aardvark-dns"
	if _, err := os.Stat(av); err != nil {
		av = ""
	}
	return New(Config{ConfigDir: t.TempDir(), RunDir: t.TempDir(), Netavark: nv, Aardvark: av})
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// testNetwork creates a bridge network with a private, random interface name
// and subnet, and removes it at the end.
func testNetwork(t *testing.T, m *Manager, dns bool) engine.Network {
	t.Helper()
	// A random 10.19x.y.0/24 (the e2e tests use 10.200-249); another
	// test's network may hold it: pick again.
	var n engine.Network
	var err error
	for i := 0; i < 10; i++ {
		b := make([]byte, 2)
		_, _ = rand.Read(b)
		n, err = m.Create(engine.NetworkCreateOptions{
			Name:          "t" + randHex(4),
			InterfaceName: "slk" + randHex(4),
			Subnets:       []string{"10." + strconv.Itoa(190+int(b[0])%10) + "." + strconv.Itoa(int(b[1])) + ".0/24"},
			DisableDNS:    !dns,
		})
		if err == nil || !strings.Contains(err.Error(), "already used") {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A test that made it the default (its bridge kept by a keeper)
		// and failed before restoring: remove it all the same.
		m.cfg.DefaultNetwork = "podman"
		_ = m.Remove(n.Name)
	})
	return n
}

func newTestNetns(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ns")
	if err := NewNetns(p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = RemoveNetns(p) })
	return p
}

func nsExec(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := exec.Command("nsenter", append([]string{"--net=" + ns}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v: %s", args, err, out)
	}
	return string(out)
}

func TestNetavarkSetupTeardown(t *testing.T) {
	m := requireNetavark(t)
	n := testNetwork(t, m, false)
	ns := newTestNetns(t)
	ctx := context.Background()
	id := randHex(32)
	o := SetupOptions{ContainerID: id, ContainerName: "c1", Networks: map[string]PerNetworkOptions{n.Name: {InterfaceName: "eth0"}}}
	res, err := m.Setup(ctx, ns, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Teardown(ctx, ns, o) })
	iface, ok := res[n.Name].Interfaces["eth0"]
	if !ok || len(iface.Subnets) != 1 {
		t.Fatalf("unexpected status %+v", res)
	}
	ip, ipn, err := net.ParseCIDR(iface.Subnets[0].IPNet)
	if err != nil {
		t.Fatal(err)
	}
	_, want, _ := net.ParseCIDR(n.Subnets[0].Subnet)
	if !want.Contains(ip) || ip.Equal(net.ParseIP(n.Subnets[0].Gateway)) || ipn.String() != want.String() {
		t.Fatalf("address %s not a host address of %s", ip, want)
	}
	if out := nsExec(t, ns, "ip", "-o", "addr", "show", "eth0"); !strings.Contains(out, ip.String()) {
		t.Fatalf("eth0 in the namespace lacks %s: %s", ip, out)
	}
	// The host reaches the container through the bridge.
	if out, err := exec.Command("busybox", "ping", "-c1", "-W2", ip.String()).CombinedOutput(); err != nil {
		t.Fatalf("ping %s: %v %s", ip, err, out)
	}
	if _, err := net.InterfaceByName(n.NetworkInterface); err != nil {
		t.Fatalf("bridge %s missing: %v", n.NetworkInterface, err)
	}
	if err := m.Teardown(ctx, ns, o); err != nil {
		t.Fatal(err)
	}
	if out := nsExec(t, ns, "ip", "-o", "link"); strings.Contains(out, "eth0") {
		t.Fatalf("eth0 still in namespace after teardown: %s", out)
	}
	if _, err := net.InterfaceByName(n.NetworkInterface); err == nil {
		t.Fatalf("bridge %s of a user network left behind after its last container's teardown", n.NetworkInterface)
	}
	// Idempotent: a second teardown is fine.
	if err := m.Teardown(ctx, ns, o); err != nil {
		t.Fatalf("second teardown: %v", err)
	}
	st, _ := m.loadIPAM()
	if ips := st.assigned(n.Name, id); len(ips) != 0 {
		t.Fatalf("addresses not released: %v", ips)
	}
	if err := m.Remove(n.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := net.InterfaceByName(n.NetworkInterface); err == nil {
		t.Fatalf("bridge %s left behind after network rm", n.NetworkInterface)
	}
}

// hostTraces counts firewall rules mentioning the subnet and whether the
// bridge exists.
func hostTraces(t *testing.T, n engine.Network) (rules int, bridge bool) {
	t.Helper()
	out, err := exec.Command("iptables-save").Output()
	if err != nil {
		t.Fatal(err)
	}
	rules = strings.Count(string(out), n.Subnets[0].Subnet)
	_, err = net.InterfaceByName(n.NetworkInterface)
	return rules, err == nil
}

// TestTeardownAfterCrash: the namespace vanished without a teardown (engine
// killed, reboot of the run dir aside); teardown still removes the rules and
// the bridge, and a new setup for the same container works.
func TestTeardownAfterCrash(t *testing.T) {
	m := requireNetavark(t)
	n := testNetwork(t, m, false)
	// As the default network, its bridge is kept between containers.
	m.cfg.DefaultNetwork = n.Name
	ctx := context.Background()
	o := SetupOptions{ContainerID: randHex(32), ContainerName: "c2",
		Networks:     map[string]PerNetworkOptions{n.Name: {InterfaceName: "eth0"}},
		PortMappings: []engine.PortMapping{{HostIP: "127.0.0.1", HostPort: 18089, ContainerPort: 80, Protocol: "tcp"}}}
	ns := filepath.Join(t.TempDir(), "ns")
	if err := NewNetns(ns); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Setup(ctx, ns, o); err != nil {
		t.Fatal(err)
	}
	if r, b := hostTraces(t, n); r == 0 || !b {
		t.Fatalf("setup left no rules (%d) or no bridge (%v)", r, b)
	}
	// Crash: the namespace goes away with no teardown. Next start: setup again.
	if err := RemoveNetns(ns); err != nil {
		t.Fatal(err)
	}
	ns2 := newTestNetns(t)
	if _, err := m.Setup(ctx, ns2, o); err != nil {
		t.Fatalf("setup after a crash: %v", err)
	}
	if err := RemoveNetns(ns2); err != nil {
		t.Fatal(err)
	}
	// The kernel destroys an unreferenced namespace (and its veth) asynchronously.
	for i := 0; i < 100; i++ {
		out, _ := exec.Command("ip", "-o", "link", "show", "master", n.NetworkInterface).Output()
		if keeper, _ := keeperName(n.NetworkInterface); strings.TrimSpace(grepLines(string(out), ": veth")) == "" && strings.Contains(string(out), keeper) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := m.Teardown(ctx, ns2, o); err != nil {
		t.Fatalf("teardown with the namespace gone: %v", err)
	}
	if out, _ := exec.Command("iptables-save").Output(); strings.Contains(string(out), "18089") {
		t.Fatalf("port rule left after teardown:\n%s", grepLines(string(out), "18089"))
	}
	if out, _ := exec.Command("ip", "-o", "link", "show", "master", n.NetworkInterface).Output(); strings.Count(string(out), "\n") != 1 {
		t.Fatalf("the default network's bridge %s should hold only its keeper:\n%s", n.NetworkInterface, out)
	}
	// No longer the default, network rm removes the keeper, the bridge and
	// the network's rules.
	m.cfg.DefaultNetwork = "podman"
	if err := m.Remove(n.Name); err != nil {
		t.Fatal(err)
	}
	if r, b := hostTraces(t, n); r != 0 || b {
		t.Fatalf("after network rm: %d rules mention %s, bridge present=%v", r, n.Subnets[0].Subnet, b)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
