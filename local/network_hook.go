package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/network"
	"github.com/selkie-containers/selkie/internal/state"
)

// setupNetwork attaches the container's network namespace (a bind-mounted
// netns file at netnsPath, created by the caller) to the networks the
// container asked for, records the result in c.State.Network (inspect, port,
// /etc/hosts, resolv.conf) and returns inspect's NetworkSettings.
func (e *Engine) setupNetwork(ctx context.Context, c *state.Container, netnsPath string) (*engine.NetworkSettings, error) {
	c.State.Network = nil
	mode, err := e.containerMode(c)
	if err != nil {
		return nil, err
	}
	if e.cfg.Rootless && c.Options.Network == "" && len(c.Options.Networks) == 0 {
		// The default rootless network: pasta, or slirp4netns when only it
		// is installed (teardownNetwork stops either).
		mode.Kind = network.RootlessFallback(mode.Kind, e.haveHelper)
	}
	if mode.Kind == network.ModePasta {
		return e.setupPasta(ctx, c, mode, netnsPath)
	}
	if mode.Kind == network.ModeSlirp {
		return e.setupSlirp(ctx, c, mode, netnsPath)
	}
	if mode.Kind != network.ModeBridge {
		return &engine.NetworkSettings{SandboxKey: netnsPath}, nil
	}
	exposed := exposedPorts(c)
	if err := network.ValidatePorts(c.Options.PortMappings); err != nil {
		return nil, err
	}
	ports, err := network.ResolvePorts(c.Options.PortMappings, c.Options.PublishAll, exposed)
	if err != nil {
		return nil, err
	}
	m, err := e.holdBridgeNetworks(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			_ = e.releaseRootlessNetns(ctx, c.ID)
		}
	}()
	o := network.SetupOptions{ContainerID: c.ID, ContainerName: c.Name, PortMappings: ports,
		DNSServers: c.Options.DNSServers, Networks: map[string]network.PerNetworkOptions{}}
	defs := map[string]engine.Network{}
	for i, name := range mode.Names {
		n, err := m.Get(name)
		if err != nil {
			return nil, err
		}
		pno := mode.Networks[name]
		if pno.InterfaceName == "" {
			pno.InterfaceName = fmt.Sprintf("eth%d", i)
		}
		if n.DNSEnabled {
			pno.Aliases = append(pno.Aliases, c.ID[:12])
		}
		o.Networks[n.Name] = pno
		defs[n.Name] = n
	}
	t0 := time.Now()
	res, err := m.Setup(ctx, netnsPath, o)
	if err != nil {
		return nil, err
	}
	e.log.Debug("network set up", "id", c.ID, "took", time.Since(t0))
	if e.cfg.Rootless && len(ports) > 0 {
		if err := e.rootlessNetns().Forward(ports); err != nil {
			_ = m.Teardown(ctx, netnsPath, o)
			return nil, err
		}
	}
	ns := e.networkStatus(mode, defs, o, res, netnsPath)
	ns.Settings.Ports = network.InspectPorts(ports, exposed)
	ns.Ports = ports
	c.State.Network = ns
	ok = true
	s := ns.Settings
	return &s, nil
}

// networkStatus turns netavark's answer into the record inspect reads.
func (e *Engine) networkStatus(mode network.Mode, defs map[string]engine.Network, o network.SetupOptions, res map[string]network.StatusBlock, netnsPath string) *state.NetworkStatus {
	ns := &state.NetworkStatus{Settings: engine.NetworkSettings{SandboxKey: netnsPath, Networks: map[string]*engine.NetworkEndpoint{}}}
	names := make([]string, 0, len(res))
	for name := range res {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		sb := res[name]
		ep := endpoint(defs[name], o.Networks[name], sb)
		ns.Settings.Networks[name] = ep
		ns.DNSServers = append(ns.DNSServers, sb.DNSServerIPs...)
		ns.DNSSearch = append(ns.DNSSearch, sb.DNSSearchDomains...)
		for _, ip := range []string{ep.IPAddress, ep.GlobalIPv6Address} {
			if ip != "" {
				ns.IPs = append(ns.IPs, ip)
			}
		}
		if ns.HostIP == "" && ep.Gateway != "" {
			ns.HostIP = ep.Gateway
		}
	}
	if len(mode.Names) == 1 && mode.Names[0] == e.defaultNetworkName() {
		if ep := ns.Settings.Networks[mode.Names[0]]; ep != nil {
			s := &ns.Settings
			s.EndpointID, s.Gateway, s.IPAddress, s.IPPrefixLen = ep.EndpointID, ep.Gateway, ep.IPAddress, ep.IPPrefixLen
			s.IPv6Gateway, s.GlobalIPv6Address, s.GlobalIPv6PrefixLen = ep.IPv6Gateway, ep.GlobalIPv6Address, ep.GlobalIPv6PrefixLen
			s.MacAddress = ep.MacAddress
		}
	}
	return ns
}

func endpoint(n engine.Network, pno network.PerNetworkOptions, sb network.StatusBlock) *engine.NetworkEndpoint {
	ep := &engine.NetworkEndpoint{NetworkID: n.ID, Aliases: pno.Aliases, DriverOpts: nil, IPAMConfig: nil, Links: nil}
	for _, iface := range sb.Interfaces {
		ep.MacAddress = iface.MacAddress
		for _, a := range iface.Subnets {
			ip, ipn, err := net.ParseCIDR(a.IPNet)
			if err != nil {
				continue
			}
			ones, _ := ipn.Mask.Size()
			if ip.To4() != nil {
				ep.IPAddress, ep.IPPrefixLen, ep.Gateway = ip.String(), ones, a.Gateway
			} else {
				ep.GlobalIPv6Address, ep.GlobalIPv6PrefixLen, ep.IPv6Gateway = ip.String(), ones, a.Gateway
			}
		}
	}
	return ep
}

// exposedPorts are --expose plus the image's EXPOSE.
func exposedPorts(c *state.Container) []string {
	out := append([]string{}, c.Options.Expose...)
	if c.ImageConfig != nil {
		var img []string
		for p := range c.ImageConfig.Config.ExposedPorts {
			img = append(img, p)
		}
		sort.Strings(img)
		out = append(out, img...)
	}
	return out
}

// teardownNetwork undoes setupNetwork; it succeeds when called twice or
// after a crash half-way through setup (internal/network keeps a record of
// what was set up, per container).
func (e *Engine) teardownNetwork(ctx context.Context, c *state.Container, netnsPath string) error {
	defer func() { c.State.Network = nil }()
	mode, err := e.containerMode(c)
	if err == nil && (mode.Kind == network.ModePasta || mode.Kind == network.ModeSlirp) {
		// Both: the default rootless command may have changed (containers.conf,
		// an installed or removed pasta) since the container started.
		m, err := e.networks()
		if err != nil {
			return err
		}
		return errors.Join(network.StopPasta(pastaPidFile(m, c.ID)), network.StopSlirp(slirpFile(m, c.ID, "pid")))
	}
	if err == nil && mode.Kind != network.ModeBridge {
		return nil
	}
	o := network.SetupOptions{ContainerID: c.ID, ContainerName: c.Name, Networks: mode.Networks}
	if e.cfg.Rootless && !e.rootlessNetns().Alive() {
		// The rootless network namespace is gone, and with it everything
		// netavark set up there: only the addresses and ports remain to free.
		m, err := e.networks()
		if err != nil {
			return err
		}
		return errors.Join(m.Forget(o), e.releaseRootlessNetns(ctx, c.ID))
	}
	var fwdErr error
	if e.cfg.Rootless && c.State.Network != nil && len(c.State.Network.Ports) > 0 {
		fwdErr = e.rootlessNetns().Unforward(c.State.Network.Ports)
	}
	m, err := e.bridgeNetworks(ctx)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := m.Teardown(ctx, netnsPath, o); err != nil {
		return err
	}
	e.log.Debug("network torn down", "id", c.ID, "took", time.Since(t0))
	return errors.Join(fwdErr, e.releaseRootlessNetns(ctx, c.ID))
}

// ContainerPort lists the published ports: as set up while the container
// runs (host ports chosen), else as requested.
func (e *Engine) ContainerPort(ctx context.Context, nameOrID string) ([]engine.PortMapping, error) {
	c, err := e.lookupContainer(ctx, nameOrID)
	if err != nil {
		return nil, err
	}
	if c.State.Network != nil {
		return c.State.Network.Ports, nil
	}
	return c.Options.PortMappings, nil
}

func pastaPidFile(m *network.Manager, id string) string {
	return filepath.Join(m.Config().RunDir, "pasta-"+id+".pid")
}

// setupPasta gives the namespace a network through pasta (the rootless
// default) and forwards the published ports from the host.
func (e *Engine) setupPasta(ctx context.Context, c *state.Container, mode network.Mode, netnsPath string) (*engine.NetworkSettings, error) {
	m, err := e.networks()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(m.Config().RunDir, 0o700); err != nil {
		return nil, err
	}
	exposed := exposedPorts(c)
	if err := network.ValidatePorts(c.Options.PortMappings); err != nil {
		return nil, err
	}
	ports, err := network.ResolvePorts(c.Options.PortMappings, c.Options.PublishAll, exposed)
	if err != nil {
		return nil, err
	}
	var args []string
	if mode.Value != "" {
		args = strings.Split(mode.Value, ",")
	}
	if os.Geteuid() == 0 && !strings.Contains(mode.Value, "--runas") {
		// pasta drops to nobody when started as root, and nobody cannot
		// open a namespace under the root-only run directory.
		args = append(args, "--runas", "0")
	}
	pid := pastaPidFile(m, c.ID)
	_ = network.StopPasta(pid) // left over by a crash
	o := network.PastaOptions{Binary: e.helperBinary("pasta"), NetnsPath: netnsPath, PidFile: pid, Ports: ports, Args: args}
	if err := network.StartPasta(ctx, o); err != nil {
		return nil, err
	}
	s := engine.NetworkSettings{SandboxKey: netnsPath, Ports: network.InspectPorts(ports, exposed)}
	c.State.Network = &state.NetworkStatus{Settings: s, Ports: ports}
	return &s, nil
}

func slirpFile(m *network.Manager, id, ext string) string {
	if ext == "sock" {
		// A unix socket path must stay under 108 bytes.
		return filepath.Join(m.Config().RunDir, "slirp-"+id[:12]+".sock")
	}
	return filepath.Join(m.Config().RunDir, "slirp4netns-"+id+"."+ext)
}

// setupSlirp gives the namespace a network through slirp4netns and forwards
// the published ports through its API socket.
func (e *Engine) setupSlirp(ctx context.Context, c *state.Container, mode network.Mode, netnsPath string) (*engine.NetworkSettings, error) {
	m, err := e.networks()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(m.Config().RunDir, 0o700); err != nil {
		return nil, err
	}
	exposed := exposedPorts(c)
	if err := network.ValidatePorts(c.Options.PortMappings); err != nil {
		return nil, err
	}
	ports, err := network.ResolvePorts(c.Options.PortMappings, c.Options.PublishAll, exposed)
	if err != nil {
		return nil, err
	}
	var args []string
	if mode.Value != "" {
		args = strings.Split(mode.Value, ",")
	}
	_ = network.StopSlirp(slirpFile(m, c.ID, "pid")) // left over by a crash
	o := network.SlirpOptions{Binary: e.helperBinary("slirp4netns"), NetnsPath: netnsPath,
		PidFile: slirpFile(m, c.ID, "pid"), APISocket: slirpFile(m, c.ID, "sock"), LogFile: slirpFile(m, c.ID, "log"),
		Ports: ports, Args: args}
	if err := network.StartSlirp(ctx, o); err != nil {
		return nil, err
	}
	s := engine.NetworkSettings{SandboxKey: netnsPath, Ports: network.InspectPorts(ports, exposed)}
	c.State.Network = &state.NetworkStatus{Settings: s, Ports: ports, IPs: []string{"10.0.2.100"}, HostIP: "10.0.2.2"}
	return &s, nil
}

// rootlessNetns is the user's rootless network namespace (under the run
// root, so under $XDG_RUNTIME_DIR).
func (e *Engine) rootlessNetns() network.RootlessNetns {
	_, rr, _ := e.roots()
	return network.RootlessNetns{Dir: filepath.Join(rr, "networks"), Slirp: e.helperBinary("slirp4netns")}
}

// bridgeNetworks is the network manager for netavark networks: as root it
// works in the host namespace; rootless, netavark runs in the rootless
// network namespace, which a running container on a user network holds
// (holdBridgeNetworks).
func (e *Engine) bridgeNetworks(ctx context.Context) (*network.Manager, error) {
	m, err := e.networks()
	if err != nil || !e.cfg.Rootless {
		return m, err
	}
	cfg := m.Config()
	cfg.Netns = e.rootlessNetns().Path()
	return network.New(cfg), nil
}

// holdBridgeNetworks is bridgeNetworks for container id's setup: rootless,
// it holds the rootless network namespace for id (creating it when it is
// not there) until releaseRootlessNetns(id).
func (e *Engine) holdBridgeNetworks(ctx context.Context, id string) (*network.Manager, error) {
	m, err := e.networks()
	if err != nil || !e.cfg.Rootless {
		return m, err
	}
	path, err := e.rootlessNetns().Acquire(ctx, id)
	if err != nil {
		return nil, err
	}
	cfg := m.Config()
	cfg.Netns = path
	return network.New(cfg), nil
}

// releaseRootlessNetns lets go of the rootless network namespace for id;
// the last holder out removes it, as Podman does. Holders whose container
// no longer exists are dropped on the way.
func (e *Engine) releaseRootlessNetns(ctx context.Context, id string) error {
	if !e.cfg.Rootless {
		return nil
	}
	gone := func(other string) bool {
		db, err := e.db(ctx)
		if err != nil {
			return false
		}
		_, err = db.Container(ctx, other)
		return errors.Is(err, engine.ErrNoSuchContainer)
	}
	return e.rootlessNetns().Release(id, gone)
}

// AcquireRootlessNetns holds the rootless network namespace for the calling
// process (`selkie unshare --rootless-netns`), creating it if needed, and
// returns its path and the release to call when done.
func (e *Engine) AcquireRootlessNetns(ctx context.Context) (string, func() error, error) {
	if !e.cfg.Rootless {
		return "", nil, fmt.Errorf("the rootless network namespace exists only for rootless users: %w", engine.ErrInvalidArg)
	}
	holder := network.ProcessHolder(os.Getpid())
	path, err := e.rootlessNetns().Acquire(ctx, holder)
	if err != nil {
		return "", nil, err
	}
	return path, func() error { return e.releaseRootlessNetns(ctx, holder) }, nil
}

// haveHelper reports whether a helper binary is installed (helper dirs or
// $PATH).
func (e *Engine) haveHelper(name string) bool {
	if e.helperBinary(name) != "" {
		return true
	}
	_, err := exec.LookPath(name)
	return err == nil
}
