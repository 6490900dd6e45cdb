package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
	"golang.org/x/sys/unix"
)

// postConfigureNetNS reports whether c's network namespace is made by the
// runtime inside the container's own user namespace and configured once
// the container is created, as Podman's PostConfigureNetNS: rootful, with
// a private user namespace (--userns=auto, keep-id, nomap, --uidmap…) and
// a network Selkie sets up (bridge). A namespace made beforehand belongs to
// the host's user namespace, where the container cannot mount sysfs, nor
// can a pod member (which joins the infra's user namespace first) join it.
func (e *Engine) postConfigureNetNS(o *engine.ContainerCreateOptions) bool {
	if e.cfg.Rootless || !needsNetNS(o.Network) {
		return false
	}
	u, err := containerUserNS(o, false)
	return err == nil && (u.Private || u.Auto) && u.Path == ""
}

// configureCreatedNetNS binds the network namespace of the created (not yet
// started) container at netnsPath(c.ID), sets the network up in it, and
// rewrites the container's /etc/hosts and /etc/resolv.conf in place (they
// are already bound into it) with what the setup returned.
func (e *Engine) configureCreatedNetNS(ctx context.Context, c *state.Container, runDir string, pid int) error {
	if pid <= 0 {
		return fmt.Errorf("configuring the network of container %s: no process", c.ID)
	}
	p, err := e.netnsPath(c.ID)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	_ = unix.Unmount(p, unix.MNT_DETACH) // a leftover of a crash
	f, err := os.OpenFile(p, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	if err := unix.Mount(fmt.Sprintf("/proc/%d/ns/net", pid), p, "none", unix.MS_BIND, ""); err != nil {
		_ = os.Remove(p)
		return fmt.Errorf("binding the network namespace of container %s: %w", c.ID, err)
	}
	if _, err := e.setupNetwork(ctx, c, p); err != nil {
		return fmt.Errorf("setting up the network of container %s: %w", c.ID, err)
	}
	// The etc files as they are now, written beside, then copied over the
	// bound ones (same inodes).
	tmp, err := os.MkdirTemp(runDir, ".etc-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := e.writeEtcFiles(c, tmp); err != nil {
		return err
	}
	for _, name := range []string{"hosts", "resolv.conf"} {
		data, err := os.ReadFile(filepath.Join(tmp, name))
		if err != nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(runDir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
