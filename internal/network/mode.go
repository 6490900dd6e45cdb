package network

import (
	"net"
	"strings"
)

// Mode kinds a container's network can have.
const (
	ModeBridge    = "bridge" // one or more netavark networks
	ModeNone      = "none"   // own namespace, loopback only
	ModeHost      = "host"
	ModeContainer = "container" // Value: the container whose namespace is joined
	ModeNS        = "ns"        // Value: a namespace path
	ModeSlirp     = "slirp4netns"
	ModePasta     = "pasta"
)

// Mode is a parsed --network.
type Mode struct {
	Kind  string
	Value string
	// Names lists the networks in the order given; Networks holds how the
	// container joins each one (static IP/MAC, aliases, interface name).
	Names    []string
	Networks map[string]PerNetworkOptions
}

// ParseMode reads --network (mode) and extra network entries. Each network
// entry is "name" or "name:ip=…,ip=…,mac=…,alias=…,interface_name=…";
// "bridge" and "private" (when rootful) mean defaultNet, and an empty mode
// means the default: defaultNet as root, rootlessCmd otherwise.
func ParseMode(mode string, networks []string, defaultNet, rootlessCmd string, rootless bool) (Mode, error) {
	var entries []string
	switch {
	case mode == "" || mode == "default" || mode == "private":
		if rootless && len(networks) == 0 {
			if rootlessCmd == "" {
				rootlessCmd = ModePasta
			}
			return Mode{Kind: rootlessCmd}, nil
		}
		if len(networks) == 0 {
			entries = []string{defaultNet}
		}
	case mode == ModeNone || mode == ModeHost:
		return Mode{Kind: mode}, nil
	case strings.HasPrefix(mode, "container:"):
		v := strings.TrimPrefix(mode, "container:")
		if v == "" {
			return Mode{}, invalid("container: network mode needs a container name or ID")
		}
		return Mode{Kind: ModeContainer, Value: v}, nil
	case strings.HasPrefix(mode, "ns:"):
		v := strings.TrimPrefix(mode, "ns:")
		if !strings.HasPrefix(v, "/") {
			return Mode{}, invalid("ns: network mode needs an absolute path")
		}
		return Mode{Kind: ModeNS, Value: v}, nil
	case mode == ModeSlirp || strings.HasPrefix(mode, ModeSlirp+":"):
		return Mode{Kind: ModeSlirp, Value: strings.TrimPrefix(strings.TrimPrefix(mode, ModeSlirp), ":")}, nil
	case mode == ModePasta || strings.HasPrefix(mode, ModePasta+":"):
		return Mode{Kind: ModePasta, Value: strings.TrimPrefix(strings.TrimPrefix(mode, ModePasta), ":")}, nil
	default:
		entries = splitNetworks(mode)
	}
	entries = append(entries, networks...)
	m := Mode{Kind: ModeBridge, Networks: map[string]PerNetworkOptions{}}
	for _, e := range entries {
		name, pno, err := parseEntry(e)
		if err != nil {
			return Mode{}, err
		}
		if name == "bridge" {
			name = defaultNet
		}
		switch name {
		case ModeNone, ModeHost, ModeSlirp, ModePasta, "private":
			return Mode{}, invalid("cannot set multiple networks without bridge network mode, selected mode %s", name)
		}
		if _, dup := m.Networks[name]; dup {
			return Mode{}, invalid("network %s is given more than once", name)
		}
		m.Names = append(m.Names, name)
		m.Networks[name] = pno
	}
	return m, nil
}

// splitNetworks splits "a,b" but keeps "a:ip=1.2.3.4,alias=x" whole.
func splitNetworks(s string) []string {
	if strings.Contains(s, ":") {
		return []string{s}
	}
	return strings.Split(s, ",")
}

func parseEntry(e string) (string, PerNetworkOptions, error) {
	var pno PerNetworkOptions
	name, opts, found := strings.Cut(e, ":")
	if name == "" {
		return "", pno, invalid("network name cannot be empty")
	}
	if !found {
		return name, pno, nil
	}
	for _, kv := range strings.Split(opts, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			return "", pno, invalid("invalid option %q for network %s", kv, name)
		}
		switch k {
		case "ip", "ip6":
			if net.ParseIP(v) == nil {
				return "", pno, invalid("invalid ip address %q", v)
			}
			pno.StaticIPs = append(pno.StaticIPs, v)
		case "mac":
			hw, err := net.ParseMAC(v)
			if err != nil {
				return "", pno, invalid("invalid mac address %q", v)
			}
			pno.StaticMAC = hw.String()
		case "alias":
			if err := ValidateAlias(v); err != nil {
				return "", pno, err
			}
			pno.Aliases = append(pno.Aliases, v)
		case "interface_name":
			pno.InterfaceName = v
		default:
			return "", pno, invalid("unknown network option %q", k)
		}
	}
	return name, pno, nil
}

// FormatEntry is the inverse of the entry syntax ParseMode reads.
func FormatEntry(name string, pno PerNetworkOptions) string {
	var opts []string
	for _, ip := range pno.StaticIPs {
		opts = append(opts, "ip="+ip)
	}
	if pno.StaticMAC != "" {
		opts = append(opts, "mac="+pno.StaticMAC)
	}
	for _, a := range pno.Aliases {
		opts = append(opts, "alias="+a)
	}
	if pno.InterfaceName != "" {
		opts = append(opts, "interface_name="+pno.InterfaceName)
	}
	if len(opts) == 0 {
		return name
	}
	return name + ":" + strings.Join(opts, ",")
}

// ValidateAlias accepts DNS-style names only: aardvark-dns's config is one
// line per container with comma-separated names, so a comma, a space or a
// newline in an alias would forge entries for other names.
func ValidateAlias(a string) error {
	if !nameRE.MatchString(a) || len(a) > 253 {
		return invalid("invalid network alias %q: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", a)
	}
	return nil
}

// RootlessFallback is the rootless default network command to use: cmd,
// except that a pasta that is not installed gives way to an installed
// slirp4netns (have reports whether a helper binary is found).
func RootlessFallback(cmd string, have func(string) bool) string {
	if cmd == ModePasta && !have("pasta") && have("slirp4netns") {
		return ModeSlirp
	}
	return cmd
}
