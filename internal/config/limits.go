package config

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"github.com/selkie-containers/selkie/engine"
)

// Ulimit is one parsed rlimit. Soft and Hard are -1 for "unlimited".
type Ulimit struct {
	// Name is the short name as written: "nofile", "nproc" …
	Name string `json:"Name"`
	// Type is the OCI rlimit type: "RLIMIT_NOFILE" …
	Type string `json:"Type"`
	Soft int64  `json:"Soft"`
	Hard int64  `json:"Hard"`
}

var ulimitTypes = map[string]string{
	"as": "RLIMIT_AS", "core": "RLIMIT_CORE", "cpu": "RLIMIT_CPU", "data": "RLIMIT_DATA",
	"fsize": "RLIMIT_FSIZE", "locks": "RLIMIT_LOCKS", "memlock": "RLIMIT_MEMLOCK",
	"msgqueue": "RLIMIT_MSGQUEUE", "nice": "RLIMIT_NICE", "nofile": "RLIMIT_NOFILE",
	"nproc": "RLIMIT_NPROC", "rss": "RLIMIT_RSS", "rtprio": "RLIMIT_RTPRIO",
	"rttime": "RLIMIT_RTTIME", "sigpending": "RLIMIT_SIGPENDING", "stack": "RLIMIT_STACK",
}

// ParseUlimit parses "name=soft[:hard]" as --ulimit and default_ulimits take
// it; -1 (or "unlimited") means unlimited. Errors wrap engine.ErrInvalidArg
// with go-units' wording, which Podman prints.
func ParseUlimit(s string) (Ulimit, error) {
	name, vals, ok := strings.Cut(s, "=")
	if !ok || name == "" || vals == "" {
		return Ulimit{}, fmt.Errorf("invalid ulimit argument: %s: %w", s, engine.ErrInvalidArg)
	}
	typ, ok := ulimitTypes[name]
	if !ok {
		return Ulimit{}, fmt.Errorf("invalid ulimit type: %s: %w", name, engine.ErrInvalidArg)
	}
	softS, hardS, hasHard := strings.Cut(vals, ":")
	soft, err := parseLimit(softS)
	if err != nil {
		return Ulimit{}, fmt.Errorf("invalid ulimit soft value %s: %w", softS, engine.ErrInvalidArg)
	}
	hard := soft
	if hasHard {
		if hard, err = parseLimit(hardS); err != nil {
			return Ulimit{}, fmt.Errorf("invalid ulimit hard value %s: %w", hardS, engine.ErrInvalidArg)
		}
	}
	if hard != -1 && (soft == -1 || soft > hard) {
		return Ulimit{}, fmt.Errorf("ulimit soft limit must be less than or equal to hard limit: %d > %d: %w", soft, hard, engine.ErrInvalidArg)
	}
	return Ulimit{Name: name, Type: typ, Soft: soft, Hard: hard}, nil
}

func parseLimit(s string) (int64, error) {
	if s == "unlimited" || s == "-1" {
		return -1, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("invalid limit %q", s)
	}
	return v, nil
}

// Ulimits parses [containers] default_ulimits.
func (c *Config) Ulimits() ([]Ulimit, error) {
	out := make([]Ulimit, 0, len(c.Containers.DefaultUlimits))
	for _, s := range c.Containers.DefaultUlimits {
		u, err := ParseUlimit(s)
		if err != nil {
			return nil, fmt.Errorf("containers.conf default_ulimits: %w", err)
		}
		out = append(out, u)
	}
	return out, nil
}

// Capabilities returns [containers] default_capabilities normalised to
// "CAP_X" upper case, sorted and without duplicates.
func (c *Config) Capabilities() []string {
	seen := map[string]bool{}
	out := []string{}
	for _, cp := range c.Containers.DefaultCapabilities {
		cp = strings.ToUpper(strings.TrimSpace(cp))
		if cp == "" {
			continue
		}
		if !strings.HasPrefix(cp, "CAP_") {
			cp = "CAP_" + cp
		}
		if !seen[cp] {
			seen[cp] = true
			out = append(out, cp)
		}
	}
	sort.Strings(out)
	return out
}

// ShmSizeBytes is [containers] shm_size in bytes. Podman parses it with
// decimal units (units.FromHumanSize): the default "65536k" is 65536000.
func (c *Config) ShmSizeBytes() (int64, error) {
	n, err := units.FromHumanSize(c.Containers.ShmSize)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("containers.conf shm_size: invalid size: '%s': %w", c.Containers.ShmSize, engine.ErrInvalidArg)
	}
	return n, nil
}

// StopTimeout is [engine] stop_timeout in seconds.
func (c *Config) StopTimeout() uint { return c.Engine.StopTimeout }

// ParseSize parses a size as Podman's --memory/--shm-size take it: a number
// with an optional b, k, m, g, t or p suffix (binary multiples, optional
// trailing "b"/"ib", any case), e.g. "64m", "65536k", "1.5g", "100".
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(t, "ib")
	if len(t) > 1 && strings.HasSuffix(t, "b") {
		t = t[:len(t)-1]
	}
	mult := int64(1)
	if n := len(t); n > 0 {
		if i := strings.IndexByte("bkmgtp", t[n-1]); i >= 0 {
			mult = int64(1) << (10 * i)
			t = strings.TrimSpace(t[:n-1])
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || t == "" || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) || strings.ContainsAny(t, "eE+x") {
		return 0, fmt.Errorf("invalid size: '%s': %w", s, engine.ErrInvalidArg)
	}
	b := v * float64(mult)
	if b >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size: '%s': too large: %w", s, engine.ErrInvalidArg)
	}
	return int64(b), nil
}
