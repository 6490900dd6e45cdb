package spec

import (
	"errors"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
)

func TestRootlessCgroups(t *testing.T) {
	t.Parallel()
	gen := func(o engine.ContainerCreateOptions, v2 bool, manager string) (*engine.ContainerCreateOptions, error, bool) {
		cfg := config.Default()
		cfg.Rootless = true
		cfg.Engine.CgroupManager = manager
		o.Command = []string{"true"}
		s, err := Generate(Input{ID: "0123456789ab", Options: &o, Config: cfg, Rootfs: t.TempDir(), CgroupV2: v2})
		if err != nil {
			return &o, err, false
		}
		return &o, nil, s.Linux.Resources != nil && s.Linux.Resources.Pids != nil
	}
	mem := engine.ContainerCreateOptions{Resources: engine.Resources{Memory: 64 << 20}}
	// cgroup v1: a limit is refused with the reason, the default pids
	// limit is dropped silently.
	if _, err, _ := gen(mem, false, "cgroupfs"); !errors.Is(err, engine.ErrInvalidArg) || !strings.Contains(err.Error(), "cgroups V1 rootless") {
		t.Fatalf("v1 --memory: %v", err)
	}
	if _, err, pids := gen(engine.ContainerCreateOptions{}, false, "cgroupfs"); err != nil || pids {
		t.Fatalf("v1 default: err %v, pids limit kept %v", err, pids)
	}
	// cgroup v2 without systemd delegation: refused too; with it, kept.
	if _, err, _ := gen(mem, true, "cgroupfs"); !errors.Is(err, engine.ErrInvalidArg) || !strings.Contains(err.Error(), "systemd") {
		t.Fatalf("v2 cgroupfs --memory: %v", err)
	}
	if _, err, pids := gen(engine.ContainerCreateOptions{}, true, "systemd"); err != nil || !pids {
		t.Fatalf("v2 systemd default: err %v, pids limit kept %v", err, pids)
	}
}
