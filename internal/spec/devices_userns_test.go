package spec

import (
	"testing"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
)

// A --device in a user namespace is a bind mount of the host's node (the
// runtime can neither mknod there nor bind a renamed node); without one it
// is a device entry.
func TestDevicesInUserNS(t *testing.T) {
	root := testRootfs(t)
	gen := func(o engine.ContainerCreateOptions) (dev, mount bool) {
		t.Helper()
		o.Command = []string{"true"}
		o.Devices = []string{"/dev/null:/dev/mynull:r"}
		s, err := Generate(Input{ID: testID, Options: &o, Config: config.Default(), Rootfs: root, HardLimit: fixedLimit, PidMax: fixedPidMax})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range s.Linux.Devices {
			dev = dev || d.Path == "/dev/mynull"
		}
		for _, m := range s.Mounts {
			if m.Destination == "/dev/mynull" {
				mount = m.Source == "/dev/null" && m.Type == "bind" && contains(m.Options, "ro") && contains(m.Options, "rbind")
			}
		}
		return dev, mount
	}
	if dev, mount := gen(engine.ContainerCreateOptions{}); !dev || mount {
		t.Errorf("no user namespace: device entry %v, bind mount %v", dev, mount)
	}
	if dev, mount := gen(engine.ContainerCreateOptions{UIDMap: []string{"0:100000:65536"}, GIDMap: []string{"0:100000:65536"}}); dev || !mount {
		t.Errorf("user namespace: device entry %v, read-only bind mount %v", dev, mount)
	}
}
