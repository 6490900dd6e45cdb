package spec

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
)

var defaultMaskedPaths = []string{
	"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
	"/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/fs/selinux", "/sys/dev/block",
}

var defaultReadonlyPaths = []string{
	"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
}

// defaultMounts are Podman's: /proc, /dev, /sys, /dev/pts, /dev/mqueue,
// /dev/shm and the read-only cgroup filesystem.
func defaultMounts(o *engine.ContainerCreateOptions, cfg *config.Config) []specs.Mount {
	ms := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "noexec", "strictatime", "mode=755", "size=65536k"}},
	}
	sysRO := "ro"
	if o.Privileged {
		sysRO = "rw"
	}
	if o.Network == "host" && !o.Privileged {
		// sysfs cannot be mounted without a network namespace of our own.
		ms = append(ms, specs.Mount{Destination: "/sys", Type: "bind", Source: "/sys", Options: []string{"rprivate", "nosuid", "noexec", "nodev", "ro", "rbind"}})
	} else {
		ms = append(ms, specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", sysRO}})
	}
	ms = append(ms,
		specs.Mount{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		specs.Mount{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
	)
	if o.IPCMode == "host" {
		ms = append(ms, specs.Mount{Destination: "/dev/shm", Type: "bind", Source: "/dev/shm", Options: []string{"rbind", "nosuid", "noexec", "nodev"}})
	} else if o.IPCMode != "none" {
		ms = append(ms, specs.Mount{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=" + shmSize(o, cfg)}})
	}
	ms = append(ms, specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"rprivate", "nosuid", "noexec", "nodev", "relatime", sysRO}})
	if o.ReadOnly && (o.ReadOnlyTmpfs == nil || *o.ReadOnlyTmpfs) {
		for _, d := range []string{"/tmp", "/var/tmp", "/run"} {
			if hasMountAt(o.Mounts, d) {
				continue
			}
			ms = append(ms, specs.Mount{Destination: d, Type: "tmpfs", Source: "tmpfs", Options: []string{"rw", "rprivate", "nosuid", "nodev", "tmpcopyup"}})
		}
	}
	return ms
}

func hasMountAt(ms []engine.Mount, dest string) bool {
	for _, m := range ms {
		if path.Clean(m.Destination) == dest {
			return true
		}
	}
	return false
}

// shmSize is the /dev/shm size option in bytes: --shm-size, else
// containers.conf shm_size in Podman's decimal units (65536k = 65536000).
func shmSize(o *engine.ContainerCreateOptions, cfg *config.Config) string {
	if o.ShmSize != nil && *o.ShmSize > 0 {
		return fmt.Sprintf("%d", *o.ShmSize)
	}
	if n, err := cfg.ShmSizeBytes(); err == nil && n > 0 {
		return fmt.Sprintf("%d", n)
	}
	return "65536000"
}

// etcFileDest maps the files of the run dir that etcMounts binds to
// their place in the container.
func etcFileDest(name string) string {
	switch name {
	case "hostname":
		return "/etc/hostname"
	case "hosts":
		return "/etc/hosts"
	case "resolv.conf":
		return "/etc/resolv.conf"
	case "passwd", "group", "localtime":
		return "/etc/" + name
	}
	return "/run/.containerenv"
}

// etcMounts binds the generated files of runDir over the image's. The
// runtime resolves the destinations inside the rootfs, so an image symlink
// at /etc/hosts cannot redirect them to the host (security.md B10).
func etcMounts(runDir string, o *engine.ContainerCreateOptions) []specs.Mount {
	if runDir == "" {
		return nil
	}
	var ms []specs.Mount
	for _, name := range []string{".containerenv", "hostname", "hosts", "resolv.conf"} {
		dest := etcFileDest(name)
		if hasMountAt(o.Mounts, dest) {
			continue
		}
		if name == "hosts" && o.NoHosts {
			continue
		}
		if name == "resolv.conf" && o.Network == "none" {
			continue
		}
		ms = append(ms, specs.Mount{Destination: dest, Type: "bind", Source: filepath.Join(runDir, name), Options: []string{"bind", "rprivate"}})
	}
	// Written by the engine only when needed: passwd/group entries for a
	// UID the image does not list, the --tz zone file.
	for _, name := range []string{"passwd", "group", "localtime"} {
		dest := etcFileDest(name)
		if hasMountAt(o.Mounts, dest) {
			continue
		}
		if _, err := os.Lstat(filepath.Join(runDir, name)); err != nil {
			continue
		}
		ms = append(ms, specs.Mount{Destination: dest, Type: "bind", Source: filepath.Join(runDir, name), Options: []string{"bind", "rprivate"}})
	}
	return ms
}

// userMounts adds --volume, --mount and --tmpfs requests. Named volumes are
// resolved to bind mounts by the caller before Generate.
func userMounts(s *specs.Spec, o *engine.ContainerCreateOptions) error {
	seen := map[string]bool{}
	for _, m := range o.Mounts {
		dest := m.Destination
		if !path.IsAbs(dest) {
			return fmt.Errorf("invalid container path %q, must be an absolute path: %w", dest, engine.ErrInvalidArg)
		}
		dest = path.Clean(dest)
		if seen[dest] {
			return fmt.Errorf("%s: duplicate mount destination: %w", dest, engine.ErrInvalidArg)
		}
		seen[dest] = true
		// A user mount replaces a default one at the same place.
		s.Mounts = removeMount(s.Mounts, dest)
		switch m.Type {
		case "bind", "volume", "":
			if m.Source == "" {
				return fmt.Errorf("mount at %s has no source: %w", dest, engine.ErrInvalidArg)
			}
			opts := []string{"rbind"}
			if hasOpt(m.Options, "bind") && !hasOpt(m.Options, "rbind") {
				opts = []string{"bind"} // -v SRC:DST:bind is not recursive
			}
			if !m.RW && hasOpt(m.Options, "ro") {
				opts = append(opts, "ro")
			}
			for _, op := range m.Options {
				switch op {
				case "ro", "rw", "bind", "rbind", "z", "Z", "U":
				default:
					opts = append(opts, op)
				}
			}
			if m.Propagation != "" {
				opts = append(opts, m.Propagation)
			} else {
				opts = append(opts, "rprivate")
			}
			s.Mounts = append(s.Mounts, specs.Mount{Destination: dest, Type: "bind", Source: m.Source, Options: opts})
		case "tmpfs":
			opts := []string{"rw", "rprivate", "noexec", "nosuid", "nodev"}
			for _, op := range m.Options {
				if strings.HasPrefix(op, "size=") || strings.HasPrefix(op, "mode=") || strings.HasPrefix(op, "uid=") || strings.HasPrefix(op, "gid=") || op == "ro" || op == "exec" || op == "suid" || op == "dev" || op == "tmpcopyup" || op == "notmpcopyup" {
					opts = replaceFlagOpt(opts, op)
				}
			}
			s.Mounts = append(s.Mounts, specs.Mount{Destination: dest, Type: "tmpfs", Source: "tmpfs", Options: opts})
		case "devpts": // --mount type=devpts: another devpts instance
			opts := []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}
			for _, op := range m.Options {
				if op != "ro" && op != "rw" {
					opts = append(opts, op)
				}
			}
			s.Mounts = append(s.Mounts, specs.Mount{Destination: dest, Type: "devpts", Source: "devpts", Options: opts})
		case "overlay": // -v SRC:DST:O, prepared by the caller
			s.Mounts = append(s.Mounts, specs.Mount{Destination: dest, Type: "overlay", Source: "overlay", Options: m.Options})
		default:
			return fmt.Errorf("mount type %q at %s: %w", m.Type, dest, engine.ErrNotImplemented)
		}
	}
	// Parents before children (as Podman): a volume at /etc must not hide
	// the /etc/hosts bind mounted before it.
	var head, tail []specs.Mount
	for i, m := range s.Mounts {
		hidden := false
		for _, later := range s.Mounts[i+1:] {
			if d := path.Clean(later.Destination); d != "/" && strings.HasPrefix(path.Clean(m.Destination), d+"/") {
				hidden = true
				break
			}
		}
		if hidden {
			tail = append(tail, m)
		} else {
			head = append(head, m)
		}
	}
	s.Mounts = append(head, tail...)
	return nil
}

func replaceFlagOpt(opts []string, op string) []string {
	opposite := map[string]string{"exec": "noexec", "suid": "nosuid", "dev": "nodev", "ro": "rw"}
	if neg, ok := opposite[op]; ok {
		for i, x := range opts {
			if x == neg {
				opts[i] = op
				return opts
			}
		}
	}
	return append(opts, op)
}

func hasOpt(opts []string, o string) bool {
	for _, x := range opts {
		if x == o {
			return true
		}
	}
	return false
}

func removeMount(ms []specs.Mount, dest string) []specs.Mount {
	out := ms[:0]
	for _, m := range ms {
		if m.Destination != dest {
			out = append(out, m)
		}
	}
	return out
}

// insertBefore puts add in front of the mount at dest (Podman's order:
// the generated /etc files come before the cgroup filesystem).
func insertBefore(ms []specs.Mount, dest string, add []specs.Mount) []specs.Mount {
	for i, m := range ms {
		if m.Destination == dest {
			out := append(append(append([]specs.Mount(nil), ms[:i]...), add...), ms[i:]...)
			return out
		}
	}
	return append(ms, add...)
}
