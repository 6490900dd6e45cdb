package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/network"
	"github.com/selkie-containers/selkie/internal/state"
	"github.com/selkie-containers/selkie/internal/timearg"
)

// networks returns the network manager. It is cheap (it holds only paths),
// so it is built per call rather than cached.
func (e *Engine) networks() (*network.Manager, error) {
	gr, rr, err := e.roots()
	if err != nil {
		return nil, err
	}
	nc := e.cfg.Network
	conf := nc.NetworkConfigDir
	if conf == "" {
		conf = "/etc/containers/networks"
		if e.cfg.Rootless {
			conf = filepath.Join(gr, "networks")
		}
	}
	return network.New(network.Config{
		ConfigDir:      conf,
		RunDir:         filepath.Join(rr, "networks"),
		DefaultNetwork: nc.DefaultNetwork,
		DefaultSubnet:  nc.DefaultSubnet,
		Rootless:       e.cfg.Rootless,
		Netavark:       e.helperBinary("netavark"),
		Aardvark:       e.helperBinary("aardvark-dns"),
	}), nil
}

// helperBinary finds a helper (netavark, aardvark-dns) in containers.conf's
// helper_binaries_dir, then Debian's /usr/lib/podman; "" when missing.
func (e *Engine) helperBinary(name string) string {
	dirs := append([]string{}, e.cfg.Engine.HelperBinariesDir...)
	dirs = append(dirs, "/usr/lib/podman", "/usr/libexec/podman")
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// containerMode parses a container's --network as the engine is configured.
func (e *Engine) containerMode(c *state.Container) (network.Mode, error) {
	return network.ParseMode(c.Options.Network, c.Options.Networks, e.defaultNetworkName(), e.cfg.Network.DefaultRootlessNetworkCmd, e.cfg.Rootless)
}

func (e *Engine) defaultNetworkName() string {
	if n := e.cfg.Network.DefaultNetwork; n != "" {
		return n
	}
	return "podman"
}

// networkUsers maps network names to the containers (any state) that use them.
func (e *Engine) networkUsers(ctx context.Context) (map[string][]*state.Container, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := db.Containers(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]*state.Container{}
	for _, c := range cs {
		m, err := e.containerMode(c)
		if err != nil || m.Kind != network.ModeBridge {
			continue
		}
		for _, n := range m.Names {
			out[n] = append(out[n], c)
		}
	}
	return out, nil
}

// NetworkCreate writes a new network definition.
func (e *Engine) NetworkCreate(ctx context.Context, o engine.NetworkCreateOptions) (engine.Network, error) {
	m, err := e.networks()
	if err != nil {
		return engine.Network{}, err
	}
	n, err := m.Create(o)
	if err == nil {
		e.emit(ctx, engine.Event{Type: engine.EventTypeNetwork, Status: "create", ID: n.ID, Name: n.Name, Network: n.Name})
	}
	return n, err
}

// NetworkInspect returns one network.
func (e *Engine) NetworkInspect(ctx context.Context, nameOrID string) (*engine.Network, error) {
	m, err := e.networks()
	if err != nil {
		return nil, err
	}
	n, err := m.Get(nameOrID)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// NetworkExists reports whether nameOrID names a network.
func (e *Engine) NetworkExists(ctx context.Context, nameOrID string) (bool, error) {
	_, err := e.NetworkInspect(ctx, nameOrID)
	if errors.Is(err, engine.ErrNoSuchNetwork) {
		return false, nil
	}
	return err == nil, err
}

// NetworkList returns the networks matching the filters.
func (e *Engine) NetworkList(ctx context.Context, o engine.NetworkListOptions) ([]engine.Network, error) {
	m, err := e.networks()
	if err != nil {
		return nil, err
	}
	match, err := e.networkFilter(ctx, o.Filters, false)
	if err != nil {
		return nil, err
	}
	all, err := m.List()
	if err != nil {
		return nil, err
	}
	out := []engine.Network{}
	for _, n := range all {
		if match(n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// networkFilter compiles ls/prune filters; keys of one kind OR, kinds AND.
func (e *Engine) networkFilter(ctx context.Context, filters map[string][]string, prune bool) (func(engine.Network) bool, error) {
	var preds []func(engine.Network) bool
	var users map[string][]*state.Container
	for key, vals := range filters {
		if len(vals) == 0 {
			continue
		}
		var p func(n engine.Network, v string) bool
		switch key {
		case "name":
			if prune {
				return nil, fmt.Errorf("invalid filter %q", key)
			}
			p = func(n engine.Network, v string) bool {
				re, err := regexp.Compile(v)
				return err == nil && re.MatchString(n.Name)
			}
		case "id":
			if prune {
				return nil, fmt.Errorf("invalid filter %q", key)
			}
			p = func(n engine.Network, v string) bool { return strings.HasPrefix(n.ID, v) }
		case "driver":
			if prune {
				return nil, fmt.Errorf("invalid filter %q", key)
			}
			p = func(n engine.Network, v string) bool { return n.Driver == v }
		case "label":
			p = func(n engine.Network, v string) bool { return labelMatch(n.Labels, v) }
		case "label!":
			p = func(n engine.Network, v string) bool { return !labelMatch(n.Labels, v) }
		case "until":
			p = func(n engine.Network, v string) bool {
				t, ok := timearg.Parse(v, time.Now())
				return ok && n.Created.Before(t)
			}
			for _, v := range vals {
				if _, ok := timearg.Parse(v, time.Now()); !ok {
					return nil, fmt.Errorf("invalid until filter %q: %w", v, engine.ErrInvalidArg)
				}
			}
		case "dangling":
			if prune {
				return nil, fmt.Errorf("invalid filter %q", key)
			}
			if users == nil {
				var err error
				if users, err = e.networkUsers(ctx); err != nil {
					return nil, err
				}
			}
			u := users
			p = func(n engine.Network, v string) bool {
				return (len(u[n.Name]) == 0) == (v == "true" || v == "1")
			}
		default:
			return nil, fmt.Errorf("invalid filter %q", key)
		}
		vs := vals
		if strings.HasSuffix(key, "!") {
			preds = append(preds, func(n engine.Network) bool {
				for _, v := range vs {
					if !p(n, v) {
						return false
					}
				}
				return true
			})
			continue
		}
		preds = append(preds, func(n engine.Network) bool {
			for _, v := range vs {
				if p(n, v) {
					return true
				}
			}
			return false
		})
	}
	return func(n engine.Network) bool {
		for _, p := range preds {
			if !p(n) {
				return false
			}
		}
		return true
	}, nil
}

func labelMatch(labels map[string]string, f string) bool {
	k, v, hasV := strings.Cut(f, "=")
	got, ok := labels[k]
	return ok && (!hasV || got == v)
}

// NetworkRemove deletes a network; with Force it first removes the
// containers using it.
func (e *Engine) NetworkRemove(ctx context.Context, nameOrID string, o engine.NetworkRemoveOptions) (engine.NetworkRemoveReport, error) {
	m, err := e.networks()
	if err != nil {
		return engine.NetworkRemoveReport{}, err
	}
	n, err := m.Get(nameOrID)
	if err != nil {
		return engine.NetworkRemoveReport{}, err
	}
	rep := engine.NetworkRemoveReport{Name: n.Name}
	if n.Name == m.DefaultName() {
		return rep, m.Remove(n.Name)
	}
	users, err := e.networkUsers(ctx)
	if err != nil {
		return rep, err
	}
	if us := users[n.Name]; len(us) > 0 {
		if !o.Force {
			return rep, fmt.Errorf("%q has associated containers with it. Use -f to forcibly delete containers and pods: %w", n.Name, network.ErrInUse)
		}
		for _, c := range us {
			if _, err := e.ContainerRemove(ctx, c.ID, engine.ContainerRemoveOptions{Force: true, Timeout: o.Timeout}); err != nil && !errors.Is(err, engine.ErrNoSuchContainer) {
				return rep, err
			}
			rep.Containers = append(rep.Containers, c.ID)
		}
	}
	if err := m.Remove(n.Name); err != nil {
		return rep, err
	}
	e.emit(ctx, engine.Event{Type: engine.EventTypeNetwork, Status: "remove", ID: n.ID, Name: n.Name, Network: n.Name})
	return rep, nil
}

// NetworkPrune removes unused networks (never the default one).
func (e *Engine) NetworkPrune(ctx context.Context, o engine.NetworkPruneOptions) ([]string, error) {
	m, err := e.networks()
	if err != nil {
		return nil, err
	}
	match, err := e.networkFilter(ctx, o.Filters, true)
	if err != nil {
		return nil, err
	}
	users, err := e.networkUsers(ctx)
	if err != nil {
		return nil, err
	}
	all, err := m.List()
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, n := range all {
		if n.Name == m.DefaultName() || len(users[n.Name]) > 0 || !match(n) {
			continue
		}
		if err := m.Remove(n.Name); err != nil {
			return removed, err
		}
		e.emit(ctx, engine.Event{Type: engine.EventTypeNetwork, Status: "remove", ID: n.ID, Name: n.Name, Network: n.Name})
		removed = append(removed, n.Name)
	}
	return removed, nil
}

// validateHostsFile checks --hosts-file at create: an absolute host path,
// "image" or "none", and not together with --no-hosts (Podman's texts).
func validateHostsFile(o *engine.ContainerCreateOptions) error {
	if o.HostsFile == "" {
		return nil
	}
	if o.NoHosts {
		return fmt.Errorf("--no-hosts and --hosts-file cannot be set together: %w", engine.ErrInvalidArg)
	}
	if o.HostsFile != "image" && o.HostsFile != "none" && !filepath.IsAbs(o.HostsFile) {
		return fmt.Errorf("hosts file %q must be an absolute path, \"image\" or \"none\": %w", o.HostsFile, engine.ErrInvalidArg)
	}
	return nil
}

// baseHosts is what a container's /etc/hosts starts with: --hosts-file,
// else containers.conf base_hosts_file; a host file, "image" (the image's
// /etc/hosts, resolved inside the rootfs), "none" (nothing); the host's
// /etc/hosts by default. A file the user named must be readable.
func (e *Engine) baseHosts(c *state.Container) ([]byte, error) {
	base, named := c.Options.HostsFile, c.Options.HostsFile != ""
	if base == "" {
		base = e.cfg.Containers.BaseHostsFile
	}
	switch base {
	case "none":
		return nil, nil
	case "image":
		if c.State.Mountpoint == "" {
			return nil, nil
		}
		p, err := securejoin.SecureJoin(c.State.Mountpoint, "/etc/hosts")
		if err != nil {
			return nil, nil
		}
		data, _ := readSmallFile(p)
		return data, nil
	case "":
		base = "/etc/hosts"
	}
	data, err := readSmallFile(base)
	if err != nil && named {
		return nil, fmt.Errorf("reading the base hosts file: %w", err)
	}
	return data, nil
}
