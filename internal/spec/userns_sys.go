package spec

import (
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
	"golang.org/x/sys/unix"
)

// userNSNetAdjust fits a rootful spec with a user namespace to a network
// namespace that namespace does not own — the one netavark made for a
// bridge (run or pod create --userns=auto with the default network), a pod
// infra's such one, or the host's. The kernel refuses a sysfs mount and
// writes to net.* sysctls there, so, as Podman's canMountSys, /sys is bound
// from the host instead and the default net.* sysctls are dropped (ones the
// user asked for are kept, and fail loudly).
func userNSNetAdjust(s *specs.Spec, o *engine.ContainerCreateOptions) {
	hasUser, hasNet := false, false
	var userPath, netPath string
	for _, ns := range s.Linux.Namespaces {
		switch ns.Type {
		case specs.UserNamespace:
			hasUser, userPath = true, ns.Path
		case specs.NetworkNamespace:
			hasNet, netPath = true, ns.Path
		}
	}
	if !hasUser || (hasNet && netPath == "") || (hasNet && userPath != "" && netNSOwnedBy(netPath, userPath)) {
		return
	}
	for i, m := range s.Mounts {
		if m.Destination == "/sys" && m.Type == "sysfs" {
			mode := "ro"
			for _, op := range m.Options {
				if op == "rw" {
					mode = "rw"
				}
			}
			s.Mounts[i] = specs.Mount{Destination: "/sys", Type: "bind", Source: "/sys", Options: []string{"rprivate", "nosuid", "noexec", "nodev", mode, "rbind"}}
		}
	}
	for k := range s.Linux.Sysctl {
		if _, asked := o.Sysctls[k]; strings.HasPrefix(k, "net.") && !asked {
			delete(s.Linux.Sysctl, k)
		}
	}
}

// netNSOwnedBy reports whether the network namespace at netPath belongs to
// the user namespace at userPath (false when either cannot be read).
func netNSOwnedBy(netPath, userPath string) bool {
	f, err := os.Open(netPath)
	if err != nil {
		return false
	}
	defer f.Close()
	fd, err := unix.IoctlRetInt(int(f.Fd()), unix.NS_GET_USERNS)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var owner, want unix.Stat_t
	if unix.Fstat(fd, &owner) != nil || unix.Stat(userPath, &want) != nil {
		return false
	}
	return owner.Dev == want.Dev && owner.Ino == want.Ino
}
