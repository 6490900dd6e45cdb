package spec

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
)

// allCaps lists the capabilities by number (CAP_CHOWN = 0 …).
var allCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// knownCaps is allCaps limited to the caller's bounding set: the runtime
// cannot grant what the engine itself does not hold (this host, for one,
// lacks CAP_SYS_RESOURCE).
func knownCaps() []string {
	mask, ok := boundingSet()
	if !ok {
		return allCaps
	}
	var out []string
	for i, c := range allCaps {
		if mask&(1<<uint(i)) != 0 {
			out = append(out, c)
		}
	}
	return out
}

// boundingSet reads CapBnd of this process.
func boundingSet() (uint64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "CapBnd:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// holdable drops from caps what the caller cannot grant.
func holdable(caps []string) []string {
	mask, ok := boundingSet()
	if !ok {
		return caps
	}
	var out []string
	for _, c := range caps {
		for i, k := range allCaps {
			if k == c && mask&(1<<uint(i)) != 0 {
				out = append(out, c)
			}
		}
	}
	return out
}

func normCap(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	if !strings.HasPrefix(c, "CAP_") {
		c = "CAP_" + c
	}
	return c
}

func validCap(c string) bool {
	for _, x := range allCaps {
		if x == c {
			return true
		}
	}
	return false
}

// capabilities computes the bounding set, and for a non-root user the set
// it may keep: only what --cap-add named (security.md R3, R5).
func capabilities(o *engine.ContainerCreateOptions, cfg *config.Config, nonRoot bool) (*specs.LinuxCapabilities, error) {
	set := map[string]bool{}
	var order []string
	add := func(c string) {
		if !set[c] {
			set[c] = true
			order = append(order, c)
		}
	}
	if o.Privileged {
		for _, c := range knownCaps() {
			add(c)
		}
	} else {
		for _, c := range cfg.Containers.DefaultCapabilities {
			add(normCap(c))
		}
	}
	var added []string
	for _, c := range o.CapDrop {
		c = normCap(c)
		if c == "CAP_ALL" {
			set = map[string]bool{}
			order = nil
			continue
		}
		if !validCap(c) {
			return nil, fmt.Errorf("unknown capability %q: %w", strings.TrimPrefix(c, "CAP_"), engine.ErrInvalidArg)
		}
		delete(set, c)
	}
	for _, c := range o.CapAdd {
		c = normCap(c)
		if c == "CAP_ALL" {
			for _, k := range knownCaps() {
				add(k)
			}
			added = append(added, knownCaps()...)
			continue
		}
		if !validCap(c) {
			return nil, fmt.Errorf("unknown capability %q: %w", strings.TrimPrefix(c, "CAP_"), engine.ErrInvalidArg)
		}
		add(c)
		added = append(added, c)
	}
	var bounding []string
	for _, c := range allCaps {
		if set[c] {
			bounding = append(bounding, c)
		}
	}
	bounding = holdable(bounding)
	caps := &specs.LinuxCapabilities{Bounding: bounding}
	if !nonRoot {
		caps.Effective = append([]string(nil), bounding...)
		caps.Permitted = append([]string(nil), bounding...)
		return caps, nil
	}
	// A non-root user keeps only the capabilities explicitly added, in all
	// of effective, permitted, inheritable and ambient (Podman's rule).
	inBounding := map[string]bool{}
	for _, c := range bounding {
		inBounding[c] = true
	}
	var kept []string
	for _, c := range allCaps {
		for _, a := range added {
			if a == c && inBounding[c] {
				kept = append(kept, c)
				break
			}
		}
	}
	caps.Effective = kept
	caps.Permitted = append([]string(nil), kept...)
	caps.Inheritable = append([]string(nil), kept...)
	caps.Ambient = append([]string(nil), kept...)
	return caps, nil
}

// setSecurity applies capabilities, --privileged, --security-opt and seccomp.
func setSecurity(s *specs.Spec, o *engine.ContainerCreateOptions, cfg *config.Config, nonRoot bool) error {
	caps, err := capabilities(o, cfg, nonRoot)
	if err != nil {
		return err
	}
	s.Process.Capabilities = caps
	seccompProfile := cfg.Containers.SeccompProfile
	if o.Privileged {
		s.Linux.MaskedPaths = nil
		s.Linux.ReadonlyPaths = nil
		seccompProfile = "unconfined"
	}
	for _, opt := range o.SecurityOpt {
		key, val, hasVal := strings.Cut(opt, "=")
		if !hasVal {
			key, val, hasVal = strings.Cut(opt, ":")
		}
		switch key {
		case "no-new-privileges":
			s.Process.NoNewPrivileges = !hasVal || val == "true"
		case "seccomp":
			seccompProfile = val
		case "label":
			// SELinux is not enabled on the hosts Selkie supports yet; label
			// options are accepted and have no effect, as on such a Podman host.
		case "apparmor":
			if val != "unconfined" {
				s.Process.ApparmorProfile = val
			}
		case "mask":
			for _, p := range strings.Split(val, ":") {
				if p != "" {
					s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, p)
				}
			}
		case "unmask":
			s.Linux.MaskedPaths = unmask(s.Linux.MaskedPaths, val)
			s.Linux.ReadonlyPaths = unmask(s.Linux.ReadonlyPaths, val)
		case "proc-opts", "systempaths":
			if key == "systempaths" && val == "unconfined" {
				s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
			}
		default:
			return fmt.Errorf("invalid --security-opt 1: %q: %w", opt, engine.ErrInvalidArg)
		}
	}
	switch seccompProfile {
	case "unconfined":
	case "":
		sc, err := seccomp.GetDefaultProfile(s)
		if err != nil {
			return fmt.Errorf("loading the default seccomp profile: %w", err)
		}
		s.Linux.Seccomp = sc
	default:
		data, err := os.ReadFile(seccompProfile)
		if err != nil {
			return fmt.Errorf("opening seccomp profile failed: %w", err)
		}
		sc, err := seccomp.LoadProfile(string(data), s)
		if err != nil {
			return fmt.Errorf("loading seccomp profile %s: %w: %w", seccompProfile, err, engine.ErrInvalidArg)
		}
		s.Linux.Seccomp = sc
	}
	return nil
}

func unmask(paths []string, val string) []string {
	if val == "ALL" {
		return nil
	}
	drop := map[string]bool{}
	for _, p := range strings.Split(val, ":") {
		drop[p] = true
	}
	var out []string
	for _, p := range paths {
		if !drop[p] {
			out = append(out, p)
		}
	}
	return out
}
