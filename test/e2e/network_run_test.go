package e2e

import (
	"strings"
	"testing"
)

func TestNetworkNoneHostContainer(t *testing.T) {
	c := newNetCLI(t)
	if out := c.Must(t, "run", "--rm", "--network", "none", "bb", "ip", "-o", "link"); len(lines(out)) != 1 || !strings.Contains(out, "lo:") {
		t.Fatalf("--network none has more than loopback:\n%s", out)
	}
	hostLinks, _ := runOut("ip", "-o", "link")
	if out := c.Must(t, "run", "--rm", "--network", "host", "bb", "ip", "-o", "link"); len(lines(out)) != len(lines(hostLinks)) {
		t.Fatalf("--network host sees other links than the host:\n%s\nhost:\n%s", out, hostLinks)
	}
}

func TestNetworkDefaultBridge(t *testing.T) {
	c := newNetCLI(t)
	n := c.useDefault(t)
	out := c.Must(t, "run", "--rm", "bb", "ip", "-o", "-4", "addr", "show", "eth0")
	if !strings.Contains(out, strings.TrimSuffix(n.Subnet, "0/24")) {
		t.Fatalf("eth0 has no address in %s:\n%s", n.Subnet, out)
	}
	if r, p := hostTraces(t, n); r != 0 || p != 0 {
		t.Fatalf("after run --rm: %d rules mention %s, %d veths on %s", r, n.Subnet, p, n.Bridge)
	}
}
