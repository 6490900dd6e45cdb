package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// netCLI is a CLI with private storage, a private network config dir (set
// through CONTAINERS_CONF) and the busybox image tagged "bb".
type netCLI struct {
	*testenv.CLI
	confDir  string
	confFile string
}

func newNetCLI(t *testing.T) *netCLI {
	t.Helper()
	testenv.RequiresRoot(t)
	for _, b := range []string{"/usr/lib/podman/netavark", "/usr/lib/podman/aardvark-dns"} {
		if _, err := os.Stat(b); err != nil {
			t.Skipf("%s not installed", b)
		}
	}
	if testenv.LookPath("iptables") == "" && testenv.LookPath("/usr/sbin/iptables") == "" {
		if _, err := os.Stat("/usr/sbin/iptables"); err != nil {
			t.Skip("iptables not installed")
		}
	}
	ic := newImageCLI(t)
	ic.pullArchive(t, "bb")
	dir := t.TempDir()
	nets := filepath.Join(dir, "networks")
	if err := os.MkdirAll(nets, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "containers.conf")
	data := fmt.Sprintf("[containers]\ndefault_ulimits = []\n[network]\nnetwork_config_dir = %q\n", nets)
	if err := os.WriteFile(conf, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	ic.CLI.Env = append(ic.CLI.Env, "CONTAINERS_CONF="+conf)
	return &netCLI{CLI: ic.CLI, confDir: nets, confFile: conf}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// testNet is a network private to one test: its own bridge name and subnet.
type testNet struct {
	Name, Bridge, Subnet, Gateway string
}

// createNet makes a bridge network with a random interface and a random
// 10.2xx.y.0/24 subnet so tests never collide with each other or the host.
func (c *netCLI) createNet(t *testing.T, args ...string) testNet {
	t.Helper()
	// Another test (or the host) may hold the random subnet: pick again.
	for i := 0; i < 5; i++ {
		n := newTestNet()
		rc := c.Run(append([]string{"network", "create", "--subnet", n.Subnet, "--interface-name", n.Bridge}, append(args, n.Name)...)...)
		if rc.ExitCode == 0 {
			t.Cleanup(func() { c.Run("network", "rm", "-f", "-t", "0", n.Name) })
			return n
		}
		if !strings.Contains(rc.Stderr, "is already used on the host or by another config") {
			t.Fatalf("network create %s: %s", n.Subnet, rc)
		}
	}
	t.Fatal("no free random subnet in 5 tries")
	return testNet{}
}

// newTestNet picks a name, bridge and subnet (not created yet).
func newTestNet() testNet {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	n := testNet{Name: "t" + randHex(4), Bridge: "slk" + randHex(4),
		Subnet: fmt.Sprintf("10.%d.%d.0/24", 200+int(b[0])%50, b[1])}
	n.Gateway = strings.TrimSuffix(n.Subnet, "0/24") + "1"
	return n
}

// createTestNet creates n (from newTestNet) with extra network create args.
func (c *netCLI) createTestNet(t *testing.T, n testNet, args ...string) testNet {
	t.Helper()
	c.Must(t, append([]string{"network", "create", "--subnet", n.Subnet, "--interface-name", n.Bridge}, append(args, n.Name)...)...)
	// Runs before NewCLI's cleanup: -f removes the containers first; the
	// bridge and the network's rules go with the network.
	t.Cleanup(func() { c.Run("network", "rm", "-f", "-t", "0", n.Name) })
	return n
}

// useDefault makes a private network the default one (containers.conf
// default_network), so tests of the default network run in parallel with
// each other and with real Podman containers on podman0. At cleanup it is
// made an ordinary network again and removed with its bridge and rules.
func (c *netCLI) useDefault(t *testing.T) testNet {
	t.Helper()
	n := c.createNet(t, "--disable-dns")
	c.setConf(t, fmt.Sprintf("default_network = %q\n", n.Name))
	t.Cleanup(func() { c.setConf(t, "") })
	return n
}

func (c *netCLI) setConf(t *testing.T, extra string) {
	data := fmt.Sprintf("[containers]\ndefault_ulimits = []\n[network]\nnetwork_config_dir = %q\n%s", c.confDir, extra)
	if err := os.WriteFile(c.confFile, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// hostTraces counts iptables rules that mention the subnet and the
// container veths attached to the bridge (not Selkie's keeper link, which
// holds the bridge until network rm).
func hostTraces(t *testing.T, n testNet) (rules, ports int) {
	t.Helper()
	out, err := exec.Command("iptables-save").Output()
	if err != nil {
		t.Fatal(err)
	}
	rules = strings.Count(string(out), n.Subnet)
	out, _ = exec.Command("ip", "-o", "link", "show", "master", n.Bridge).Output()
	for _, l := range lines(string(out)) {
		if !strings.Contains(l, ": slkk") {
			ports++
		}
	}
	return rules, ports
}

func runOut(name string, args ...string) (string, error) {
	out, err := boundedCmd(time.Minute, name, args...).CombinedOutput()
	return string(out), err
}

func regexpLine(s, re string) bool {
	return regexp.MustCompile(`(?m)^` + re).MatchString(s)
}

const udpEchoSrc = `package main

import (
	"net"
	"os"
)

func main() {
	pc, err := net.ListenPacket("udp", os.Args[1])
	if err != nil {
		panic(err)
	}
	buf := make([]byte, 2048)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			panic(err)
		}
		pc.WriteTo(append([]byte("echo:"), buf[:n]...), addr)
	}
}
`

// udpEchoBinary builds a static UDP echo server (busybox has no UDP server)
// to bind-mount into a container.
func udpEchoBinary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(udpEchoSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module udpecho\n\ngo 1.21\n"), 0o644)
	out := filepath.Join(dir, "udpecho")
	cmd := boundedCmd(5*time.Minute, "go", "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot build the UDP echo helper: %v %s", err, b)
	}
	return out
}

func testenvLookPath(name string) string { return testenv.LookPath(name) }
