package network

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net"
)

// parseCIDR parses a subnet and normalizes it to its network address
// (10.1.2.3/24 → 10.1.2.0/24). The error is Podman's text.
func parseCIDR(s string) (net.IP, *net.IPNet, error) {
	ip, ipn, err := net.ParseCIDR(s)
	if err != nil {
		return nil, nil, invalidCIDR(s)
	}
	if ip4 := ipn.IP.To4(); ip4 != nil {
		ipn.IP = ip4
	}
	return ip, ipn, nil
}

func invalidCIDR(s string) error {
	return errorfInvalid("invalid CIDR address: %s", s)
}

func isIPv4(ipn *net.IPNet) bool { return ipn.IP.To4() != nil }

func ipToInt(ip net.IP) *big.Int {
	if ip4 := ip.To4(); ip4 != nil {
		return new(big.Int).SetBytes(ip4)
	}
	return new(big.Int).SetBytes(ip.To16())
}

func intToIP(i *big.Int, v4 bool) net.IP {
	n := 16
	if v4 {
		n = 4
	}
	b := i.Bytes()
	if len(b) > n {
		b = b[len(b)-n:]
	}
	out := make(net.IP, n)
	copy(out[n-len(b):], b)
	return out
}

// addIP returns ip + d.
func addIP(ip net.IP, d int64) net.IP {
	v4 := ip.To4() != nil
	return intToIP(new(big.Int).Add(ipToInt(ip), big.NewInt(d)), v4)
}

// firstIP is the first usable address of a subnet (network address + 1).
func firstIP(ipn *net.IPNet) net.IP { return addIP(ipn.IP, 1) }

// lastIP is the highest address of a subnet (the broadcast address for IPv4).
func lastIP(ipn *net.IPNet) net.IP {
	ones, bits := ipn.Mask.Size()
	size := new(big.Int).Lsh(big.NewInt(1), uint(bits-ones))
	end := new(big.Int).Add(ipToInt(ipn.IP), size)
	end.Sub(end, big.NewInt(1))
	return intToIP(end, isIPv4(ipn))
}

func overlaps(a, b *net.IPNet) bool {
	return a.Contains(b.IP) || b.Contains(a.IP)
}

func ipLess(a, b net.IP) bool { return ipToInt(a).Cmp(ipToInt(b)) < 0 }

// randomULA returns a random fdXX:XXXX:XXXX:XXXX::/64, as Podman picks for --ipv6.
func randomULA() *net.IPNet {
	b := make([]byte, 16)
	_, _ = rand.Read(b[1:8])
	b[0] = 0xfd
	for i := 8; i < 16; i++ {
		b[i] = 0
	}
	return &net.IPNet{IP: net.IP(b), Mask: net.CIDRMask(64, 128)}
}

func errorfInvalid(format string, args ...any) error {
	return &textError{msg: fmt.Sprintf(format, args...), sentinel: errInvalid}
}
