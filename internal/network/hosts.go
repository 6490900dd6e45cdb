package network

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"strings"
)

// HostsOptions describe a container's /etc/hosts.
type HostsOptions struct {
	// BaseFile is copied first: "" means the host's /etc/hosts, "none" nothing.
	BaseFile string
	// ExtraHosts are --add-host values: "name:ip" or "name1;name2:ip".
	ExtraHosts []string
	// Names are the container's own names (hostname, container name, aliases)
	// mapped to each of IPs (or to 127.0.0.1 and ::1 when IPs is empty).
	Names []string
	IPs   []string
	// HostIP is what host.containers.internal resolves to; empty leaves it out.
	HostIP string
}

// Hosts returns the content of a container's /etc/hosts: the --add-host
// entries, the base file, the container's own names, host.containers.internal.
func Hosts(o HostsOptions) ([]byte, error) {
	var b bytes.Buffer
	for _, h := range o.ExtraHosts {
		names, ip, err := ParseAddHost(h)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%s\t%s\n", ip, strings.Join(names, " "))
	}
	base := o.BaseFile
	if base == "" {
		base = "/etc/hosts"
	}
	if base != "none" {
		if data, err := os.ReadFile(base); err == nil {
			sc := bufio.NewScanner(bytes.NewReader(data))
			for sc.Scan() {
				line := strings.TrimSpace(sc.Text())
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				b.WriteString(line + "\n")
			}
		} else if !os.IsNotExist(err) {
			return nil, err
		}
	}
	names := dedup(o.Names)
	if len(names) > 0 {
		ips := o.IPs
		if len(ips) == 0 {
			ips = []string{"127.0.0.1", "::1"}
		}
		for _, ip := range ips {
			fmt.Fprintf(&b, "%s\t%s\n", ip, strings.Join(names, " "))
		}
	}
	if o.HostIP != "" {
		fmt.Fprintf(&b, "%s\thost.containers.internal\n", o.HostIP)
	}
	return b.Bytes(), nil
}

// ParseAddHost splits an --add-host value ("name:ip", "a;b:ip", "name:[::1]").
func ParseAddHost(s string) ([]string, string, error) {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return nil, "", invalid("invalid format for add-host: %q", s)
	}
	names, ip := strings.Split(s[:i], ";"), strings.Trim(s[i+1:], "[]")
	if net.ParseIP(ip) == nil && ip != "host-gateway" {
		return nil, "", invalid("invalid IP address in add-host: %q", ip)
	}
	for _, n := range names {
		if n == "" || strings.ContainsAny(n, " \t\n") {
			return nil, "", invalid("invalid hostname in add-host: %q", n)
		}
	}
	return names, ip, nil
}

func dedup(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
