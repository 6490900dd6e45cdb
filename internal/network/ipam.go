package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/selkie-containers/selkie/engine"
)

// ipamState records which container holds which address, per network. It is
// a small JSON file in the run directory, read and written under the config
// lock, so it vanishes with the network namespaces on reboot.
type ipamState struct {
	Networks map[string]*ipamNet `json:"networks"`
	// Ports are the host ports containers publish: netavark only installs
	// DNAT rules, so two containers (or a host process) could otherwise take
	// the same port without an error.
	Ports []portHold `json:"ports,omitempty"`
}

type portHold struct {
	Proto       string `json:"proto"`
	HostIP      string `json:"hostIp,omitempty"`
	Port        uint16 `json:"port"`
	ContainerID string `json:"containerId"`
}

type ipamNet struct {
	// Last is the last address handed out per subnet, so a freed address is
	// not reused at once (as Podman's IPAM does).
	Last map[string]string `json:"last,omitempty"`
	// IPs maps an address to the container ID holding it.
	IPs map[string]string `json:"ips"`
}

func (m *Manager) ipamPath() string { return filepath.Join(m.cfg.RunDir, "selkie-ipam.json") }

func (m *Manager) loadIPAM() (*ipamState, error) {
	st := &ipamState{Networks: map[string]*ipamNet{}}
	data, err := os.ReadFile(m.ipamPath())
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, st); err != nil || st.Networks == nil {
		// A torn file cannot happen (atomic writes); start afresh if it is junk.
		st.Networks = map[string]*ipamNet{}
	}
	return st, nil
}

func (m *Manager) saveIPAM(st *ipamState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return writeFileAtomic(m.ipamPath(), data, 0o600, false)
}

func (st *ipamState) net(name string) *ipamNet {
	n := st.Networks[name]
	if n == nil {
		n = &ipamNet{Last: map[string]string{}, IPs: map[string]string{}}
		st.Networks[name] = n
	}
	if n.Last == nil {
		n.Last = map[string]string{}
	}
	if n.IPs == nil {
		n.IPs = map[string]string{}
	}
	return n
}

// alloc gives ctrID one address in every subnet of n: the static one the
// user asked for in that subnet, else the next free one.
func (st *ipamState) alloc(n engine.Network, ctrID string, static []string) ([]string, error) {
	if n.IPAMOptions["driver"] == "none" {
		return nil, nil
	}
	for _, sip := range static {
		p, ok := net.ParseIP(sip), false
		for _, s := range n.Subnets {
			if _, ipn, err := net.ParseCIDR(s.Subnet); err == nil && p != nil && ipn.Contains(p) {
				ok = true
			}
		}
		if !ok {
			return nil, errorfInvalid("requested static ip %s not in any subnet on network %s", sip, n.Name)
		}
	}
	in := st.net(n.Name)
	var out []string
	used := make([]bool, len(static))
	for _, s := range n.Subnets {
		_, ipn, err := net.ParseCIDR(s.Subnet)
		if err != nil {
			return nil, err
		}
		var ip net.IP
		for i, sip := range static {
			if p := net.ParseIP(sip); p != nil && ipn.Contains(p) && !used[i] {
				if owner, ok := in.IPs[p.String()]; ok && owner != ctrID {
					return nil, errorfInvalid("requested ip address %s is already allocated to container ID %s", p, owner)
				}
				ip, used[i] = p, true
				break
			}
		}
		if ip == nil {
			if ip, err = in.next(s, ipn, ctrID); err != nil {
				return nil, err
			}
		}
		in.IPs[ip.String()] = ctrID
		out = append(out, ip.String())
	}
	for i, u := range used {
		if !u {
			return nil, errorfInvalid("requested static ip %s not in any subnet on network %s", static[i], n.Name)
		}
	}
	return out, nil
}

// next finds a free address in the subnet's lease range, starting after the
// last one handed out and wrapping around once.
func (in *ipamNet) next(s engine.Subnet, ipn *net.IPNet, ctrID string) (net.IP, error) {
	start, end := firstIP(ipn), lastIP(ipn)
	if isIPv4(ipn) {
		end = addIP(end, -1) // broadcast
	}
	if s.LeaseRange != nil {
		if p := net.ParseIP(s.LeaseRange.StartIP); p != nil && ipn.Contains(p) {
			start = p
		}
		if p := net.ParseIP(s.LeaseRange.EndIP); p != nil && ipn.Contains(p) && ipLess(p, end) {
			end = p
		}
	}
	gw := net.ParseIP(s.Gateway)
	free := func(ip net.IP) bool {
		if gw != nil && ip.Equal(gw) {
			return false
		}
		_, taken := in.IPs[ip.String()]
		return !taken
	}
	from := start
	if last := net.ParseIP(in.Last[ipn.String()]); last != nil && ipn.Contains(last) && !ipLess(last, start) && ipLess(last, end) {
		from = addIP(last, 1)
	}
	for ip := from; !ipLess(end, ip); ip = addIP(ip, 1) {
		if free(ip) {
			in.Last[ipn.String()] = ip.String()
			return ip, nil
		}
	}
	for ip := start; ipLess(ip, from); ip = addIP(ip, 1) {
		if free(ip) {
			in.Last[ipn.String()] = ip.String()
			return ip, nil
		}
	}
	return nil, errorfInvalid("failed to find free IP in range: %s - %s", start, end)
}

// assigned returns ctrID's addresses on network name.
func (st *ipamState) assigned(name, ctrID string) []string {
	in := st.Networks[name]
	if in == nil {
		return nil
	}
	var out []string
	for ip, id := range in.IPs {
		if id == ctrID {
			out = append(out, ip)
		}
	}
	return out
}

// release frees ctrID's addresses on network name.
func (st *ipamState) release(name, ctrID string) {
	in := st.Networks[name]
	if in == nil {
		return
	}
	for ip, id := range in.IPs {
		if id == ctrID {
			delete(in.IPs, ip)
		}
	}
	if len(in.IPs) == 0 && len(in.Last) == 0 {
		delete(st.Networks, name)
	}
}

// holdPorts reserves the host ports of ports for ctrID, failing when another
// container holds one or a host process listens on it.
func (st *ipamState) holdPorts(ports []engine.PortMapping, ctrID string) error {
	var add []portHold
	for _, p := range normalizePorts(ports) {
		for _, proto := range strings.Split(p.Protocol, ",") {
			for i := uint16(0); i < p.Range; i++ {
				h := portHold{Proto: proto, HostIP: p.HostIP, Port: p.HostPort + i, ContainerID: ctrID}
				for _, o := range append(st.Ports, add...) {
					if o.Proto == h.Proto && o.Port == h.Port && (o.HostIP == h.HostIP || o.HostIP == "" || h.HostIP == "") && o.ContainerID != ctrID {
						return fmt.Errorf("cannot listen on the %s port %d: port is already used by container %.12s", strings.ToUpper(proto), h.Port, o.ContainerID)
					}
				}
				if err := CheckPortFree(h.HostIP, proto, h.Port); err != nil {
					return err
				}
				add = append(add, h)
			}
		}
	}
	st.Ports = append(st.Ports, add...)
	return nil
}

func (st *ipamState) releasePorts(ctrID string) {
	kept := st.Ports[:0]
	for _, h := range st.Ports {
		if h.ContainerID != ctrID {
			kept = append(kept, h)
		}
	}
	st.Ports = kept
}
