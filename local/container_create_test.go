package local

import (
	"errors"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/engine"
)

func TestValidateCreate(t *testing.T) {
	ok := engine.ContainerCreateOptions{Image: "bb", Env: map[string]string{"A": "1"},
		Mounts: []engine.Mount{{Type: "bind", Source: "/a", Destination: "/x"}}, IPCMode: "container:abc", UserNS: "keep-id"}
	if err := validateCreate(&ok); err != nil {
		t.Fatalf("valid options refused: %v", err)
	}
	bad := []struct {
		name string
		mod  func(o *engine.ContainerCreateOptions)
		want string
	}{
		{"no image", func(o *engine.ContainerCreateOptions) { o.Image = " " }, "an image or --rootfs is required"},
		{"restart", func(o *engine.ContainerCreateOptions) { o.RestartPolicy = "sometimes" }, `invalid restart policy "sometimes"`},
		{"retries", func(o *engine.ContainerCreateOptions) { o.RestartPolicy, o.RestartRetries = "always", 2 }, "restart policy retries"},
		{"rm+restart", func(o *engine.ContainerCreateOptions) { o.Remove, o.RestartPolicy = true, "always" }, "conflicts with --restart"},
		{"pull", func(o *engine.ContainerCreateOptions) { o.PullPolicy = "sometimes" }, "unsupported pull policy"},
		{"relative mount", func(o *engine.ContainerCreateOptions) { o.Mounts[0].Destination = "x" }, "must be an absolute path"},
		{"dup mount", func(o *engine.ContainerCreateOptions) {
			o.Mounts = append(o.Mounts, engine.Mount{Type: "tmpfs", Destination: "/x/"})
		}, "duplicate mount destination"},
		{"mount type", func(o *engine.ContainerCreateOptions) { o.Mounts[0].Type = "nfs" }, "invalid filesystem type"},
		{"port proto", func(o *engine.ContainerCreateOptions) {
			o.PortMappings = []engine.PortMapping{{ContainerPort: 1, Protocol: "icmp"}}
		}, "unrecognized protocol"},
		{"env key", func(o *engine.ContainerCreateOptions) { o.Env = map[string]string{"A=B": "1"} }, "invalid environment variable"},
		{"env nul", func(o *engine.ContainerCreateOptions) { o.Env = map[string]string{"A": "x\x00y"} }, "invalid environment variable"},
		{"label nul", func(o *engine.ContainerCreateOptions) { o.Labels = map[string]string{"a\x00": "1"} }, "invalid label"},
		{"arg nul", func(o *engine.ContainerCreateOptions) { o.Command = []string{"sh", "\x00"} }, "NUL byte"},
		{"log driver", func(o *engine.ContainerCreateOptions) { o.LogDriver = "syslog" }, `invalid log driver "syslog"`},
		{"ns mode", func(o *engine.ContainerCreateOptions) { o.PIDMode = "container:" }, "unrecognized namespace mode container: passed"},
		{"ns mode 2", func(o *engine.ContainerCreateOptions) { o.UTSMode = "keep-id" }, "unrecognized namespace mode keep-id passed"},
	}
	for _, tc := range bad {
		o := ok
		o.Mounts = append([]engine.Mount{}, ok.Mounts...)
		tc.mod(&o)
		err := validateCreate(&o)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, engine.ErrInvalidArg) {
			t.Errorf("%s: %v (want %q, invalid argument)", tc.name, err, tc.want)
		}
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{"web": "web", "/web": "web", "a.b_c-d": "a.b_c-d", "9x": "9x"} {
		if got, err := normalizeName(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, in := range []string{"", "/", "-x", ".x", "_x", "a/b", "a b", "a:b", "../x", "x\x00", "é"} {
		if _, err := normalizeName(in); !errors.Is(err, engine.ErrInvalidArg) {
			t.Errorf("%q accepted", in)
		}
	}
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		id, err := newID()
		if err != nil || len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" || seen[id] {
			t.Fatalf("id %q %v", id, err)
		}
		seen[id] = true
		n := randomName()
		if _, err := normalizeName(n); err != nil || !strings.Contains(n, "_") {
			t.Fatalf("generated name %q invalid", n)
		}
	}
}
