package network

import (
	"context"
	"fmt"

	"github.com/selkie-containers/selkie/engine"
)

// Connect attaches a running container (set up by Setup) to one more network.
func (m *Manager) Connect(ctx context.Context, netnsPath, id, name string, pno PerNetworkOptions) (StatusBlock, error) {
	unlock, err := m.lock()
	if err != nil {
		return StatusBlock{}, err
	}
	defer unlock()
	in, ok := m.loadAttachment(id)
	if !ok {
		return StatusBlock{}, fmt.Errorf("container %.12s has no network set up", id)
	}
	nets, err := m.load()
	if err != nil {
		return StatusBlock{}, err
	}
	n, err := lookup(nets, name, m.cfg.DefaultNetwork)
	if err != nil {
		return StatusBlock{}, err
	}
	if _, dup := in.Networks[n.Name]; dup {
		return StatusBlock{}, errorf(engine.ErrInvalidArg, "container %.12s is already connected to network %s", id, n.Name)
	}
	if pno.InterfaceName == "" {
		used := map[string]bool{}
		for _, p := range in.Networks {
			used[p.InterfaceName] = true
		}
		for i := 0; ; i++ {
			if c := fmt.Sprintf("eth%d", i); !used[c] {
				pno.InterfaceName = c
				break
			}
		}
	}
	st, err := m.loadIPAM()
	if err != nil {
		return StatusBlock{}, err
	}
	ips, err := st.alloc(n, id, pno.StaticIPs)
	if err != nil {
		return StatusBlock{}, err
	}
	pno.StaticIPs = ips
	part := &netavarkInput{ContainerID: id, ContainerName: in.ContainerName, DNSServers: in.DNSServers,
		Networks: map[string]PerNetworkOptions{n.Name: pno}, NetworkInfo: map[string]engine.Network{n.Name: n}}
	in.Networks[n.Name] = pno
	in.NetworkInfo[n.Name] = n
	if err := m.saveIPAM(st); err != nil {
		return StatusBlock{}, err
	}
	if err := m.saveAttachment(in); err != nil {
		return StatusBlock{}, err
	}
	res, err := m.runSetup(ctx, netnsPath, part)
	if err != nil {
		_ = m.teardownLocked(ctx, netnsPath, part)
		st.release(n.Name, id)
		_ = m.saveIPAM(st)
		delete(in.Networks, n.Name)
		delete(in.NetworkInfo, n.Name)
		_ = m.saveAttachment(in)
		return StatusBlock{}, err
	}
	return res[n.Name], nil
}

// Disconnect detaches a running container from one network.
func (m *Manager) Disconnect(ctx context.Context, netnsPath, id, name string) error {
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	in, ok := m.loadAttachment(id)
	if !ok {
		return nil
	}
	nets, err := m.load()
	if err != nil {
		return err
	}
	if n, err := lookup(nets, name, m.cfg.DefaultNetwork); err == nil {
		name = n.Name
	}
	pno, ok := in.Networks[name]
	if !ok {
		return nil
	}
	part := &netavarkInput{ContainerID: id, ContainerName: in.ContainerName,
		Networks: map[string]PerNetworkOptions{name: pno}, NetworkInfo: map[string]engine.Network{name: in.NetworkInfo[name]}}
	runErr := m.teardownLocked(ctx, netnsPath, part)
	st, err := m.loadIPAM()
	if err != nil {
		return err
	}
	st.release(name, id)
	if err := m.saveIPAM(st); err != nil {
		return err
	}
	delete(in.Networks, name)
	delete(in.NetworkInfo, name)
	if err := m.saveAttachment(in); err != nil {
		return err
	}
	return runErr
}
