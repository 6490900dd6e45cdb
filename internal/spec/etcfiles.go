package spec

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"

	"github.com/selkie-containers/selkie/engine"
)

// HostsFile builds the container's /etc/hosts: the base hosts file (the
// host's, or containers.conf base_hosts_file), --add-host entries, and the
// container's own name on ip (127.0.0.1 without a network).
func HostsFile(base []byte, o *engine.ContainerCreateOptions, hostname, name, ip string) ([]byte, error) {
	var b bytes.Buffer
	if len(base) == 0 {
		base = []byte("127.0.0.1\tlocalhost\n::1\tlocalhost\n")
	}
	b.Write(base)
	if len(base) > 0 && base[len(base)-1] != '\n' {
		b.WriteByte('\n')
	}
	for _, h := range o.AddHosts {
		host, addr, ok := strings.Cut(h, ":")
		if !ok || host == "" || net.ParseIP(addr) == nil {
			return nil, fmt.Errorf("invalid IP address in add-host: %q: %w", addr, engine.ErrInvalidArg)
		}
		fmt.Fprintf(&b, "%s\t%s\n", addr, host)
	}
	if ip == "" {
		ip = "127.0.0.1"
	}
	names := hostname
	if name != "" && name != hostname {
		names += " " + name
	}
	fmt.Fprintf(&b, "%s\t%s\n", ip, names)
	return b.Bytes(), nil
}

// ResolvConf builds /etc/resolv.conf from the host's, dropping loopback
// name servers (unreachable from a private network namespace) and applying
// --dns, --dns-search and --dns-option.
func ResolvConf(host []byte, o *engine.ContainerCreateOptions) []byte {
	var servers, search, opts []string
	sc := bufio.NewScanner(bytes.NewReader(host))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "nameserver":
			if ip := net.ParseIP(f[1]); ip != nil && !ip.IsLoopback() {
				servers = append(servers, f[1])
			}
		case "search":
			search = f[1:]
		case "options":
			opts = append(opts, f[1:]...)
		}
	}
	if len(o.DNSServers) > 0 {
		servers = o.DNSServers
	}
	if len(o.DNSSearch) > 0 {
		search = o.DNSSearch
		if len(search) == 1 && search[0] == "." {
			search = nil
		}
	}
	if len(o.DNSOptions) > 0 {
		opts = o.DNSOptions
	}
	if len(servers) == 0 {
		servers = []string{"8.8.8.8", "8.8.4.4"}
	}
	var b bytes.Buffer
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	for _, s := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(opts) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(opts, " "))
	}
	return b.Bytes()
}

// ContainerEnv is /run/.containerenv: Podman writes engine details there for
// privileged containers and leaves it empty otherwise.
func ContainerEnv(id, name, image, imageID string, privileged bool) []byte {
	if !privileged {
		return nil
	}
	return []byte(fmt.Sprintf("engine=\"selkie\"\nname=%q\nid=%q\nimage=%q\nimageid=%q\nrootless=0\n", name, id, image, imageID))
}
