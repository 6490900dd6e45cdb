package local

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/spec"
	"github.com/selkie-containers/selkie/internal/state"
)

// execProcess builds the exec's OCI process from the container's own
// (config.json in its bundle): same capabilities, rlimits, security
// settings and environment, with the session's command, env, user and
// working directory on top.
func execProcess(c *state.Container, runDir string, o engine.ExecCreateOptions) (*specs.Process, error) {
	data, err := os.ReadFile(filepath.Join(runDir, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("reading the container's configuration: %w", err)
	}
	var sp specs.Spec
	if err := json.Unmarshal(data, &sp); err != nil {
		return nil, fmt.Errorf("decoding the container's configuration: %w", err)
	}
	p := sp.Process
	if p == nil {
		p = &specs.Process{Cwd: "/"}
	}
	p.Args = o.Command
	p.Terminal = o.Terminal
	p.ConsoleSize = nil
	if o.WorkDir != "" {
		p.Cwd = o.WorkDir
	}
	p.Env = mergeEnv(p.Env, o.Env, o.Terminal)
	if o.User != "" {
		u, err := spec.LookupUser(c.State.Mountpoint, o.User, c.Options.GroupAdd)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", err, engine.ErrInvalidArg)
		}
		p.User = specs.User{UID: u.UID, GID: u.GID, AdditionalGids: u.AdditionalGids}
		p.Env = setEnv(p.Env, "HOME", u.Home)
	}
	if o.Privileged {
		all := allCapabilities()
		p.Capabilities = &specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all}
		if p.User.UID == 0 {
			p.Capabilities.Inheritable = nil
		}
	}
	return p, nil
}

// mergeEnv applies the session's variables over the container's.
func mergeEnv(base []string, extra map[string]string, tty bool) []string {
	out := append([]string{}, base...)
	if tty {
		if _, ok := extra["TERM"]; !ok && !hasEnv(out, "TERM") {
			out = append(out, "TERM=xterm")
		}
	}
	for k, v := range extra {
		out = setEnv(out, k, v)
	}
	return out
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}

func setEnv(env []string, key, val string) []string {
	for i, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			env[i] = key + "=" + val
			return env
		}
	}
	return append(env, key+"="+val)
}

// allCapabilities is every capability the caller itself may hand out
// (--privileged): its bounding set, which on some hosts lacks a few (this
// one has no CAP_SYS_RESOURCE), and asking for more makes the runtime fail.
func allCapabilities() []string {
	names := []string{"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
		"SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
		"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
		"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
		"LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
		"WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"}
	mask := ^uint64(0)
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
				if m, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64); err == nil {
					mask = m
				}
			}
		}
	}
	var out []string
	for i, n := range names {
		if mask&(1<<uint(i)) != 0 {
			out = append(out, "CAP_"+n)
		}
	}
	return out
}
