package network

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"

	"github.com/selkie-containers/selkie/engine"
)

// Setup allocates addresses and runs `netavark setup` on the namespace at
// netnsPath. It returns netavark's status per network name. On failure the
// addresses are released and whatever netavark did is torn down.
func (m *Manager) Setup(ctx context.Context, netnsPath string, o SetupOptions) (map[string]StatusBlock, error) {
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Addresses still held from an earlier setup that never got its teardown
	// (the engine was killed): undo that first so nothing leaks.
	if stale, st, err := m.prepare(o, false); err == nil {
		if err := m.teardownLocked(ctx, "", stale); err != nil {
			return nil, fmt.Errorf("cleaning up an earlier network setup: %w", err)
		}
		for name := range stale.Networks {
			st.release(name, o.ContainerID)
		}
		st.releasePorts(o.ContainerID)
		if err := m.saveIPAM(st); err != nil {
			return nil, err
		}
	}
	in, st, err := m.prepare(o, true)
	if err != nil {
		return nil, err
	}
	if err := st.holdPorts(in.PortMappings, o.ContainerID); err != nil {
		return nil, err
	}
	if err := m.saveIPAM(st); err != nil {
		return nil, err
	}
	result := map[string]StatusBlock{}
	err = m.execNetavark(ctx, []string{"setup", netnsPath}, in, &result)
	if err == nil && len(result) != len(in.Networks) {
		err = fmt.Errorf("unexpected netavark result length, want (%d), got (%d) networks", len(in.Networks), len(result))
	}
	if err != nil {
		_ = m.execNetavark(ctx, []string{"teardown", netnsPath}, in, nil)
		for name := range in.Networks {
			st.release(name, o.ContainerID)
		}
		st.releasePorts(o.ContainerID)
		_ = m.saveIPAM(st)
		return nil, err
	}
	return result, nil
}

// Teardown runs `netavark teardown` and releases the container's addresses.
// It succeeds when run twice, when setup never finished, and when the
// namespace is gone (the firewall rules and the bridge are then removed
// through a fresh, empty namespace).
func (m *Manager) Teardown(ctx context.Context, netnsPath string, o SetupOptions) error {
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	in, st, err := m.prepare(o, false)
	if err != nil {
		return err
	}
	runErr := m.teardownLocked(ctx, netnsPath, in)
	for name := range o.Networks {
		st.release(name, o.ContainerID)
	}
	for name := range in.Networks {
		st.release(name, o.ContainerID)
	}
	st.releasePorts(o.ContainerID)
	if err := m.saveIPAM(st); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// teardownLocked runs netavark teardown for the networks on which the
// container still holds addresses; nothing held means nothing to undo.
func (m *Manager) teardownLocked(ctx context.Context, netnsPath string, in *netavarkInput) error {
	held := &netavarkInput{
		ContainerID: in.ContainerID, ContainerName: in.ContainerName,
		PortMappings: in.PortMappings, DNSServers: in.DNSServers,
		Networks: map[string]PerNetworkOptions{}, NetworkInfo: map[string]engine.Network{},
	}
	var links []string
	for name, pno := range in.Networks {
		if len(pno.StaticIPs) == 0 && in.NetworkInfo[name].IPAMOptions["driver"] != "none" {
			continue
		}
		held.Networks[name] = pno
		held.NetworkInfo[name] = in.NetworkInfo[name]
		links = append(links, pno.InterfaceName)
	}
	if len(held.Networks) == 0 {
		return nil
	}
	ns := netnsPath
	if _, err := os.Stat(ns); ns == "" || errors.Is(err, fs.ErrNotExist) {
		tmp, cleanup, err := tempNetns(m.cfg.RunDir)
		if err != nil {
			return err
		}
		defer cleanup()
		ns = tmp
	}
	if err := ensureLinks(ns, links); err != nil {
		return err
	}
	return m.execNetavark(ctx, []string{"teardown", ns}, held, nil)
}

// prepare resolves the networks and fills in addresses: new ones when alloc,
// else the ones the container already holds. Networks that no longer exist
// are left out (nothing can be torn down for them but their addresses).
func (m *Manager) prepare(o SetupOptions, alloc bool) (*netavarkInput, *ipamState, error) {
	nets, err := m.load()
	if err != nil {
		return nil, nil, err
	}
	st, err := m.loadIPAM()
	if err != nil {
		return nil, nil, err
	}
	in := &netavarkInput{
		ContainerID: o.ContainerID, ContainerName: o.ContainerName,
		PortMappings: normalizePorts(o.PortMappings), DNSServers: o.DNSServers,
		Networks: map[string]PerNetworkOptions{}, NetworkInfo: map[string]engine.Network{},
	}
	names := make([]string, 0, len(o.Networks))
	for name := range o.Networks {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		pno := o.Networks[name]
		n, err := lookup(nets, name, m.cfg.DefaultNetwork)
		if err != nil {
			if alloc {
				return nil, nil, err
			}
			continue
		}
		if pno.InterfaceName == "" {
			pno.InterfaceName = fmt.Sprintf("eth%d", i)
		}
		if alloc {
			ips, err := st.alloc(n, o.ContainerID, pno.StaticIPs)
			if err != nil {
				for done := range in.Networks {
					st.release(done, o.ContainerID)
				}
				return nil, nil, err
			}
			pno.StaticIPs = ips
		} else {
			pno.StaticIPs = st.assigned(n.Name, o.ContainerID)
		}
		in.Networks[n.Name] = pno
		in.NetworkInfo[n.Name] = n
	}
	return in, st, nil
}
