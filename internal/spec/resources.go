package spec

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
	"golang.org/x/sys/unix"
)

// minMemory is the smallest --memory Podman accepts.
const minMemory = 6 * 1024 * 1024

// Resources converts engine resources to the OCI form (also used by update).
func Resources(r engine.Resources, cgroupV2 bool) (*specs.LinuxResources, error) {
	out := &specs.LinuxResources{}
	if r.Memory != 0 || r.MemorySwap != 0 || r.MemoryReservation != 0 {
		m := &specs.LinuxMemory{}
		if r.Memory != 0 {
			if r.Memory > 0 && r.Memory < minMemory {
				return nil, fmt.Errorf("minimum memory limit allowed is 6MB: %w", engine.ErrInvalidArg)
			}
			v := r.Memory
			m.Limit = &v
		}
		if r.MemorySwap != 0 {
			if r.Memory == 0 && r.MemorySwap > 0 {
				return nil, fmt.Errorf("you must provide a memory limit when specifying a memory-swap value: %w", engine.ErrInvalidArg)
			}
			if r.MemorySwap > 0 && r.MemorySwap < r.Memory {
				return nil, fmt.Errorf("minimum memoryswap limit should be larger than memory limit, see usage: %w", engine.ErrInvalidArg)
			}
			v := r.MemorySwap
			m.Swap = &v
		} else if r.Memory > 0 && !cgroupV2 {
			v := 2 * r.Memory
			m.Swap = &v
		}
		if r.MemoryReservation != 0 {
			v := r.MemoryReservation
			m.Reservation = &v
		}
		out.Memory = m
	}
	if r.NanoCPUs != 0 || r.CPUShares != 0 || r.CPUQuota != 0 || r.CPUPeriod != 0 || r.CPUSetCPUs != "" || r.CPUSetMems != "" {
		c := &specs.LinuxCPU{Cpus: r.CPUSetCPUs, Mems: r.CPUSetMems}
		if r.NanoCPUs != 0 {
			if r.CPUQuota != 0 || r.CPUPeriod != 0 {
				return nil, fmt.Errorf("--cpu-period and --cpus cannot be set together: %w", engine.ErrInvalidArg)
			}
			period := uint64(100000)
			quota := r.NanoCPUs * int64(period) / 1e9
			c.Period, c.Quota = &period, &quota
		}
		if r.CPUQuota != 0 {
			v := r.CPUQuota
			c.Quota = &v
		}
		if r.CPUPeriod != 0 {
			v := r.CPUPeriod
			c.Period = &v
		}
		if r.CPUShares != 0 {
			v := r.CPUShares
			c.Shares = &v
		}
		out.CPU = c
	}
	if r.PidsLimit != nil && *r.PidsLimit != 0 {
		out.Pids = &specs.LinuxPids{Limit: r.PidsLimit}
	}
	if r.BlkioWeight != 0 {
		if r.BlkioWeight < 10 || r.BlkioWeight > 1000 {
			return nil, fmt.Errorf("invalid blkio weight %d: must be between 10 and 1000: %w", r.BlkioWeight, engine.ErrInvalidArg)
		}
		w := r.BlkioWeight
		out.BlockIO = &specs.LinuxBlockIO{Weight: &w}
	}
	return out, nil
}

func setResources(s *specs.Spec, o *engine.ContainerCreateOptions, cfg *config.Config, cgroupV2 bool) error {
	r := o.Resources
	if r.PidsLimit == nil && cfg.Containers.PidsLimit > 0 && !o.Privileged {
		v := cfg.Containers.PidsLimit
		r.PidsLimit = &v
	}
	if r.PidsLimit != nil && *r.PidsLimit < 0 {
		r.PidsLimit = nil
	}
	res, err := Resources(r, cgroupV2)
	if err != nil {
		return err
	}
	res.Devices = []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}
	s.Linux.Resources = res
	return nil
}

// setDevices adds --device entries (and every host device with
// --privileged) plus --device-cgroup-rule rules.
func setDevices(s *specs.Spec, o *engine.ContainerCreateOptions, cfg *config.Config) error {
	if o.Privileged {
		s.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
		devs, err := hostDevices()
		if err != nil {
			return err
		}
		s.Linux.Devices = append(s.Linux.Devices, devs...)
	}
	inUserNS := slices.ContainsFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == specs.UserNamespace })
	for _, d := range append(append([]string(nil), cfg.Containers.Devices...), o.Devices...) {
		src, dst, perms, err := parseDevice(d)
		if err != nil {
			return err
		}
		dev, err := deviceFromPath(src, dst)
		if err != nil {
			return err
		}
		if inUserNS {
			// A user namespace may not mknod: the runtime would bind the
			// node from the host's dst. Bind src there, as Podman does.
			perm := "ro"
			if strings.Contains(perms, "w") {
				perm = "rw"
			}
			s.Mounts = append(s.Mounts, specs.Mount{Destination: dst, Type: "bind", Source: src, Options: []string{"slave", "nosuid", "noexec", perm, "rbind"}})
		} else {
			s.Linux.Devices = append(s.Linux.Devices, dev)
		}
		major, minor := dev.Major, dev.Minor
		s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, specs.LinuxDeviceCgroup{Allow: true, Type: dev.Type, Major: &major, Minor: &minor, Access: perms})
	}
	for _, rule := range o.DeviceCgroupRules {
		r, err := parseCgroupRule(rule)
		if err != nil {
			return err
		}
		s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, r)
	}
	return nil
}

func parseDevice(d string) (src, dst, perms string, err error) {
	parts := strings.Split(d, ":")
	perms = "rwm"
	switch len(parts) {
	case 1:
		src, dst = parts[0], parts[0]
	case 2:
		src = parts[0]
		if isPerms(parts[1]) {
			dst, perms = parts[0], parts[1]
		} else {
			dst = parts[1]
		}
	case 3:
		src, dst, perms = parts[0], parts[1], parts[2]
		if !isPerms(perms) {
			return "", "", "", fmt.Errorf("invalid device mode: %s: %w", perms, engine.ErrInvalidArg)
		}
	default:
		return "", "", "", fmt.Errorf("invalid device specification: %s: %w", d, engine.ErrInvalidArg)
	}
	if !filepath.IsAbs(src) || !filepath.IsAbs(dst) {
		return "", "", "", fmt.Errorf("invalid device specification: %s: %w", d, engine.ErrInvalidArg)
	}
	return src, dst, perms, nil
}

func isPerms(p string) bool {
	if p == "" {
		return false
	}
	for _, c := range p {
		if c != 'r' && c != 'w' && c != 'm' {
			return false
		}
	}
	return true
}

func deviceFromPath(src, dst string) (specs.LinuxDevice, error) {
	var st unix.Stat_t
	if err := unix.Stat(src, &st); err != nil {
		return specs.LinuxDevice{}, fmt.Errorf("stat %s: %w", src, err)
	}
	var t string
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		t = "c"
	case unix.S_IFBLK:
		t = "b"
	default:
		return specs.LinuxDevice{}, fmt.Errorf("%s is not a device: %w", src, engine.ErrInvalidArg)
	}
	mode := fs.FileMode(st.Mode & 0o777)
	uid, gid := st.Uid, st.Gid
	return specs.LinuxDevice{
		Path: dst, Type: t, Major: int64(unix.Major(uint64(st.Rdev))), Minor: int64(unix.Minor(uint64(st.Rdev))),
		FileMode: &mode, UID: &uid, GID: &gid,
	}, nil
}

// hostDevices lists /dev's devices for --privileged, skipping what the
// container gets on its own (pts, shm, mqueue, console).
func hostDevices() ([]specs.LinuxDevice, error) {
	var out []specs.LinuxDevice
	err := filepath.WalkDir("/dev", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			switch p {
			case "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/fd", "/dev/.lxc", "/dev/.udev":
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&(fs.ModeDevice) == 0 || p == "/dev/console" || p == "/dev/ptmx" {
			return nil
		}
		dev, err := deviceFromPath(p, p)
		if err == nil {
			out = append(out, dev)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	return out, nil
}

// parseCgroupRule parses "c 1:3 rwm" / "b 7:* rmw" / "a *:* rwm".
func parseCgroupRule(rule string) (specs.LinuxDeviceCgroup, error) {
	bad := fmt.Errorf("invalid device cgroup rule requires type, major:Minor, and access rules: %q: %w", rule, engine.ErrInvalidArg)
	f := strings.Fields(rule)
	if len(f) != 3 || (f[0] != "a" && f[0] != "b" && f[0] != "c") || !isPerms(f[2]) {
		return specs.LinuxDeviceCgroup{}, bad
	}
	maj, min, ok := strings.Cut(f[1], ":")
	if !ok {
		return specs.LinuxDeviceCgroup{}, bad
	}
	r := specs.LinuxDeviceCgroup{Allow: true, Type: f[0], Access: f[2]}
	num := func(s string) (*int64, error) {
		if s == "*" {
			return nil, nil
		}
		var v int64
		if _, err := fmt.Sscanf(s, "%d", &v); err != nil || v < 0 {
			return nil, bad
		}
		return &v, nil
	}
	var err error
	if r.Major, err = num(maj); err != nil {
		return r, err
	}
	if r.Minor, err = num(min); err != nil {
		return r, err
	}
	return r, nil
}

func setSysctls(s *specs.Spec, o *engine.ContainerCreateOptions, cfg *config.Config) error {
	sys := map[string]string{}
	for _, kv := range cfg.Containers.DefaultSysctls {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		// net.* sysctls need a network namespace of the container's own.
		if strings.HasPrefix(k, "net.") && o.Network == "host" {
			continue
		}
		sys[k] = v
	}
	for k, v := range o.Sysctls {
		if strings.HasPrefix(k, "net.") && o.Network == "host" {
			return fmt.Errorf("sysctl %s can't be set since Network Namespace set to host: %w", k, engine.ErrInvalidArg)
		}
		sys[k] = v
	}
	if len(sys) > 0 {
		s.Linux.Sysctl = sys
	}
	return nil
}

// CheckDevice checks a --device value as create would use it: its syntax
// and that its source is a host device.
func CheckDevice(d string) error {
	src, dst, _, err := parseDevice(d)
	if err != nil {
		return err
	}
	_, err = deviceFromPath(src, dst)
	return err
}
