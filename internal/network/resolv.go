package network

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"strings"
)

// ResolvOptions describe a container's /etc/resolv.conf.
type ResolvOptions struct {
	// HostFile is the host's resolv.conf ("" means /etc/resolv.conf).
	HostFile string
	// DNSServers are aardvark-dns addresses (the gateways of DNS-enabled
	// networks); they come first so container names resolve.
	DNSServers []string
	// DNSSearch are search domains from the networks (dns.podman).
	DNSSearch []string
	// Nameservers, Searches and Options are --dns, --dns-search and
	// --dns-option (and containers.conf); each replaces the host's list.
	Nameservers []string
	Searches    []string
	Options     []string
	// KeepLocalhost keeps 127.x/::1 nameservers (host network only).
	KeepLocalhost bool
}

// ResolvConf returns the content of a container's /etc/resolv.conf.
func ResolvConf(o ResolvOptions) []byte {
	path := o.HostFile
	if path == "" {
		path = "/etc/resolv.conf"
	}
	data, _ := os.ReadFile(path)
	return ResolvConfData(data, o)
}

// ResolvConfData is ResolvConf with the host's resolv.conf already read.
func ResolvConfData(data []byte, o ResolvOptions) []byte {
	var hostNS, hostSearch, hostOpts []string
	{
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
				continue
			}
			switch f[0] {
			case "nameserver":
				hostNS = append(hostNS, f[1])
			case "search", "domain":
				hostSearch = f[1:]
			case "options":
				hostOpts = append(hostOpts, f[1:]...)
			}
		}
	}
	ns := hostNS
	if len(o.Nameservers) > 0 {
		ns = o.Nameservers
	} else if !o.KeepLocalhost {
		ns = nil
		for _, s := range hostNS {
			if ip := net.ParseIP(s); ip != nil && !ip.IsLoopback() {
				ns = append(ns, s)
			}
		}
	}
	ns = dedup(append(append([]string{}, o.DNSServers...), ns...))
	if len(ns) == 0 {
		ns = []string{"8.8.8.8", "8.8.4.4"}
	}
	search := hostSearch
	if len(o.Searches) > 0 {
		search = o.Searches
		if len(search) == 1 && search[0] == "." {
			search = nil
		}
	}
	search = dedup(append(append([]string{}, o.DNSSearch...), search...))
	opts := hostOpts
	if len(o.Options) > 0 {
		opts = o.Options
	}
	var b bytes.Buffer
	if len(search) > 0 {
		b.WriteString("search " + strings.Join(search, " ") + "\n")
	}
	for _, s := range ns {
		b.WriteString("nameserver " + s + "\n")
	}
	if len(opts) > 0 {
		b.WriteString("options " + strings.Join(dedup(opts), " ") + "\n")
	}
	return b.Bytes()
}
