// Package network manages network definitions (Podman 4's JSON files in the
// network config directory), hands out addresses (IPAM), drives netavark and
// aardvark-dns to attach container namespaces, parses port mappings and
// generates the /etc/hosts and /etc/resolv.conf a container sees.
package network

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/selkie-containers/selkie/engine"
	"go.podman.io/storage/pkg/unshare"
)

// textError prints exactly msg (Podman's wording) while errors.Is still
// matches the engine sentinel behind it.
type textError struct {
	msg      string
	sentinel error
}

func (e *textError) Error() string { return e.msg }
func (e *textError) Unwrap() error { return e.sentinel }

func errorf(sentinel error, format string, args ...any) error {
	return &textError{msg: fmt.Sprintf(format, args...), sentinel: sentinel}
}

// ErrNotFound reports an unknown network with Podman's text.
func ErrNotFound(nameOrID string) error {
	return errorf(engine.ErrNoSuchNetwork, "unable to find network with name or ID %s: network not found", nameOrID)
}

// ErrInUse is returned by Remove for a network containers still use.
var ErrInUse = engine.ErrNetworkInUse

func invalid(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, engine.ErrInvalidArg)...)
}

// errInvalid aliases the engine sentinel for the terse helpers.
var errInvalid = engine.ErrInvalidArg

// tunError explains a pasta/slirp4netns failure to open /dev/net/tun: some
// hosts ship the node 0600, which no normal user can open.
func tunError(tool, msg string) error {
	if !strings.Contains(msg, "/dev/net/tun") && !strings.Contains(msg, "tun socket") {
		return nil
	}
	st, err := os.Stat("/dev/net/tun")
	if err != nil || st.Mode().Perm()&0o006 == 0o006 {
		return nil
	}
	return fmt.Errorf("%s failed: open(/dev/net/tun): Permission denied: the node is mode %04o on this host, so a normal user cannot open it; run `chmod 666 /dev/net/tun` (distributions ship 0666)", tool, st.Mode().Perm())
}

// checkPrivilegedPorts refuses, rootless, host ports below
// net.ipv4.ip_unprivileged_port_start with Podman's rootlessport message.
func checkPrivilegedPorts(ports []engine.PortMapping) error {
	if !unshare.IsRootless() {
		return nil
	}
	start := 1024
	if data, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
			start = n
		}
	}
	for _, p := range ports {
		if p.HostPort != 0 && int(p.HostPort) < start {
			return fmt.Errorf("rootlessport cannot expose privileged port %d, you can add 'net.ipv4.ip_unprivileged_port_start=%d' to /etc/sysctl.conf (currently %d), or choose a larger port number (>= %d): listen tcp %s:%d: bind: permission denied",
				p.HostPort, p.HostPort, start, start, hostIPOrAny(p.HostIP), p.HostPort)
		}
	}
	return nil
}

func hostIPOrAny(ip string) string {
	if ip == "" {
		return "0.0.0.0"
	}
	return ip
}
