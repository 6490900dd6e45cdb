package spec

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
)

func TestUserNSNetAdjust(t *testing.T) {
	sysfs := specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}}
	for _, tc := range []struct {
		name     string
		ns       []specs.LinuxNamespace
		wantBind bool
	}{
		{"no user namespace", []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/run/netns/x"}}, false},
		{"new userns, new netns", []specs.LinuxNamespace{{Type: specs.UserNamespace}, {Type: specs.NetworkNamespace}}, false},
		{"new userns, made netns", []specs.LinuxNamespace{{Type: specs.UserNamespace}, {Type: specs.NetworkNamespace, Path: "/run/netns/x"}}, true},
		{"new userns, host network", []specs.LinuxNamespace{{Type: specs.UserNamespace}}, true},
		// Ownership that cannot be shown (paths gone) binds /sys: always safe.
		{"joined userns, unreadable netns", []specs.LinuxNamespace{{Type: specs.UserNamespace, Path: "/nonexistent/user"}, {Type: specs.NetworkNamespace, Path: "/nonexistent/net"}}, true},
		{"joined userns owning the netns", []specs.LinuxNamespace{{Type: specs.UserNamespace, Path: "/proc/self/ns/user"}, {Type: specs.NetworkNamespace, Path: "/proc/self/ns/net"}}, false},
	} {
		s := &specs.Spec{Mounts: []specs.Mount{sysfs}, Linux: &specs.Linux{Namespaces: tc.ns,
			Sysctl: map[string]string{"net.ipv4.ping_group_range": "0 0", "net.core.somaxconn": "100", "kernel.msgmax": "1"}}}
		userNSNetAdjust(s, &engine.ContainerCreateOptions{Sysctls: map[string]string{"net.core.somaxconn": "100"}})
		bound := s.Mounts[0].Type == "bind" && s.Mounts[0].Source == "/sys"
		if bound != tc.wantBind {
			t.Errorf("%s: /sys mount %+v", tc.name, s.Mounts[0])
		}
		_, dflt := s.Linux.Sysctl["net.ipv4.ping_group_range"]
		if dflt == tc.wantBind || s.Linux.Sysctl["net.core.somaxconn"] != "100" || s.Linux.Sysctl["kernel.msgmax"] != "1" {
			t.Errorf("%s: sysctls %v", tc.name, s.Linux.Sysctl)
		}
	}
}
