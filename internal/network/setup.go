package network

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/selkie-containers/selkie/engine"
)

// An attachment file (<RunDir>/selkie-attachments/<container ID>.json) holds
// the exact netavark input of a container's setup. It is written before
// netavark runs and removed after teardown, so a teardown always undoes what
// was really set up, even after a crash in between.

func (m *Manager) attachmentPath(id string) string {
	if !isHex(id) || id == "" {
		// Container IDs are hex; anything else must not become a path.
		id = "invalid-" + hex.EncodeToString([]byte(id))
	}
	return filepath.Join(m.cfg.RunDir, "selkie-attachments", id+".json")
}

func (m *Manager) loadAttachment(id string) (*netavarkInput, bool) {
	data, err := os.ReadFile(m.attachmentPath(id))
	if err != nil {
		return nil, false
	}
	in := &netavarkInput{}
	if json.Unmarshal(data, in) != nil || in.ContainerID != id {
		return nil, false
	}
	return in, true
}

func (m *Manager) saveAttachment(in *netavarkInput) error {
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return writeFileAtomic(m.attachmentPath(in.ContainerID), data, 0o600, false)
}

// Setup allocates addresses, reserves host ports and runs `netavark setup`
// on the namespace at netnsPath. It returns netavark's status per network
// name. On failure everything is released and whatever netavark did is torn
// down. A setup left behind by a crash is torn down first.
func (m *Manager) Setup(ctx context.Context, netnsPath string, o SetupOptions) (map[string]StatusBlock, error) {
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := m.teardownStale(ctx, o.ContainerID); err != nil {
		return nil, err
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
	if err := m.saveAttachment(in); err != nil {
		return nil, err
	}
	result, err := m.runSetup(ctx, netnsPath, in)
	if err != nil {
		_ = m.execNetavark(ctx, []string{"teardown", netnsPath}, in, nil)
		m.releaseLocked(st, in)
		return nil, err
	}
	// Only the default network keeps its bridge between containers (the
	// run --rm fast path, like docker0); user networks go away with their
	// last container, as in Podman.
	if n, ok := in.NetworkInfo[m.cfg.DefaultNetwork]; ok && n.Driver == "bridge" && n.NetworkInterface != "" {
		_ = ensureKeeper(n.NetworkInterface)
	}
	return result, nil
}

func (m *Manager) runSetup(ctx context.Context, netnsPath string, in *netavarkInput) (map[string]StatusBlock, error) {
	result := map[string]StatusBlock{}
	err := m.execNetavark(ctx, []string{"setup", netnsPath}, in, &result)
	if err == nil && len(result) != len(in.Networks) {
		err = fmt.Errorf("unexpected netavark result length, want (%d), got (%d) networks", len(in.Networks), len(result))
	}
	return result, err
}

// teardownStale undoes a setup of id that never got its teardown.
func (m *Manager) teardownStale(ctx context.Context, id string) error {
	stale, ok := m.loadAttachment(id)
	if !ok {
		return nil
	}
	if err := m.teardownLocked(ctx, "", stale); err != nil {
		return fmt.Errorf("cleaning up an earlier network setup: %w", err)
	}
	st, err := m.loadIPAM()
	if err != nil {
		return err
	}
	m.releaseLocked(st, stale)
	return nil
}

// releaseLocked frees in's addresses and ports and drops its attachment file.
func (m *Manager) releaseLocked(st *ipamState, in *netavarkInput) {
	for name := range in.Networks {
		st.release(name, in.ContainerID)
	}
	st.releasePorts(in.ContainerID)
	_ = m.saveIPAM(st)
	_ = os.Remove(m.attachmentPath(in.ContainerID))
}

// Teardown runs `netavark teardown` for what Setup set up and releases the
// container's addresses and ports. It succeeds when run twice, when setup
// never finished, and when the namespace is gone (the firewall rules and the
// bridge are then removed through a fresh, empty namespace).
func (m *Manager) Teardown(ctx context.Context, netnsPath string, o SetupOptions) error {
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, err := m.loadIPAM()
	if err != nil {
		return err
	}
	in, ok := m.loadAttachment(o.ContainerID)
	if !ok {
		// No record of a setup: nothing was set up, or it was torn down.
		// Still free anything held under the container's ID.
		for name := range o.Networks {
			st.release(name, o.ContainerID)
		}
		st.releasePorts(o.ContainerID)
		return m.saveIPAM(st)
	}
	runErr := m.teardownLocked(ctx, netnsPath, in)
	m.releaseLocked(st, in)
	return runErr
}

// Forget frees the addresses and ports of o.ContainerID and drops its
// setup record without running netavark: for a teardown whose network
// stack is already gone (the rootless network namespace ended with it).
func (m *Manager) Forget(o SetupOptions) error {
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, err := m.loadIPAM()
	if err != nil {
		return err
	}
	if in, ok := m.loadAttachment(o.ContainerID); ok {
		m.releaseLocked(st, in)
		return nil
	}
	for name := range o.Networks {
		st.release(name, o.ContainerID)
	}
	st.releasePorts(o.ContainerID)
	return m.saveIPAM(st)
}

// Reload re-applies a running container's setup (firewall rules after an
// `iptables -F`, a restarted aardvark-dns) with the same addresses.
func (m *Manager) Reload(ctx context.Context, netnsPath, id string) (map[string]StatusBlock, error) {
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	in, ok := m.loadAttachment(id)
	if !ok {
		return nil, fmt.Errorf("container %.12s has no network set up", id)
	}
	_ = m.execNetavark(ctx, []string{"teardown", netnsPath}, in, nil)
	return m.runSetup(ctx, netnsPath, in)
}

// teardownLocked runs netavark teardown for in. netavark stops at a missing
// veth before it removes the network's bridge and rules, so missing links
// get a placeholder first; a vanished namespace is replaced by a fresh one.
func (m *Manager) teardownLocked(ctx context.Context, netnsPath string, in *netavarkInput) error {
	if len(in.Networks) == 0 {
		return nil
	}
	var links []string
	for _, pno := range in.Networks {
		links = append(links, pno.InterfaceName)
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
	return m.execNetavark(ctx, []string{"teardown", ns}, in, nil)
}

// prepare resolves the networks and allocates addresses.
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
			for done := range in.Networks {
				st.release(done, o.ContainerID)
			}
			return nil, nil, err
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
		}
		in.Networks[n.Name] = pno
		in.NetworkInfo[n.Name] = n
	}
	return in, st, nil
}
