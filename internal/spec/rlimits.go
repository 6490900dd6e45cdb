package spec

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
	"golang.org/x/sys/unix"
)

// rlimitDefault is Podman's nofile and nproc default for root containers.
const rlimitDefault = 1048576

var rlimitNames = map[string]int{
	"core": unix.RLIMIT_CORE, "cpu": unix.RLIMIT_CPU, "data": unix.RLIMIT_DATA, "fsize": unix.RLIMIT_FSIZE,
	"locks": unix.RLIMIT_LOCKS, "memlock": unix.RLIMIT_MEMLOCK, "msgqueue": unix.RLIMIT_MSGQUEUE,
	"nice": unix.RLIMIT_NICE, "nofile": unix.RLIMIT_NOFILE, "nproc": unix.RLIMIT_NPROC,
	"rss": unix.RLIMIT_RSS, "rtprio": unix.RLIMIT_RTPRIO, "rttime": unix.RLIMIT_RTTIME,
	"sigpending": unix.RLIMIT_SIGPENDING, "stack": unix.RLIMIT_STACK, "as": unix.RLIMIT_AS,
}

// ParseUlimit parses "name=soft[:hard]" (-1 means unlimited).
func ParseUlimit(s string) (engine.Ulimit, error) {
	name, vals, ok := strings.Cut(s, "=")
	if !ok {
		return engine.Ulimit{}, fmt.Errorf("invalid ulimit argument: %s: %w", s, engine.ErrInvalidArg)
	}
	name = strings.TrimPrefix(strings.ToLower(name), "rlimit_")
	if _, ok := rlimitNames[name]; !ok {
		return engine.Ulimit{}, fmt.Errorf("invalid ulimit type: %s: %w", name, engine.ErrInvalidArg)
	}
	softS, hardS, hasHard := strings.Cut(vals, ":")
	soft, err := strconv.ParseInt(softS, 10, 64)
	if err != nil {
		return engine.Ulimit{}, fmt.Errorf("invalid ulimit argument: %s: %w", s, engine.ErrInvalidArg)
	}
	hard := soft
	if hasHard {
		if hard, err = strconv.ParseInt(hardS, 10, 64); err != nil {
			return engine.Ulimit{}, fmt.Errorf("invalid ulimit argument: %s: %w", s, engine.ErrInvalidArg)
		}
	}
	if soft > hard && hard != -1 || soft == -1 && hard != -1 {
		return engine.Ulimit{}, fmt.Errorf("ulimit soft limit must be less than or equal to hard limit: %d > %d: %w", soft, hard, engine.ErrInvalidArg)
	}
	return engine.Ulimit{Name: name, Soft: soft, Hard: hard}, nil
}

func hostHardLimit(res int) (uint64, error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(res, &rl); err != nil {
		return 0, err
	}
	return rl.Max, nil
}

func hostPidMax() uint64 {
	data, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		return 0
	}
	v, _ := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	return v
}

func toRlim(v int64) uint64 {
	if v < 0 {
		return unix.RLIM_INFINITY
	}
	return uint64(v)
}

// setRlimits applies the defaults (containers.conf default_ulimits, then
// nofile/nproc at Podman's 1048576) clamped to the caller's hard limits, as
// a process without CAP_SYS_RESOURCE cannot raise them; an explicit
// --ulimit above the caller's hard limit is an error instead.
func setRlimits(s *specs.Spec, o *engine.ContainerCreateOptions, cfg *config.Config, hardLimit func(int) (uint64, error), pidMax func() uint64) error {
	if hardLimit == nil {
		hardLimit = hostHardLimit
	}
	if pidMax == nil {
		pidMax = hostPidMax
	}
	limits := map[string]specs.POSIXRlimit{}
	var order []string
	put := func(name string, soft, hard uint64) {
		t := "RLIMIT_" + strings.ToUpper(name)
		if _, ok := limits[t]; !ok {
			order = append(order, t)
		}
		limits[t] = specs.POSIXRlimit{Type: t, Soft: soft, Hard: hard}
	}
	clamp := func(name string, soft, hard uint64) {
		max, err := hardLimit(rlimitNames[name])
		if err == nil && max != unix.RLIM_INFINITY {
			if hard > max {
				hard = max
			}
			if soft > hard {
				soft = hard
			}
		}
		put(name, soft, hard)
	}
	clamp("nofile", rlimitDefault, rlimitDefault)
	nproc := uint64(rlimitDefault)
	if max, err := hardLimit(unix.RLIMIT_NPROC); err == nil && max < nproc {
		// Podman falls back to pid_max when it cannot raise nproc.
		if pm := pidMax(); pm > 0 && pm < nproc {
			nproc = pm
		}
	}
	clamp("nproc", nproc, nproc)
	for _, u := range cfg.Containers.DefaultUlimits {
		ul, err := ParseUlimit(u)
		if err != nil {
			return fmt.Errorf("containers.conf default_ulimits: %w", err)
		}
		clamp(ul.Name, toRlim(ul.Soft), toRlim(ul.Hard))
	}
	for _, ul := range o.Ulimits {
		name := strings.TrimPrefix(strings.ToLower(ul.Name), "rlimit_")
		res, ok := rlimitNames[name]
		if !ok {
			return fmt.Errorf("invalid ulimit type: %s: %w", ul.Name, engine.ErrInvalidArg)
		}
		soft, hard := toRlim(ul.Soft), toRlim(ul.Hard)
		if max, err := hardLimit(res); err == nil && max != unix.RLIM_INFINITY && hard > max {
			return fmt.Errorf("ulimit %s=%d:%d: hard limit exceeds the maximum allowed (%d); raising it needs CAP_SYS_RESOURCE: %w",
				name, ul.Soft, ul.Hard, max, engine.ErrInvalidArg)
		}
		put(name, soft, hard)
	}
	for _, t := range order {
		s.Process.Rlimits = append(s.Process.Rlimits, limits[t])
	}
	return nil
}
