package container

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
)

func TestHumanSize(t *testing.T) {
	for n, want := range map[float64]string{0: "0B", 999: "999B", 532480: "532.5kB", 25276502016: "25.28GB", 1e6: "1MB"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%v) = %q, want %q", n, got, want)
		}
	}
}

func TestParsePortArg(t *testing.T) {
	if p, proto, err := parsePortArg("80"); err != nil || p != 80 || proto != "tcp" {
		t.Fatalf("80: %d %q %v", p, proto, err)
	}
	if p, proto, err := parsePortArg("53/udp"); err != nil || p != 53 || proto != "udp" {
		t.Fatalf("53/udp: %d %q %v", p, proto, err)
	}
	for _, bad := range []string{"x", "70000", "-1/tcp"} {
		if _, _, err := parsePortArg(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// fakePorts answers ContainerPort only.
type fakePorts struct {
	engine.Engine
	ports []engine.PortMapping
}

func (f fakePorts) ContainerPort(ctx context.Context, ref string) ([]engine.PortMapping, error) {
	return f.ports, nil
}

func TestPrintPorts(t *testing.T) {
	var out bytes.Buffer
	g := &command.Globals{Stdout: &out}
	eng := fakePorts{ports: []engine.PortMapping{
		{ContainerPort: 80, HostPort: 8080, Protocol: "tcp"},
		{HostIP: "127.0.0.1", ContainerPort: 90, HostPort: 9000, Range: 2, Protocol: "udp"},
	}}
	if err := printPorts(context.Background(), g, eng, "c", false, "", 0, ""); err != nil {
		t.Fatal(err)
	}
	want := "80/tcp -> 0.0.0.0:8080\n90/udp -> 127.0.0.1:9000\n91/udp -> 127.0.0.1:9001\n"
	if out.String() != want {
		t.Fatalf("got %q want %q", out.String(), want)
	}
	out.Reset()
	if err := printPorts(context.Background(), g, eng, "c", false, "91/udp", 91, "udp"); err != nil || out.String() != "127.0.0.1:9001\n" {
		t.Fatalf("91/udp: %q %v", out.String(), err)
	}
	if err := printPorts(context.Background(), g, eng, "c", false, "91", 91, "tcp"); err == nil || !strings.Contains(err.Error(), "failed to find published port") {
		t.Fatalf("91/tcp: %v", err)
	}
}

func TestRenderStats(t *testing.T) {
	r := renderStats(&engine.ContainerStats{ContainerID: "0123456789abcdef", Name: "n", CPU: 4.987, CPUNano: 66240440,
		MemUsage: 532480, MemLimit: 25276502016, MemPerc: 0.002, PIDs: 1}, 1.5, false)
	if r.ID != "0123456789ab" || r.CPUPerc != "1.50%" || r.AVGCPU != "4.99%" || r.MemUsage != "532.5kB / 25.28GB" ||
		r.MemPerc != "0.00%" || r.NetIO != "0B / 0B" || r.PIDS != "1" || r.CPUNano != "66.24044ms" {
		t.Fatalf("%+v", r)
	}
}
