package network

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/selkie-containers/selkie/engine"
)

// normalizePorts fills netavark's defaults: range 1, protocol tcp.
func normalizePorts(in []engine.PortMapping) []engine.PortMapping {
	out := make([]engine.PortMapping, 0, len(in))
	for _, p := range in {
		if p.Range == 0 {
			p.Range = 1
		}
		if p.Protocol == "" {
			p.Protocol = "tcp"
		}
		out = append(out, p)
	}
	return out
}

// ValidatePorts checks mappings as create must: ports in range, known
// protocols, host IPs that parse, ranges that fit.
func ValidatePorts(ports []engine.PortMapping) error {
	for _, p := range ports {
		if p.ContainerPort == 0 {
			return invalid("container port number must be non-0")
		}
		for _, proto := range strings.Split(p.Protocol, ",") {
			switch proto {
			case "", "tcp", "udp", "sctp":
			default:
				return invalid("unrecognized protocol %q in port mapping", proto)
			}
		}
		if p.HostIP != "" && net.ParseIP(p.HostIP) == nil {
			return invalid("invalid IP address %q in port mapping", p.HostIP)
		}
		r := uint32(p.Range)
		if r == 0 {
			r = 1
		}
		if uint32(p.ContainerPort)+r-1 > 65535 || uint32(p.HostPort)+r-1 > 65535 {
			return invalid("port range exceeds 65535")
		}
	}
	return nil
}

// ResolvePorts expands the user's mappings into the ones to set up: each
// protocol of "tcp,udp" on its own, a free host port picked for every
// mapping without one, and with publishAll a mapping on a free host port for
// every exposed port (--expose and the image's EXPOSE) not already published.
func ResolvePorts(ports []engine.PortMapping, publishAll bool, exposed []string) ([]engine.PortMapping, error) {
	var out []engine.PortMapping
	mapped := map[string]bool{}
	for _, p := range normalizePorts(ports) {
		for _, proto := range strings.Split(p.Protocol, ",") {
			q := p
			q.Protocol = proto
			if q.HostPort == 0 {
				hp, err := freePort(q.HostIP, proto, q.Range)
				if err != nil {
					return nil, err
				}
				q.HostPort = hp
			}
			for i := uint16(0); i < q.Range; i++ {
				mapped[fmt.Sprintf("%d/%s", q.ContainerPort+i, proto)] = true
			}
			out = append(out, q)
		}
	}
	if !publishAll {
		return out, nil
	}
	var extra []engine.PortMapping
	for _, e := range exposed {
		port, proto, err := parseExpose(e)
		if err != nil {
			return nil, err
		}
		for i := port.lo; i <= port.hi; i++ {
			key := fmt.Sprintf("%d/%s", i, proto)
			if mapped[key] {
				continue
			}
			mapped[key] = true
			hp, err := freePort("", proto, 1)
			if err != nil {
				return nil, err
			}
			extra = append(extra, engine.PortMapping{ContainerPort: i, HostPort: hp, Range: 1, Protocol: proto})
		}
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i].ContainerPort < extra[j].ContainerPort })
	return append(out, extra...), nil
}

type portRange struct{ lo, hi uint16 }

// parseExpose reads "80", "80/udp" or "8000-8010/tcp".
func parseExpose(s string) (portRange, string, error) {
	proto := "tcp"
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s, proto = s[:i], strings.ToLower(s[i+1:])
	}
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return portRange{}, "", invalid("invalid protocol %q for exposed port", proto)
	}
	lo, hi, found := strings.Cut(s, "-")
	l, err := strconv.ParseUint(lo, 10, 16)
	if err != nil || l == 0 {
		return portRange{}, "", invalid("invalid exposed port %q", s)
	}
	h := l
	if found {
		if h, err = strconv.ParseUint(hi, 10, 16); err != nil || h < l {
			return portRange{}, "", invalid("invalid exposed port range %q", s)
		}
	}
	return portRange{uint16(l), uint16(h)}, proto, nil
}

// freePort asks the kernel for a free port (n consecutive ones for a range).
func freePort(hostIP, proto string, n uint16) (uint16, error) {
	if n == 0 {
		n = 1
	}
	for tries := 0; tries < 20; tries++ {
		p, err := kernelPort(hostIP, proto)
		if err != nil {
			return 0, err
		}
		if uint32(p)+uint32(n)-1 > 65535 {
			continue
		}
		ok := true
		for i := uint16(1); i < n && ok; i++ {
			ok = CheckPortFree(hostIP, proto, p+i) == nil
		}
		if ok {
			return p, nil
		}
	}
	return 0, fmt.Errorf("failed to find %d free %s ports", n, proto)
}

func kernelPort(hostIP, proto string) (uint16, error) {
	addr := net.JoinHostPort(hostIP, "0")
	if proto == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return uint16(c.LocalAddr().(*net.UDPAddr).Port), nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port), nil
}

// CheckPortFree fails, with Podman's wording, when a host process already
// listens on the port (netavark's DNAT rules would silently shadow it).
func CheckPortFree(hostIP, proto string, port uint16) error {
	addr := net.JoinHostPort(hostIP, strconv.Itoa(int(port)))
	switch proto {
	case "udp":
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return fmt.Errorf("cannot listen on the UDP port: %w", err)
		}
		return c.Close()
	case "sctp":
		return nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen on the TCP port: %w", err)
	}
	return l.Close()
}

// InspectPorts renders mappings as inspect's NetworkSettings.Ports; exposed
// ports without a mapping appear with a nil binding list, as in Podman.
func InspectPorts(ports []engine.PortMapping, exposed []string) map[string][]engine.InspectHostPort {
	out := map[string][]engine.InspectHostPort{}
	for _, e := range exposed {
		if r, proto, err := parseExpose(e); err == nil {
			for i := r.lo; i <= r.hi && i >= r.lo; i++ {
				out[fmt.Sprintf("%d/%s", i, proto)] = nil
				if i == 65535 {
					break
				}
			}
		}
	}
	for _, p := range normalizePorts(ports) {
		for _, proto := range strings.Split(p.Protocol, ",") {
			for i := uint16(0); i < p.Range; i++ {
				key := fmt.Sprintf("%d/%s", p.ContainerPort+i, proto)
				hp := ""
				if p.HostPort != 0 {
					hp = strconv.Itoa(int(p.HostPort + i))
				}
				out[key] = append(out[key], engine.InspectHostPort{HostIP: p.HostIP, HostPort: hp})
			}
		}
	}
	return out
}

// FormatPorts renders mappings as ps's PORTS column and `port`'s lines:
// "0.0.0.0:8080->80/tcp, 127.0.0.1:9000-9001->90-91/udp".
func FormatPorts(ports []engine.PortMapping) string {
	var parts []string
	for _, p := range normalizePorts(ports) {
		for _, proto := range strings.Split(p.Protocol, ",") {
			hostIP := p.HostIP
			if hostIP == "" {
				hostIP = "0.0.0.0"
			}
			if p.Range > 1 {
				parts = append(parts, fmt.Sprintf("%s:%d-%d->%d-%d/%s", hostIP, p.HostPort, p.HostPort+p.Range-1, p.ContainerPort, p.ContainerPort+p.Range-1, proto))
			} else {
				parts = append(parts, fmt.Sprintf("%s:%d->%d/%s", hostIP, p.HostPort, p.ContainerPort, proto))
			}
		}
	}
	return strings.Join(parts, ", ")
}
