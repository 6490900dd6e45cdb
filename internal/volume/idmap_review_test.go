package volume

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// UnmountIDMapped never deletes through what it finds in the staging
// directory: a non-empty directory that is not a mount keeps its content,
// a symlink to a mounted host directory neither unmounts nor empties it,
// and stacked staged mounts (two starts racing) all come off.
func TestUnmountIDMappedNeverDeletes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644)
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	ns, err := NewUserNS(m, m)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	stage := filepath.Join(t.TempDir(), "idmap")
	for i := 0; i < 2; i++ { // stacked on the same target
		if err := MountIDMapped(src, filepath.Join(stage, "0"), ns); err != nil {
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
				t.Skipf("no idmapped mounts here: %v", err)
			}
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for i := 0; i < 3; i++ {
			unix.Unmount(filepath.Join(stage, "0"), unix.MNT_DETACH)
		}
	})
	// Not a mount, not empty.
	if err := os.MkdirAll(filepath.Join(stage, "1"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(stage, "1", "keep"), []byte("k"), 0o644)
	// A symlink to a mounted host directory.
	host := t.TempDir()
	if err := unix.Mount("tmpfs", host, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(host, unix.MNT_DETACH) })
	os.WriteFile(filepath.Join(host, "keep"), []byte("k"), 0o644)
	if err := os.Symlink(host, filepath.Join(stage, "2")); err != nil {
		t.Fatal(err)
	}

	if err := UnmountIDMapped(stage); err == nil {
		t.Fatal("no error for entries that are not staged mounts")
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(mi), " "+filepath.Join(stage, "0")+" ") {
		t.Fatalf("a stacked staged mount is left:\n%s", mi)
	}
	if _, err := os.Lstat(filepath.Join(stage, "0")); !os.IsNotExist(err) {
		t.Fatalf("staged mount point left: %v", err)
	}
	var sfs unix.Statfs_t
	if b, err := os.ReadFile(filepath.Join(stage, "1", "keep")); err != nil || string(b) != "k" {
		t.Fatalf("content of a non-mount directory removed: %q %v", b, err)
	}
	if err := unix.Statfs(host, &sfs); err != nil || sfs.Type != unix.TMPFS_MAGIC {
		t.Fatalf("the host mount behind a symlink was unmounted (%v)", err)
	}
	if b, err := os.ReadFile(filepath.Join(host, "keep")); err != nil || string(b) != "k" {
		t.Fatalf("the host directory behind a symlink was emptied: %q %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(src, "f")); err != nil || string(b) != "x" {
		t.Fatalf("source changed: %q %v", b, err)
	}
}
