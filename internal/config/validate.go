package config

import (
	"fmt"

	"github.com/selkie-containers/selkie/engine"
)

// Validate checks the merged configuration (files and flags) the way Podman
// does when it configures its runtime. It only stats files; it runs nothing.
func (c *Config) Validate() error {
	switch c.Engine.CgroupManager {
	case "cgroupfs", "systemd":
	default:
		return fmt.Errorf("cgroup manager must be one of cgroupfs and systemd: %w", engine.ErrInvalidArg)
	}
	switch c.Engine.EventsLogger {
	case "file", "journald", "none":
	default:
		return fmt.Errorf("%q is not a valid events backend: %w", c.Engine.EventsLogger, engine.ErrInvalidArg)
	}
	switch c.Containers.LogDriver {
	case "k8s-file", "json-file", "journald", "none", "passthrough":
	default:
		return fmt.Errorf("invalid log driver %q: %w", c.Containers.LogDriver, engine.ErrInvalidArg)
	}
	if _, err := c.Ulimits(); err != nil {
		return err
	}
	if _, err := c.ShmSizeBytes(); err != nil {
		return err
	}
	if c.Engine.Runtime != "" {
		if _, err := c.FindRuntime(c.Engine.Runtime); err != nil {
			return err
		}
	}
	return nil
}
