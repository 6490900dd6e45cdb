package volume

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestIDMapMappings(t *testing.T) {
	ctr := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	u, g, err := IDMapMappings("idmap", ctr, ctr)
	if err != nil || !reflect.DeepEqual(u, ctr) || !reflect.DeepEqual(g, ctr) {
		t.Fatalf("plain idmap: %v %v %v", u, g, err)
	}
	u, g, err = IDMapMappings("idmap=uids=0-1-10#10-11-10", ctr, ctr)
	want := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1, Size: 10}, {ContainerID: 10, HostID: 11, Size: 10}}
	if err != nil || !reflect.DeepEqual(u, want) || !reflect.DeepEqual(g, ctr) {
		t.Fatalf("custom uids: %v %v %v", u, g, err)
	}
	if _, _, err := IDMapMappings("idmap=uids=0-1-1;gids=0-2-1", nil, nil); err != nil {
		t.Fatalf("custom, no userns: %v", err)
	}
	for opt, msg := range map[string]string{
		"idmap":                                "no user namespace",
		"idmap=uids=0-1-1":                     "no user namespace", // gids missing
		"idmap=":                               "empty mapping",
		"idmap=uids=0-1":                       "invalid value",
		"idmap=uids=a-1-1;gids=0-1-1":          "invalid value",
		"idmap=uids=0-1-0;gids=0-1-1":          "invalid value",
		"idmap=uids=0-4294967295-2;gids=0-1-1": "invalid value",
		"idmap=bogus":                          `unknown option "bogus"`,
	} {
		if _, _, err := IDMapMappings(opt, nil, nil); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: got %v, want %q", opt, err, msg)
		}
	}
}

func TestUnmountIDMappedMissing(t *testing.T) {
	if err := UnmountIDMapped(t.TempDir() + "/nope"); err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	if err := UnmountIDMapped(d); err != nil {
		t.Fatal(err)
	}
}

// TestMountIDMappedReal stages a real idmapped mount (root, kernel ≥ 5.12):
// a root-owned file shows as the mapped owner through it, and
// UnmountIDMapped leaves no mount and the source untouched.
func TestMountIDMappedReal(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	ns, err := NewUserNS(m, m)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	stage := filepath.Join(t.TempDir(), "idmap")
	target := filepath.Join(stage, "0")
	if err := MountIDMapped(src, target, ns); err != nil {
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
			t.Skipf("no idmapped mounts here: %v", err)
		}
		t.Fatal(err)
	}
	var st unix.Stat_t
	err = unix.Stat(filepath.Join(target, "f"), &st)
	if uerr := UnmountIDMapped(stage); uerr != nil {
		t.Fatal(uerr)
	}
	if err != nil || st.Uid != 100000 || st.Gid != 100000 {
		t.Fatalf("through the idmapped mount: uid %d gid %d (%v), want 100000", st.Uid, st.Gid, err)
	}
	if _, err := os.Stat(stage); !os.IsNotExist(err) {
		t.Fatalf("staging dir left: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(src, "f")); err != nil || string(b) != "x" {
		t.Fatalf("source changed: %q %v", b, err)
	}
	if err := MountIDMapped(filepath.Join(src, "f"), target, ns); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Fatalf("file source: %v", err)
	}
}
