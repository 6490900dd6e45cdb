package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// TestNetworkCreateOptions: network create --gateway, --ip-range, --dns,
// -o mtu/metric/vlan/isolate and --internal are written as Podman writes
// them and take effect in the container.
func TestNetworkCreateOptions(t *testing.T) {
	c := newNetCLI(t)
	t.Parallel()
	n := newTestNet()
	prefix := strings.TrimSuffix(n.Subnet, "0/24")
	n.Gateway = prefix + "254"
	n = c.createTestNet(t, n, "--gateway", n.Gateway, "--ip-range", prefix+"128/25", "--dns", "192.0.2.53",
		"-o", "mtu=1400", "-o", "metric=200", "-o", "vlan=5", "-o", "isolate=true")
	var def struct {
		Subnets []struct {
			Subnet     string `json:"subnet"`
			Gateway    string `json:"gateway"`
			LeaseRange struct {
				Start string `json:"start_ip"`
				End   string `json:"end_ip"`
			} `json:"lease_range"`
		} `json:"subnets"`
		DNS     []string          `json:"network_dns_servers"`
		Options map[string]string `json:"options"`
	}
	data, err := os.ReadFile(filepath.Join(c.confDir, n.Name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &def); err != nil {
		t.Fatal(err)
	}
	// Podman 4.3.1 writes the same lease range for --ip-range x.x.x.128/25.
	if len(def.Subnets) != 1 || def.Subnets[0].Gateway != n.Gateway || def.Subnets[0].LeaseRange.Start != prefix+"129" ||
		def.Subnets[0].LeaseRange.End != prefix+"255" || len(def.DNS) != 1 || def.DNS[0] != "192.0.2.53" ||
		def.Options["mtu"] != "1400" || def.Options["metric"] != "200" || def.Options["vlan"] != "5" || def.Options["isolate"] != "true" {
		t.Fatalf("definition:\n%s", data)
	}
	out := c.Must(t, "run", "--rm", "--network", n.Name, "bb", "sh", "-c", "ip -o -4 addr show eth0; cat /sys/class/net/eth0/mtu; ip route")
	f := strings.Fields(out)
	if len(f) < 4 {
		t.Fatalf("container on %s:\n%s", n.Name, out)
	}
	ip := strings.SplitN(f[3], "/", 2)[0]
	last, _ := strconv.Atoi(ip[strings.LastIndexByte(ip, '.')+1:])
	if !strings.HasPrefix(ip, prefix) || last < 129 {
		t.Fatalf("address %s outside --ip-range %s128/25", ip, prefix)
	}
	if !regexpLine(out, `1400$`) || !regexpLine(out, `default via `+strings.ReplaceAll(n.Gateway, ".", `\.`)+` dev eth0\s+metric 200`) {
		t.Fatalf("mtu 1400 / default route via %s metric 200 missing:\n%s", n.Gateway, out)
	}
	// --internal: no default route, so nothing outside the subnet is
	// reachable.
	in := c.createNet(t, "--internal")
	if out := c.Must(t, "run", "--rm", "--network", in.Name, "bb", "ip", "route"); strings.Contains(out, "default") || !strings.Contains(out, "eth0") {
		t.Fatalf("--internal network routes:\n%s", out)
	}
	// Bad option values are refused before anything is written.
	for _, bad := range [][]string{{"-o", "mtu=-1"}, {"-o", "vlan=5000"}, {"-o", "metric=x"}, {"-o", "bogus=1"},
		{"--gateway", "10.255.255.1"}, {"--ip-range", "10.255.0.0/24"}} {
		name := "bad" + randHex(3)
		rc := c.Run(append(append([]string{"network", "create", "--subnet", newTestNet().Subnet}, bad...), name)...)
		if rc.ExitCode != 125 {
			t.Errorf("network create %v: %s", bad, rc)
		}
		if _, err := os.Stat(filepath.Join(c.confDir, name+".json")); err == nil {
			t.Errorf("network create %v left a definition", bad)
		}
	}
}

// TestNetworkRunEtcFlags: --add-host, --dns, --dns-search, --dns-option,
// --no-hosts; ps PORTS and `port`; --network bridge (Docker's name for the
// default network), private and ns:PATH.
func TestNetworkRunEtcFlags(t *testing.T) {
	c := newNetCLI(t)
	n := c.useDefault(t)
	prefix := strings.TrimSuffix(n.Subnet, "0/24")
	out := c.Must(t, "run", "--rm", "--name", "etc", "--add-host", "foo.example:192.0.2.7", "--dns", "192.0.2.53",
		"--dns-search", "ex.test", "--dns-option", "ndots:3", "bb", "sh", "-c", "cat /etc/hosts; echo ---; cat /etc/resolv.conf")
	hosts, resolv, _ := strings.Cut(out, "---")
	if !regexpLine(hosts, `192\.0\.2\.7\s+foo\.example$`) || !regexpLine(hosts, prefix+`\d+\s.*\betc\b`) ||
		!regexpLine(hosts, n.Gateway+`\s+host\.containers\.internal`) {
		t.Fatalf("/etc/hosts:\n%s", hosts)
	}
	if !regexpLine(resolv, `search ex\.test`) || !regexpLine(resolv, `nameserver 192\.0\.2\.53`) || !regexpLine(resolv, `options ndots:3`) ||
		strings.Count(resolv, "nameserver") != 1 {
		t.Fatalf("/etc/resolv.conf:\n%s", resolv)
	}
	// --no-hosts: the image's /etc/hosts (busybox has none).
	if rc := c.Run("run", "--rm", "--no-hosts", "bb", "cat", "/etc/hosts"); rc.ExitCode == 0 {
		t.Fatalf("--no-hosts still made /etc/hosts:\n%s", rc.Stdout)
	}
	hp1, hp2 := freePort(t, "tcp"), freePort(t, "udp")
	c.Must(t, "run", "-d", "--name", "pp", "-p", fmt.Sprintf("127.0.0.1:%d:80", hp1), "-p", fmt.Sprintf("%d:81/udp", hp2), "bb", "sleep", "300")
	want := fmt.Sprintf("127.0.0.1:%d->80/tcp, 0.0.0.0:%d->81/udp", hp1, hp2)
	if got := c.Must(t, "ps", "--format", "{{.Ports}}", "--filter", "name=pp"); got != want {
		t.Fatalf("ps {{.Ports}} %q, want %q", got, want)
	}
	if table := c.Must(t, "ps", "--filter", "name=pp"); !strings.Contains(lines(table)[0], "PORTS") || !strings.Contains(table, want) {
		t.Fatalf("ps table PORTS column:\n%s", table)
	}
	if got := c.Must(t, "port", "pp"); got != fmt.Sprintf("80/tcp -> 127.0.0.1:%d\n81/udp -> 0.0.0.0:%d", hp1, hp2) {
		t.Fatalf("port pp: %q", got)
	}
	if got := c.Must(t, "port", "pp", "80/tcp"); got != fmt.Sprintf("127.0.0.1:%d", hp1) {
		t.Fatalf("port pp 80/tcp: %q", got)
	}
	for _, mode := range []string{"bridge", "private"} {
		if out := c.Must(t, "run", "--rm", "--network", mode, "bb", "ip", "-o", "-4", "addr", "show", "eth0"); !strings.Contains(out, prefix) {
			t.Fatalf("--network %s: no address in the default network %s:\n%s", mode, n.Subnet, out)
		}
	}
	// ns:PATH joins an existing namespace.
	ns := filepath.Join(t.TempDir(), "ns")
	if err := os.WriteFile(ns, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("unshare", "--net="+ns, "true").CombinedOutput(); err != nil {
		t.Skipf("unshare --net: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", ns).Run() })
	st, err := os.Stat(ns)
	if err != nil {
		t.Fatal(err)
	}
	want = fmt.Sprintf("net:[%d]", st.Sys().(*syscall.Stat_t).Ino)
	if got := c.Must(t, "run", "--rm", "--network", "ns:"+ns, "bb", "readlink", "/proc/self/ns/net"); got != want {
		t.Fatalf("--network ns:%s: container in %s, want %s", ns, got, want)
	}
}

// TestNetworkReloadAfterFlush: every firewall rule of a network (its NAT
// chain, its FORWARD accepts, the container's DNAT) is flushed behind the
// engine's back, as a firewall restart would; `network reload` puts all of
// them back and the published port answers again. Only this network's
// rules are touched: other tests' containers keep theirs.
func TestNetworkReloadAfterFlush(t *testing.T) {
	c := newNetCLI(t)
	n := c.createNet(t)
	hp := freePort(t, "tcp")
	c.Must(t, "run", "-d", "--name", "web", "--network", n.Name, "-p", fmt.Sprintf("127.0.0.1:%d:80", hp), "bb",
		"sh", "-c", "mkdir -p /w && echo flushed > /w/index.html && httpd -f -p 80 -h /w")
	url := fmt.Sprintf("http://127.0.0.1:%d/", hp)
	if !strings.Contains(httpGet(t, url), "flushed") {
		t.Fatal("published port unreachable")
	}
	before := networkRules(t, n, hp)
	if len(before) < 4 {
		t.Fatalf("too few rules for %s to test with:\n%s", n.Subnet, strings.Join(before, "\n"))
	}
	for _, r := range before {
		table, rule, _ := strings.Cut(r, " ")
		args := append([]string{"-t", table, "-D"}, strings.Fields(strings.ReplaceAll(strings.TrimPrefix(rule, "-A "), `"`, ""))...)
		if o, err := runOut("iptables", fixComment(args)...); err != nil {
			t.Fatalf("deleting %q: %v %s", r, err, o)
		}
	}
	if left := networkRules(t, n, hp); len(left) != 0 {
		t.Fatalf("rules left after the flush:\n%s", strings.Join(left, "\n"))
	}
	c.Must(t, "network", "reload", "--all")
	after := networkRules(t, n, hp)
	if strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Fatalf("after network reload:\n%s\nwant:\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
	if !strings.Contains(httpGet(t, url), "flushed") {
		t.Fatal("published port unreachable after network reload")
	}
}

// networkRules lists "table -A ..." rules of the nat and filter tables
// that mention n's subnet or host port hp, plus the rules of n's own NAT
// chain (found through POSTROUTING's jump for the subnet).
func networkRules(t *testing.T, n testNet, hp int) []string {
	t.Helper()
	var out []string
	chain := ""
	for _, table := range []string{"nat", "filter"} {
		s, err := runOut("iptables", "-t", table, "-S")
		if err != nil {
			t.Fatal(err, s)
		}
		for _, l := range lines(s) {
			if table == "nat" && strings.HasPrefix(l, "-A POSTROUTING -s "+n.Subnet+" -j ") {
				chain = strings.Fields(l)[5]
			}
		}
		for _, l := range lines(s) {
			if !strings.HasPrefix(l, "-A ") {
				continue
			}
			if strings.Contains(l, " "+n.Subnet+" ") || strings.Contains(l, "--dport "+strconv.Itoa(hp)+" ") ||
				(chain != "" && table == "nat" && strings.HasPrefix(l, "-A "+chain+" ")) {
				out = append(out, table+" "+l)
			}
		}
	}
	// Compared as sets: other tests' rules may come and go around them.
	sort.Strings(out)
	return out
}

// TestNetworkStaticIPv6AndConnect: run --ip6/--mac-address on a dual-stack
// network, and network connect --ip/--ip6/--mac-address/--alias of a
// running container: the addresses are on the new interface and in inspect.
func TestNetworkStaticIPv6AndConnect(t *testing.T) {
	c := newNetCLI(t)
	t.Parallel()
	// The prefix as ip(8) and inspect print it (no leading zeros).
	v6 := strings.TrimSuffix(net.ParseIP(fmt.Sprintf("fd%s:%s:%s:%s::", randHex(1), randHex(2), randHex(2), randHex(2))).String(), "::")
	n := c.createNet(t, "--ipv6", "--subnet", v6+"::/64")
	prefix := strings.TrimSuffix(n.Subnet, "0/24")
	out := c.Must(t, "run", "--rm", "--network", n.Name, "--ip6", v6+"::77", "--mac-address", "02:aa:bb:cc:dd:ee", "bb",
		"sh", "-c", "ip -o -6 addr show eth0 scope global; cat /sys/class/net/eth0/address")
	if !strings.Contains(out, v6+"::77/64") || !strings.HasSuffix(out, "02:aa:bb:cc:dd:ee") {
		t.Fatalf("--ip6/--mac-address:\n%s", out)
	}
	other := c.createNet(t)
	c.Must(t, "run", "-d", "--name", "cc", "--network", other.Name, "bb", "sleep", "300")
	c.Must(t, "network", "connect", "--ip", prefix+"50", "--ip6", v6+"::50", "--mac-address", "02:11:22:33:44:55", "--alias", "cee", n.Name, "cc")
	out = c.Must(t, "exec", "cc", "sh", "-c", "ip -o addr show eth1; cat /sys/class/net/eth1/address")
	if !strings.Contains(out, prefix+"50/24") || !strings.Contains(out, v6+"::50/64") || !strings.HasSuffix(out, "02:11:22:33:44:55") {
		t.Fatalf("connect --ip/--ip6/--mac-address:\n%s", out)
	}
	f := `{{with index .NetworkSettings.Networks "` + n.Name + `"}}{{.IPAddress}} {{.GlobalIPv6Address}} {{.MacAddress}} {{.Aliases}}{{end}}`
	if got := c.Must(t, "inspect", "--format", f, "cc"); !strings.HasPrefix(got, prefix+"50 "+v6+"::50 02:11:22:33:44:55 [cee") {
		t.Fatalf("inspect after connect: %q", got)
	}
	if rc := c.Run("network", "connect", "--ip6", "fd99::1", n.Name, "cc"); rc.ExitCode != 125 {
		t.Fatalf("second connect (already connected, address outside the subnet): %s", rc)
	}
}

// TestNetworkPublishRange: -p IP:H1-H2:C1-C2 publishes each port of the
// range; -p IP::C picks a free host port that `port` reports and that
// answers.
func TestNetworkPublishRange(t *testing.T) {
	c := newNetCLI(t)
	n := c.createNet(t)
	hp := 0
	for i := 0; i < 20 && hp == 0; i++ {
		p := freePort(t, "tcp")
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+1)); err == nil {
			l.Close()
			hp = p
		}
	}
	if hp == 0 {
		t.Fatal("no two consecutive free ports")
	}
	c.Must(t, "run", "-d", "--name", "rng", "--network", n.Name, "-p", fmt.Sprintf("127.0.0.1:%d-%d:80-81", hp, hp+1),
		"-p", "127.0.0.1::82", "bb", "sh", "-c",
		"mkdir -p /w && echo range > /w/index.html && httpd -p 80 -h /w && httpd -p 81 -h /w && exec httpd -f -p 82 -h /w")
	for _, p := range []int{hp, hp + 1} {
		if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", p)); !strings.Contains(got, "range") {
			t.Fatalf("port %d of the range: %q", p, got)
		}
	}
	hostPort := c.Must(t, "port", "rng", "82/tcp")
	if !strings.HasPrefix(hostPort, "127.0.0.1:") || hostPort == "127.0.0.1:0" {
		t.Fatalf("port rng 82/tcp: %q", hostPort)
	}
	if got := httpGet(t, "http://"+hostPort+"/"); !strings.Contains(got, "range") {
		t.Fatalf("random host port %s: %q", hostPort, got)
	}
	// Mismatched range lengths are refused.
	if rc := c.Run("run", "--rm", "--network", n.Name, "-p", fmt.Sprintf("%d-%d:80-82", hp, hp+1), "bb", "true"); rc.ExitCode != 125 {
		t.Fatalf("-p with ranges of different lengths: %s", rc)
	}
}

// TestNetworkHostsFile: --hosts-file PATH|image|none picks what /etc/hosts
// starts with; the container's own entries follow in each case; bad values
// are refused at create.
func TestNetworkHostsFile(t *testing.T) {
	c := newNetCLI(t)
	t.Parallel()
	arch := filepath.Join(t.TempDir(), "hosts.tar")
	spec := testenv.ImageSpec{Layers: 2, Files: map[string]string{"/etc/hosts": "10.9.8.7\tfromimage\n"}}
	if err := testenv.WriteOCIArchive(arch, "latest", spec); err != nil {
		t.Fatal(err)
	}
	c.Must(t, "pull", "-q", "--signature-policy", c.PolicyPath, "oci-archive:"+arch)
	c.Must(t, "tag", "localhost/latest:latest", "hostsimg")
	base := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(base, []byte("10.1.1.1\tfromfile\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hostHosts, _ := os.ReadFile("/etc/hosts")
	hostLine := ""
	for _, l := range lines(string(hostHosts)) {
		if f := strings.Fields(l); len(f) > 1 && !strings.HasPrefix(l, "#") && f[1] != "localhost" {
			hostLine = l
			break
		}
	}
	for _, tc := range []struct {
		flag, want, not string
	}{
		{base, "10.1.1.1\tfromfile", "fromimage"},
		{"image", "10.9.8.7\tfromimage", "fromfile"},
		{"none", "localhost", "fromimage"},
	} {
		out := c.Must(t, "run", "--rm", "--name", "h", "--hosts-file", tc.flag, "hostsimg", "cat", "/etc/hosts")
		if !strings.Contains(out, tc.want) || strings.Contains(out, tc.not) || !regexpLine(out, `\S+\s.*\bh$`) {
			t.Errorf("--hosts-file %s:\n%s", tc.flag, out)
		}
		if tc.flag != base && hostLine != "" && strings.Contains(out, hostLine) {
			t.Errorf("--hosts-file %s still copies the host's /etc/hosts:\n%s", tc.flag, out)
		}
	}
	for _, bad := range [][]string{{"--hosts-file", "relative/hosts"}, {"--hosts-file", base, "--no-hosts"}} {
		if rc := c.Run(append(append([]string{"create"}, bad...), "hostsimg", "true")...); rc.ExitCode != 125 {
			t.Errorf("create %v: %s", bad, rc)
		}
	}
	if rc := c.Run("run", "--rm", "--hosts-file", "/nonexistent/hosts", "hostsimg", "true"); rc.ExitCode != 125 || !strings.Contains(rc.Stderr, "base hosts file") {
		t.Errorf("--hosts-file of a missing file: %s", rc)
	}
}
