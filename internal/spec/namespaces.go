package spec

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
)

// setNamespaces adds pid, network, ipc, uts, mount and (when asked) cgroup
// namespaces in Podman's order.
func setNamespaces(s *specs.Spec, o *engine.ContainerCreateOptions, netnsPath string) error {
	add := func(t specs.LinuxNamespaceType, mode, what string) error {
		switch {
		case mode == "host":
			return nil
		case strings.HasPrefix(mode, "ns:"):
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: t, Path: strings.TrimPrefix(mode, "ns:")})
		case mode == "", mode == "private", mode == "shareable", mode == "none":
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: t})
		default:
			return fmt.Errorf("%s mode %q: %w", what, mode, engine.ErrNotImplemented)
		}
		return nil
	}
	if err := add(specs.PIDNamespace, o.PIDMode, "pid"); err != nil {
		return err
	}
	switch o.Network {
	case "host":
	case "none", "":
		if netnsPath != "" && o.Network != "none" {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: netnsPath})
		} else {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace})
		}
	default:
		if strings.HasPrefix(o.Network, "ns:") {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: strings.TrimPrefix(o.Network, "ns:")})
		} else if strings.HasPrefix(o.Network, "container:") {
			return fmt.Errorf("network mode %q: %w", o.Network, engine.ErrNotImplemented)
		} else {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: netnsPath})
		}
	}
	if err := add(specs.IPCNamespace, o.IPCMode, "ipc"); err != nil {
		return err
	}
	if err := add(specs.UTSNamespace, o.UTSMode, "uts"); err != nil {
		return err
	}
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.MountNamespace})
	if o.CgroupNS == "private" {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	} else if p, ok := strings.CutPrefix(o.CgroupNS, "ns:"); ok {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace, Path: p})
	}
	return nil
}
