package config

import "path/filepath"

// Paths are the directories Selkie keeps its own data in. containers.conf may
// set each; otherwise Podman's defaults apply, which depend on the store's
// graph root and on whether the caller is rootless.
type Paths struct {
	// StaticDir holds persistent engine state (graphroot/libpod).
	StaticDir string
	// TmpDir holds state that must not survive a reboot (/run/libpod as root,
	// $XDG_RUNTIME_DIR/libpod/tmp rootless).
	TmpDir string
	// VolumePath holds named volumes (graphroot/volumes).
	VolumePath string
	// NetworkConfigDir holds network definitions (/etc/containers/networks as
	// root, graphroot/networks rootless).
	NetworkConfigDir string
}

// Paths resolves the engine's directories for the store at graphRoot.
func (c *Config) Paths(graphRoot string) Paths {
	p := Paths{
		StaticDir:        c.Engine.StaticDir,
		TmpDir:           c.Engine.TmpDir,
		VolumePath:       c.Engine.VolumePath,
		NetworkConfigDir: c.Network.NetworkConfigDir,
	}
	if p.StaticDir == "" {
		p.StaticDir = filepath.Join(graphRoot, "libpod")
	}
	if p.VolumePath == "" {
		p.VolumePath = filepath.Join(graphRoot, "volumes")
	}
	if p.TmpDir == "" {
		if c.Rootless && c.RuntimeDir != "" {
			p.TmpDir = filepath.Join(c.RuntimeDir, "libpod", "tmp")
		} else {
			p.TmpDir = "/run/libpod"
		}
	}
	if p.NetworkConfigDir == "" {
		if c.Rootless {
			p.NetworkConfigDir = filepath.Join(graphRoot, "networks")
		} else {
			p.NetworkConfigDir = "/etc/containers/networks"
		}
	}
	return p
}
