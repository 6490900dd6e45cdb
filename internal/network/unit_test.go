package network

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/engine"
)

func newTestManager(t *testing.T) *Manager {
	t.Helper()
	return New(Config{ConfigDir: t.TempDir(), RunDir: t.TempDir()})
}

func TestCreateValidation(t *testing.T) {
	m := newTestManager(t)
	if _, err := m.Create(engine.NetworkCreateOptions{Name: "taken", Subnets: []string{"10.231.1.0/24"}}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		o       engine.NetworkCreateOptions
		want    string
		invalid bool
	}{
		{engine.NetworkCreateOptions{Name: "bad/name"}, "network name bad/name invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument", true},
		{engine.NetworkCreateOptions{Name: "-x"}, "names must match", true},
		{engine.NetworkCreateOptions{Name: "x", Driver: "foo"}, "unsupported driver foo: invalid argument", true},
		{engine.NetworkCreateOptions{Name: "x", Subnets: []string{"10.99.0.300/24"}}, "invalid CIDR address: 10.99.0.300/24", true},
		{engine.NetworkCreateOptions{Name: "x", Subnets: []string{"garbage"}}, "invalid CIDR address: garbage", true},
		{engine.NetworkCreateOptions{Name: "x", Subnets: []string{"10.231.1.128/25"}}, "subnet 10.231.1.128/25 is already used on the host or by another config", true},
		{engine.NetworkCreateOptions{Name: "x", Subnets: []string{"10.88.5.0/24"}}, "subnet 10.88.5.0/24 is already used", true},
		{engine.NetworkCreateOptions{Name: "x", Subnets: []string{"10.98.0.0/24"}, Gateways: []string{"10.97.0.1"}}, "gateway 10.97.0.1 not in subnet 10.98.0.0/24", true},
		{engine.NetworkCreateOptions{Name: "x", Gateways: []string{"10.97.0.1"}}, "cannot set more gateways than subnets", true},
		{engine.NetworkCreateOptions{Name: "x", Subnets: []string{"10.96.0.0/24"}, IPRanges: []string{"10.95.0.0/25"}}, "not in subnet", true},
		{engine.NetworkCreateOptions{Name: "x", Options: map[string]string{"bogus": "1"}}, "unsupported bridge network option bogus", false},
		{engine.NetworkCreateOptions{Name: "x", Options: map[string]string{"mtu": "-5"}}, "must be a positive integer", true},
		{engine.NetworkCreateOptions{Name: "x", Options: map[string]string{"vlan": "5000"}}, "vlan ID 5000", true},
		{engine.NetworkCreateOptions{Name: "x", Driver: "macvlan"}, "macvlan driver needs at least one subnet specified", true},
		{engine.NetworkCreateOptions{Name: "x", Driver: "macvlan", Options: map[string]string{"parent": "nosuchif0"}, Subnets: []string{"10.94.0.0/24"}}, "parent interface nosuchif0 does not exist", true},
		{engine.NetworkCreateOptions{Name: "taken"}, "network name taken already used: network already exists", false},
		{engine.NetworkCreateOptions{Name: "x", DNSServers: []string{"not-an-ip"}}, "is not an ip address", true},
		{engine.NetworkCreateOptions{Name: "x", InterfaceName: "lo"}, "interface name lo is already used on the host", true},
		{engine.NetworkCreateOptions{Name: "x", InterfaceName: "../../x"}, "interface name ../../x invalid", true},
	}
	for _, c := range cases {
		_, err := m.Create(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.o, err, c.want)
			continue
		}
		if c.invalid && !errors.Is(err, engine.ErrInvalidArg) {
			t.Errorf("%+v: %v does not wrap ErrInvalidArg", c.o, err)
		}
	}
	// Nothing half-created: only the one good network is on disk.
	entries, _ := os.ReadDir(m.cfg.ConfigDir)
	var files []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			files = append(files, e.Name())
		}
	}
	if len(files) != 1 || files[0] != "taken.json" {
		t.Fatalf("config dir holds %v", files)
	}
	if n, err := m.Create(engine.NetworkCreateOptions{Name: "taken", Ignore: true}); err != nil || n.Subnets[0].Subnet != "10.231.1.0/24" {
		t.Fatalf("--ignore: %v %+v", err, n)
	}
	if _, err := m.Get("nope"); !errors.Is(err, engine.ErrNoSuchNetwork) || err.Error() != "unable to find network with name or ID nope: network not found" {
		t.Fatalf("get nope: %v", err)
	}
}

func TestCreateDefaults(t *testing.T) {
	m := newTestManager(t)
	n1, err := m.Create(engine.NetworkCreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n1.Name != "podman1" || n1.Driver != "bridge" || !n1.DNSEnabled || len(n1.ID) != 64 || n1.IPAMOptions["driver"] != "host-local" {
		t.Fatalf("unexpected %+v", n1)
	}
	if !strings.HasPrefix(n1.NetworkInterface, "podman") || n1.NetworkInterface == "podman0" {
		t.Fatalf("interface %q", n1.NetworkInterface)
	}
	n2, err := m.Create(engine.NetworkCreateOptions{Name: "n2", IPv6: true, Labels: map[string]string{"a": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(n2.Subnets) != 2 || !n2.IPv6Enabled || n2.Subnets[0].Subnet == n1.Subnets[0].Subnet || !strings.HasPrefix(n2.Subnets[1].Subnet, "fd") {
		t.Fatalf("n2 subnets %+v", n2.Subnets)
	}
	if n2.NetworkInterface == n1.NetworkInterface {
		t.Fatal("two networks share an interface name")
	}
	n3, err := m.Create(engine.NetworkCreateOptions{Name: "n3", Internal: true, DisableDNS: true, Subnets: []string{"10.77.0.0/24"}, IPRanges: []string{"10.77.0.128/25"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := n3.Subnets[0]; s.Gateway != "" || s.LeaseRange == nil || s.LeaseRange.StartIP != "10.77.0.129" || s.LeaseRange.EndIP != "10.77.0.255" {
		t.Fatalf("n3 %+v", n3.Subnets)
	}
	// The file is Podman's format and reads back the same.
	data, err := os.ReadFile(filepath.Join(m.cfg.ConfigDir, "n2.json"))
	if err != nil || !strings.Contains(string(data), `"ipv6_enabled": true`) || !strings.Contains(string(data), `"network_interface"`) {
		t.Fatalf("n2.json: %v %s", err, data)
	}
	list, err := m.List()
	if err != nil || len(list) != 4 || list[2].Name != "podman" || list[2].ID != "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9" {
		t.Fatalf("list: %v %+v", err, list)
	}
	if d, err := m.Get("bridge"); err != nil || d.Name != "podman" || d.Subnets[0].Subnet != "10.88.0.0/16" || d.Subnets[0].Gateway != "10.88.0.1" {
		t.Fatalf("bridge alias: %v %+v", err, d)
	}
	if got, err := m.Get(n2.ID[:10]); err != nil || got.Name != "n2" {
		t.Fatalf("by ID prefix: %v", err)
	}
	if err := m.Remove("podman"); err == nil || err.Error() != "default network podman cannot be removed" {
		t.Fatalf("remove default: %v", err)
	}
	if err := m.Remove("n2"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get("n2"); !errors.Is(err, engine.ErrNoSuchNetwork) {
		t.Fatalf("after rm: %v", err)
	}
}

func TestIPAM(t *testing.T) {
	st := &ipamState{Networks: map[string]*ipamNet{}}
	n := engine.Network{Name: "n", Subnets: []engine.Subnet{{Subnet: "10.5.0.0/29", Gateway: "10.5.0.1"}}}
	var got []string
	for i := 0; i < 5; i++ {
		ips, err := st.alloc(n, string(rune('a'+i)), nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ips...)
	}
	if strings.Join(got, " ") != "10.5.0.2 10.5.0.3 10.5.0.4 10.5.0.5 10.5.0.6" {
		t.Fatalf("allocated %v", got)
	}
	if _, err := st.alloc(n, "f", nil); err == nil || !strings.Contains(err.Error(), "failed to find free IP") {
		t.Fatalf("exhausted: %v", err)
	}
	st.release("n", "b")
	if ips, err := st.alloc(n, "g", nil); err != nil || ips[0] != "10.5.0.3" {
		t.Fatalf("reuse: %v %v", ips, err)
	}
	if _, err := st.alloc(n, "h", []string{"10.5.0.4"}); err == nil || !strings.Contains(err.Error(), "already allocated to container ID c") {
		t.Fatalf("static taken: %v", err)
	}
	if _, err := st.alloc(n, "h", []string{"10.9.0.4"}); err == nil || !strings.Contains(err.Error(), "not in any subnet") {
		t.Fatalf("static outside: %v", err)
	}
	st.release("n", "c")
	if ips, err := st.alloc(n, "h", []string{"10.5.0.4"}); err != nil || ips[0] != "10.5.0.4" {
		t.Fatalf("static: %v %v", ips, err)
	}
}

func TestPorts(t *testing.T) {
	if err := ValidatePorts([]engine.PortMapping{{ContainerPort: 80, HostPort: 65535, Range: 2}}); err == nil {
		t.Fatal("range past 65535 accepted")
	}
	if err := ValidatePorts([]engine.PortMapping{{ContainerPort: 80, Protocol: "sctpx"}}); err == nil {
		t.Fatal("bad protocol accepted")
	}
	if err := ValidatePorts([]engine.PortMapping{{ContainerPort: 0}}); err == nil {
		t.Fatal("container port 0 accepted")
	}
	ps, err := ResolvePorts([]engine.PortMapping{{ContainerPort: 80, HostPort: 8080, Protocol: "tcp,udp"}, {ContainerPort: 90, HostIP: "127.0.0.1"}}, true, []string{"80", "443/tcp", "53/udp"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 5 || ps[0].Protocol != "tcp" || ps[1].Protocol != "udp" || ps[2].HostPort == 0 || ps[3].ContainerPort != 53 || ps[4].ContainerPort != 443 {
		t.Fatalf("resolved %+v", ps)
	}
	s := FormatPorts([]engine.PortMapping{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}, {HostIP: "127.0.0.1", HostPort: 9000, ContainerPort: 90, Range: 2, Protocol: "udp"}})
	if s != "0.0.0.0:8080->80/tcp, 127.0.0.1:9000-9001->90-91/udp" {
		t.Fatalf("format %q", s)
	}
	ip := InspectPorts([]engine.PortMapping{{HostPort: 8080, ContainerPort: 80}}, []string{"443"})
	if len(ip) != 2 || ip["80/tcp"][0].HostPort != "8080" || ip["443/tcp"] != nil {
		t.Fatalf("inspect %+v", ip)
	}
	// A port a host process listens on is refused, with the port named.
	p, err := kernelPort("127.0.0.1", "tcp")
	if err != nil {
		t.Fatal(err)
	}
	st := &ipamState{Networks: map[string]*ipamNet{}}
	if err := st.holdPorts([]engine.PortMapping{{HostIP: "127.0.0.1", HostPort: p, ContainerPort: 80}}, "a"); err != nil {
		t.Fatal(err)
	}
	err = st.holdPorts([]engine.PortMapping{{HostPort: p, ContainerPort: 81}}, "b")
	if err == nil || !strings.Contains(err.Error(), "already used by container a") {
		t.Fatalf("double publish: %v", err)
	}
}

func TestHostsAndResolv(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "hosts")
	_ = os.WriteFile(base, []byte("# comment\n127.0.0.1 localhost\n::1 localhost\n"), 0o644)
	h, err := Hosts(HostsOptions{BaseFile: base, ExtraHosts: []string{"a;b:1.2.3.4"}, Names: []string{"abc123", "web", "web"}, IPs: []string{"10.88.0.5"}, HostIP: "10.88.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	want := "1.2.3.4\ta b\n127.0.0.1 localhost\n::1 localhost\n10.88.0.5\tabc123 web\n10.88.0.1\thost.containers.internal\n"
	if string(h) != want {
		t.Fatalf("hosts:\n%s\nwant:\n%s", h, want)
	}
	for _, bad := range []string{"noip", "x:notanip", ":1.2.3.4", "a b:1.2.3.4"} {
		if _, err := Hosts(HostsOptions{BaseFile: "none", ExtraHosts: []string{bad}}); err == nil {
			t.Errorf("add-host %q accepted", bad)
		}
	}
	rc := filepath.Join(dir, "resolv.conf")
	_ = os.WriteFile(rc, []byte("search example.com\nnameserver 127.0.0.53\nnameserver 192.0.2.53\noptions ndots:2\n"), 0o644)
	got := string(ResolvConf(ResolvOptions{HostFile: rc, DNSServers: []string{"10.89.0.1"}, DNSSearch: []string{"dns.podman"}}))
	if got != "search dns.podman example.com\nnameserver 10.89.0.1\nnameserver 192.0.2.53\noptions ndots:2\n" {
		t.Fatalf("resolv:\n%s", got)
	}
	got = string(ResolvConf(ResolvOptions{HostFile: rc, Nameservers: []string{"1.1.1.1"}, Searches: []string{"."}, Options: []string{"debug"}}))
	if got != "nameserver 1.1.1.1\noptions debug\n" {
		t.Fatalf("resolv with --dns:\n%s", got)
	}
	_ = os.WriteFile(rc, []byte("nameserver 127.0.0.1\n"), 0o644)
	if got := string(ResolvConf(ResolvOptions{HostFile: rc})); got != "nameserver 8.8.8.8\nnameserver 8.8.4.4\n" {
		t.Fatalf("localhost only:\n%s", got)
	}
}

func TestParseMode(t *testing.T) {
	m, err := ParseMode("", nil, "podman", "pasta", false)
	if err != nil || m.Kind != ModeBridge || len(m.Names) != 1 || m.Names[0] != "podman" {
		t.Fatalf("default: %+v %v", m, err)
	}
	m, err = ParseMode("bridge", []string{"n2:ip=10.1.0.5,mac=02:42:ac:11:00:02,alias=db"}, "podman", "", false)
	if err != nil || len(m.Names) != 2 || m.Networks["n2"].StaticIPs[0] != "10.1.0.5" || m.Networks["n2"].Aliases[0] != "db" || m.Networks["n2"].StaticMAC != "02:42:ac:11:00:02" {
		t.Fatalf("named: %+v %v", m, err)
	}
	for _, mode := range []string{"none", "host"} {
		if m, err := ParseMode(mode, nil, "podman", "", false); err != nil || m.Kind != mode {
			t.Fatalf("%s: %+v %v", mode, m, err)
		}
	}
	if m, _ := ParseMode("container:abc", nil, "podman", "", false); m.Kind != ModeContainer || m.Value != "abc" {
		t.Fatalf("container: %+v", m)
	}
	if m, _ := ParseMode("", nil, "podman", "slirp4netns", true); m.Kind != ModeSlirp {
		t.Fatalf("rootless: %+v", m)
	}
	for _, bad := range []string{"ns:relative", "container:", "n1:ip=300.1.1.1", "n1:mac=zz", "n1:bogus=1", "a,a",
		"n1:alias=a b", "n1:alias=-x", "n1:alias=x\ny"} {
		if _, err := ParseMode(bad, nil, "podman", "", false); err == nil {
			t.Errorf("mode %q accepted", bad)
		}
	}
}

func TestAttachmentPathConfined(t *testing.T) {
	m := newTestManager(t)
	for _, id := range []string{"../../etc/passwd", "/abs", "a/b", ""} {
		p := m.attachmentPath(id)
		if filepath.Dir(p) != filepath.Join(m.cfg.RunDir, "selkie-attachments") {
			t.Errorf("id %q gave path %s outside the attachments dir", id, p)
		}
	}
}

func TestRootlessFallback(t *testing.T) {
	have := func(set ...string) func(string) bool {
		return func(n string) bool {
			for _, s := range set {
				if s == n {
					return true
				}
			}
			return false
		}
	}
	for _, tc := range []struct {
		cmd  string
		have func(string) bool
		want string
	}{
		{ModePasta, have("pasta", "slirp4netns"), ModePasta},
		{ModePasta, have("slirp4netns"), ModeSlirp},
		{ModePasta, have(), ModePasta}, // StartPasta then names the package
		{ModeSlirp, have("pasta"), ModeSlirp},
	} {
		if got := RootlessFallback(tc.cmd, tc.have); got != tc.want {
			t.Errorf("RootlessFallback(%s): %s, want %s", tc.cmd, got, tc.want)
		}
	}
}
