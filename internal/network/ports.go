package network

import (
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
