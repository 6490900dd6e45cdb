package compat

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

// createOptions converts Docker's create body into engine options. Docker's
// create never pulls: a missing image is a 404 the client answers by pulling.
func createOptions(name string, req *container.CreateRequest) (engine.ContainerCreateOptions, error) {
	c := req.Config
	if c == nil {
		return engine.ContainerCreateOptions{}, wire.BadRequest(fmt.Errorf("config cannot be empty in order to create a container"))
	}
	hc := req.HostConfig
	if hc == nil {
		hc = &container.HostConfig{}
	}
	o := engine.ContainerCreateOptions{
		Name:       name,
		Image:      c.Image,
		Command:    c.Cmd,
		WorkDir:    c.WorkingDir,
		User:       c.User,
		Hostname:   c.Hostname,
		Labels:     c.Labels,
		Terminal:   c.Tty,
		Stdin:      c.OpenStdin,
		StopSignal: c.StopSignal,
		PullPolicy: engine.PullPolicyNever,

		Privileged:        hc.Privileged,
		CapAdd:            hc.CapAdd,
		CapDrop:           hc.CapDrop,
		SecurityOpt:       hc.SecurityOpt,
		ReadOnly:          hc.ReadonlyRootfs,
		DeviceCgroupRules: hc.DeviceCgroupRules,
		Remove:            hc.AutoRemove,
		PublishAll:        hc.PublishAllPorts,
		DNSOptions:        hc.DNSOptions,
		DNSSearch:         hc.DNSSearch,
		AddHosts:          hc.ExtraHosts,
		GroupAdd:          hc.GroupAdd,
		IPCMode:           string(hc.IpcMode),
		PIDMode:           string(hc.PidMode),
		UTSMode:           string(hc.UTSMode),
		UserNS:            string(hc.UsernsMode),
		CgroupNS:          string(hc.CgroupnsMode),
		Sysctls:           hc.Sysctls,
		VolumesFrom:       hc.VolumesFrom,
		Annotations:       hc.Annotations,
	}
	if o.Image == "" {
		return o, wire.BadRequest(fmt.Errorf("no image specified"))
	}
	if c.Entrypoint != nil {
		ep := append([]string{}, c.Entrypoint...)
		o.Entrypoint = &ep
	}
	if len(c.Env) > 0 {
		o.Env = map[string]string{}
		for _, kv := range c.Env {
			k, v, ok := strings.Cut(kv, "=")
			if k == "" {
				return o, wire.BadRequest(fmt.Errorf("invalid environment variable %q", kv))
			}
			if ok {
				o.Env[k] = v
			}
		}
	}
	if c.StopTimeout != nil {
		if *c.StopTimeout < 0 {
			return o, wire.BadRequest(fmt.Errorf("invalid stop timeout %d", *c.StopTimeout))
		}
		t := uint(*c.StopTimeout)
		o.StopTimeout = &t
	}
	if hc.Init != nil {
		o.Init = *hc.Init
	}
	if hc.OomScoreAdj != 0 {
		v := hc.OomScoreAdj
		o.OOMScoreAdj = &v
	}
	if hc.ShmSize > 0 {
		v := hc.ShmSize
		o.ShmSize = &v
	}
	if h := c.Healthcheck; h != nil && len(h.Test) > 0 && h.Test[0] != "NONE" {
		o.HealthConfig = &engine.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, Retries: h.Retries}
	}
	for p := range c.ExposedPorts {
		o.Expose = append(o.Expose, p.String())
	}
	for _, d := range hc.DNS {
		o.DNSServers = append(o.DNSServers, d.String())
	}
	for _, d := range hc.Devices {
		s := d.PathOnHost
		if d.PathInContainer != "" {
			s += ":" + d.PathInContainer
		}
		if d.CgroupPermissions != "" {
			s += ":" + d.CgroupPermissions
		}
		o.Devices = append(o.Devices, s)
	}
	for _, u := range hc.Ulimits {
		if u != nil {
			o.Ulimits = append(o.Ulimits, engine.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
		}
	}
	switch rp := hc.RestartPolicy; rp.Name {
	case "", "no":
	default:
		o.RestartPolicy = string(rp.Name)
		if rp.MaximumRetryCount > 0 {
			o.RestartRetries = uint(rp.MaximumRetryCount)
		}
	}
	switch hc.LogConfig.Type {
	case "", "json-file", "local":
	default:
		o.LogDriver = hc.LogConfig.Type
	}
	o.Resources = resources(hc.Resources)
	if err := networkOptions(&o, req, hc); err != nil {
		return o, err
	}
	if err := mountOptions(&o, c, hc); err != nil {
		return o, err
	}
	return o, nil
}

func resources(r container.Resources) engine.Resources {
	out := engine.Resources{
		Memory: r.Memory, MemorySwap: r.MemorySwap, MemoryReservation: r.MemoryReservation, NanoCPUs: r.NanoCPUs,
		CPUQuota: r.CPUQuota, CPUSetCPUs: r.CpusetCpus, CPUSetMems: r.CpusetMems, BlkioWeight: r.BlkioWeight, PidsLimit: r.PidsLimit,
	}
	if r.CPUShares > 0 {
		out.CPUShares = uint64(r.CPUShares)
	}
	if r.CPUPeriod > 0 {
		out.CPUPeriod = uint64(r.CPUPeriod)
	}
	return out
}

func networkOptions(o *engine.ContainerCreateOptions, req *container.CreateRequest, hc *container.HostConfig) error {
	mode := string(hc.NetworkMode)
	var eps map[string]*network.EndpointSettings
	if req.NetworkingConfig != nil {
		eps = req.NetworkingConfig.EndpointsConfig
	}
	switch {
	case mode == "" || mode == "default":
		mode = ""
	case mode == "bridge", mode == "host", mode == "none", strings.HasPrefix(mode, "container:"), strings.HasPrefix(mode, "ns:"):
		o.Network = mode
		if mode != "bridge" {
			mode = ""
		}
	}
	// Named networks, the primary one first, each with its endpoint's
	// aliases in the CLI's "name:alias=a,alias=b" form.
	var names []string
	if mode != "" && mode != "bridge" {
		names = append(names, mode)
	}
	for n := range eps {
		if n != mode && n != "bridge" && n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return portOptions(o, hc)
	}
	if mode == "bridge" {
		names = append([]string{"bridge"}, names...)
	}
	withAliases := false
	for i, n := range names {
		ep := eps[n]
		if ep == nil || len(ep.Aliases) == 0 {
			continue
		}
		var opts []string
		for _, a := range ep.Aliases {
			if a != "" {
				opts = append(opts, "alias="+a)
			}
		}
		if len(opts) > 0 {
			names[i] = n + ":" + strings.Join(opts, ",")
			withAliases = true
		}
	}
	if len(names) == 1 && !withAliases {
		o.Network, o.Networks = names[0], nil
	} else {
		o.Network, o.Networks = "", names
	}
	return portOptions(o, hc)
}

func portOptions(o *engine.ContainerCreateOptions, hc *container.HostConfig) error {
	for port, binds := range hc.PortBindings {
		if len(binds) == 0 {
			binds = append(binds, network.PortBinding{})
		}
		for _, b := range binds {
			pm := engine.PortMapping{ContainerPort: port.Num(), Protocol: string(port.Proto())}
			if b.HostIP.IsValid() {
				pm.HostIP = b.HostIP.String()
			}
			if b.HostPort != "" {
				lo, hi, _ := strings.Cut(b.HostPort, "-")
				n, err := strconv.ParseUint(lo, 10, 16)
				if err != nil {
					return wire.BadRequest(fmt.Errorf("invalid host port %q", b.HostPort))
				}
				pm.HostPort = uint16(n)
				if hi != "" {
					m, err := strconv.ParseUint(hi, 10, 16)
					if err != nil || m < n {
						return wire.BadRequest(fmt.Errorf("invalid host port range %q", b.HostPort))
					}
					pm.Range = uint16(m-n) + 1
				}
			}
			o.PortMappings = append(o.PortMappings, pm)
		}
	}
	return nil
}

func mountOptions(o *engine.ContainerCreateOptions, c *container.Config, hc *container.HostConfig) error {
	for _, b := range hc.Binds {
		m, err := parseBind(b)
		if err != nil {
			return err
		}
		o.Mounts = append(o.Mounts, m)
	}
	for _, m := range hc.Mounts {
		em := engine.Mount{Type: string(m.Type), Source: m.Source, Destination: m.Target, RW: !m.ReadOnly}
		if m.ReadOnly {
			em.Options = append(em.Options, "ro")
		}
		switch m.Type {
		case mount.TypeVolume:
			em.Name = m.Source
		case mount.TypeBind:
			if m.BindOptions != nil && m.BindOptions.Propagation != "" {
				em.Propagation = string(m.BindOptions.Propagation)
			}
		case mount.TypeTmpfs:
			if m.TmpfsOptions != nil && m.TmpfsOptions.SizeBytes > 0 {
				em.Options = append(em.Options, "size="+strconv.FormatInt(m.TmpfsOptions.SizeBytes, 10))
			}
		}
		if em.Destination == "" {
			return wire.BadRequest(fmt.Errorf("mount target is required"))
		}
		o.Mounts = append(o.Mounts, em)
	}
	for dst, opts := range hc.Tmpfs {
		m := engine.Mount{Type: "tmpfs", Source: "tmpfs", Destination: dst, RW: true}
		if opts != "" {
			m.Options = strings.Split(opts, ",")
		}
		o.Mounts = append(o.Mounts, m)
	}
	for dst := range c.Volumes {
		if !hasDest(o.Mounts, dst) {
			o.Mounts = append(o.Mounts, engine.Mount{Type: "volume", Destination: dst, RW: true})
		}
	}
	return nil
}

func hasDest(ms []engine.Mount, dst string) bool {
	for _, m := range ms {
		if filepath.Clean(m.Destination) == filepath.Clean(dst) {
			return true
		}
	}
	return false
}

// parseBind parses Docker's "src:dst[:opts]" bind: an absolute src is a
// host path, anything else names a volume.
func parseBind(b string) (engine.Mount, error) {
	parts := strings.Split(b, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return engine.Mount{}, wire.BadRequest(fmt.Errorf("invalid volume specification: %q", b))
	}
	m := engine.Mount{Source: parts[0], Destination: parts[1], RW: true, Type: "bind"}
	if !strings.HasPrefix(parts[0], "/") {
		m.Type, m.Name = "volume", parts[0]
	}
	if len(parts) == 3 {
		for _, opt := range strings.Split(parts[2], ",") {
			if opt == "ro" {
				m.RW = false
			}
			m.Options = append(m.Options, opt)
		}
	}
	if !strings.HasPrefix(m.Destination, "/") {
		return engine.Mount{}, wire.BadRequest(fmt.Errorf("invalid volume specification: %q: destination must be absolute", b))
	}
	return m, nil
}
