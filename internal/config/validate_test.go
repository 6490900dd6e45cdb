package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/engine"
)

func TestValidate(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"cgroup manager", func(c *Config) { c.Engine.CgroupManager = "bogus" }, "cgroup manager must be one of cgroupfs and systemd"},
		{"events backend", func(c *Config) { c.Engine.EventsLogger = "bogus" }, `"bogus" is not a valid events backend`},
		{"log driver", func(c *Config) { c.Containers.LogDriver = "syslog" }, `invalid log driver "syslog"`},
		{"ulimit", func(c *Config) { c.Containers.DefaultUlimits = []string{"nofile=2:1"} }, "default_ulimits"},
		{"shm size", func(c *Config) { c.Containers.ShmSize = "lots" }, "shm_size"},
		{"runtime", func(c *Config) { c.Engine.Runtime = "bogus" }, `default OCI runtime "bogus" not found`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.mutate(c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, engine.ErrInvalidArg) {
				t.Errorf("Validate() = %v, want %q wrapping ErrInvalidArg", err, tc.want)
			}
		})
	}
}
