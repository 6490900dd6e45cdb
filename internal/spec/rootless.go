package spec

import (
	"fmt"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
	"github.com/selkie-containers/selkie/internal/rootless"
)

// rootlessV1Limits explains why resource limits are refused rootless on
// cgroup v1.
const rootlessV1Limits = "resource limits are not supported on cgroups V1 rootless systems: the kernel only delegates cgroup v2 subtrees to normal users (boot with cgroup v2 and systemd delegation, or run as root)"

// hasLimits reports whether the user asked for a cgroup limit.
func hasLimits(r engine.Resources) bool {
	return r.Memory != 0 || r.MemorySwap != 0 || r.MemoryReservation != 0 || r.NanoCPUs != 0 ||
		r.CPUShares != 0 || r.CPUQuota != 0 || r.CPUPeriod != 0 || r.CPUSetCPUs != "" ||
		r.CPUSetMems != "" || (r.PidsLimit != nil && *r.PidsLimit > 0) || r.BlkioWeight != 0
}

// rootlessAdjust turns a spec generated for root into one a user namespace
// can run, as Podman does for rootless containers: on cgroup v1 no
// cgroup (limits refused, the default pids limit silently dropped) and the
// host's cgroup tree bound read-only; devpts without gid=5 when GID 5 is not
// mapped; /sys bound from the host when the container has no network
// namespace of its own.
func rootlessAdjust(s *specs.Spec, o *engine.ContainerCreateOptions, cfg *config.Config, cgroupV2 bool) error {
	// cgroup v2 limits need a subtree systemd delegated to the user.
	delegated := cgroupV2 && cfg.Engine.CgroupManager == "systemd"
	if !delegated {
		if hasLimits(o.Resources) {
			if cgroupV2 {
				return fmt.Errorf("resource limits for rootless containers need the cgroup v2 subtree systemd delegates to the user: set cgroup_manager = \"systemd\" (with a user session): %w", engine.ErrInvalidArg)
			}
			return fmt.Errorf("%s: %w", rootlessV1Limits, engine.ErrInvalidArg)
		}
		s.Linux.Resources = nil
		s.Linux.CgroupsPath = ""
		for i, m := range s.Mounts {
			if !cgroupV2 && m.Destination == "/sys/fs/cgroup" && m.Type == "cgroup" {
				ro := "ro"
				if o.Privileged {
					ro = "rw"
				}
				s.Mounts[i] = specs.Mount{Destination: "/sys/fs/cgroup", Type: "bind", Source: "/sys/fs/cgroup", Options: []string{"rprivate", "nosuid", "noexec", "nodev", ro, "rbind"}}
			}
		}
	} else if s.Linux.Resources != nil {
		s.Linux.Resources.Devices = nil
	}
	if !gidMapped(5) {
		for i, m := range s.Mounts {
			if m.Type != "devpts" {
				continue
			}
			var opts []string
			for _, op := range m.Options {
				if !strings.HasPrefix(op, "gid=") {
					opts = append(opts, op)
				}
			}
			s.Mounts[i].Options = opts
		}
	}
	// sysfs can only be mounted in a network namespace owned by the
	// container's user namespace: one runc creates, or (no user namespace
	// of its own) one selkie created in this namespace for pasta/slirp4netns.
	ownNet, ownUser := false, false
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.UserNamespace {
			ownUser = true
		}
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace && (ns.Path == "" || !ownUser) {
			ownNet = true
		}
	}
	if !ownNet {
		// Nor can the default net.* sysctls be written there.
		for k := range s.Linux.Sysctl {
			if _, asked := o.Sysctls[k]; strings.HasPrefix(k, "net.") && !asked {
				delete(s.Linux.Sysctl, k)
			}
		}
		for i, m := range s.Mounts {
			if m.Destination == "/sys" && m.Type == "sysfs" {
				s.Mounts[i] = specs.Mount{Destination: "/sys", Type: "bind", Source: "/sys", Options: []string{"rprivate", "nosuid", "noexec", "nodev", "ro", "rbind"}}
			}
		}
	}
	// Lowering the OOM score needs CAP_SYS_RESOURCE on the host.
	if s.Process.OOMScoreAdj != nil && *s.Process.OOMScoreAdj < currentOOMScoreAdj() {
		v := currentOOMScoreAdj()
		s.Process.OOMScoreAdj = &v
	}
	return nil
}

// gidMapped reports whether gid is mapped in this process's user namespace.
func gidMapped(gid uint32) bool {
	data, err := os.ReadFile("/proc/self/gid_map")
	if err != nil {
		return true
	}
	for _, line := range strings.Split(string(data), "\n") {
		var inside, outside, size uint64
		if n, _ := fmt.Sscan(line, &inside, &outside, &size); n != 3 {
			continue
		}
		if uint64(gid) >= inside && uint64(gid) < inside+size {
			return true
		}
	}
	return false
}

func currentOOMScoreAdj() int {
	data, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return 0
	}
	var v int
	_, _ = fmt.Sscan(strings.TrimSpace(string(data)), &v)
	return v
}

// containerUserNS resolves --userns (rootless.ContainerUserNS) with the
// engine's error kinds.
func containerUserNS(o *engine.ContainerCreateOptions, cfg *config.Config) (rootless.UserNS, error) {
	kind, _, _ := strings.Cut(o.UserNS, ":")
	if kind == "container" {
		// Resolved to ns:PATH when the container starts; nothing to map.
		return rootless.UserNS{}, nil
	}
	uns, err := rootless.ContainerUserNSMaps(o.UserNS, o.UIDMap, o.GIDMap, o.SubUIDName, o.SubGIDName, cfg.Rootless)
	if err != nil {
		return uns, fmt.Errorf("%v: %w", err, engine.ErrInvalidArg)
	}
	return uns, nil
}

// setUserNS gives the container its user namespace: a private one with the
// mappings, or an existing one by path.
func setUserNS(s *specs.Spec, uns rootless.UserNS) {
	switch {
	case uns.Private:
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		s.Linux.UIDMappings = uns.UIDMap
		s.Linux.GIDMappings = uns.GIDMap
	case uns.Path != "":
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace, Path: uns.Path})
		s.Linux.UIDMappings = uns.UIDMap
		s.Linux.GIDMappings = uns.GIDMap
	}
}
