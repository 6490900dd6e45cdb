package local

import (
	"context"
	"fmt"
	"net"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/network"
	"github.com/selkie-containers/selkie/internal/state"
)

// NetworkConnect attaches a container to a network: in its record always,
// and live when it is running.
func (e *Engine) NetworkConnect(ctx context.Context, netName string, o engine.NetworkConnectOptions) error {
	m, err := e.bridgeNetworks(ctx)
	if err != nil {
		return err
	}
	n, err := m.Get(netName)
	if err != nil {
		return err
	}
	for _, a := range o.Aliases {
		if err := network.ValidateAlias(a); err != nil {
			return err
		}
	}
	pno := network.PerNetworkOptions{Aliases: o.Aliases, StaticIPs: o.StaticIPs, InterfaceName: o.InterfaceName}
	for _, ip := range o.StaticIPs {
		if net.ParseIP(ip) == nil {
			return fmt.Errorf("%s is not an ip address: %w", ip, engine.ErrInvalidArg)
		}
	}
	if o.StaticMAC != "" {
		hw, err := net.ParseMAC(o.StaticMAC)
		if err != nil {
			return fmt.Errorf("invalid MAC address %q: %w", o.StaticMAC, engine.ErrInvalidArg)
		}
		pno.StaticMAC = hw.String()
	}
	return e.withContainer(ctx, o.Container, func(c *state.Container) error {
		mode, err := e.containerMode(c)
		if err != nil {
			return err
		}
		if mode.Kind != network.ModeBridge {
			return fmt.Errorf("%q is not supported: %w", "network connect with network mode "+mode.Kind, engine.ErrInvalidArg)
		}
		if _, ok := mode.Networks[n.Name]; ok {
			return fmt.Errorf("container %s is already connected to network %s: %w", c.ID[:12], n.Name, engine.ErrInvalidArg)
		}
		if c.State.Network != nil {
			live := pno
			if n.DNSEnabled {
				live.Aliases = append(append([]string{}, live.Aliases...), c.ID[:12])
			}
			path, err := e.netnsPath(c.ID)
			if err != nil {
				return err
			}
			sb, err := m.Connect(ctx, path, c.ID, n.Name, live)
			if err != nil {
				return err
			}
			if c.State.Network.Settings.Networks == nil {
				c.State.Network.Settings.Networks = map[string]*engine.NetworkEndpoint{}
			}
			c.State.Network.Settings.Networks[n.Name] = endpoint(n, live, sb)
		}
		mode.Names = append(mode.Names, n.Name)
		mode.Networks[n.Name] = pno
		setNetworks(c, mode)
		return nil
	})
}

// NetworkDisconnect detaches a container from a network.
func (e *Engine) NetworkDisconnect(ctx context.Context, netName string, o engine.NetworkDisconnectOptions) error {
	m, err := e.bridgeNetworks(ctx)
	if err != nil {
		return err
	}
	name := netName
	if n, err := m.Get(netName); err == nil {
		name = n.Name
	} else if !o.Force {
		return err
	}
	return e.withContainer(ctx, o.Container, func(c *state.Container) error {
		mode, err := e.containerMode(c)
		if err != nil {
			return err
		}
		if _, ok := mode.Networks[name]; !ok || mode.Kind != network.ModeBridge {
			return fmt.Errorf("container %s is not connected to network %s: %w", c.ID[:12], name, engine.ErrInvalidArg)
		}
		if c.State.Network != nil {
			path, err := e.netnsPath(c.ID)
			if err != nil {
				return err
			}
			if err := m.Disconnect(ctx, path, c.ID, name); err != nil {
				return err
			}
			delete(c.State.Network.Settings.Networks, name)
		}
		delete(mode.Networks, name)
		var names []string
		for _, x := range mode.Names {
			if x != name {
				names = append(names, x)
			}
		}
		mode.Names = names
		setNetworks(c, mode)
		return nil
	})
}

// setNetworks writes a bridge mode's networks back into the record.
func setNetworks(c *state.Container, mode network.Mode) {
	if len(mode.Names) == 0 {
		c.Options.Network, c.Options.Networks = "none", nil
		return
	}
	var entries []string
	for _, n := range mode.Names {
		entries = append(entries, network.FormatEntry(n, mode.Networks[n]))
	}
	c.Options.Network, c.Options.Networks = "", entries
}

// NetworkReload re-applies a running container's firewall rules.
func (e *Engine) NetworkReload(ctx context.Context, ref string) (string, error) {
	var id string
	err := e.withContainer(ctx, ref, func(c *state.Container) error {
		id = c.ID
		if c.State.Network == nil {
			if c.State.Status != state.StatusRunning {
				return fmt.Errorf("container %s is not running: %w", c.ID[:12], engine.ErrCtrStateInvalid)
			}
			return errNoSave
		}
		m, err := e.bridgeNetworks(ctx)
		if err != nil {
			return err
		}
		path, err := e.netnsPath(c.ID)
		if err != nil {
			return err
		}
		if _, err := m.Reload(ctx, path, c.ID); err != nil {
			return err
		}
		return errNoSave
	})
	return id, err
}
