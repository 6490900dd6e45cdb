package network

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// TestNewContainerNetnsSharedDir: many first containers starting at once
// make their netns directory a shared mount exactly once (no stacked bind
// mounts that would hide namespaces from path lookups); a leftover
// namespace file is replaced by a fresh namespace; RemoveNetns unmounts.
func TestNewContainerNetnsSharedDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	dir := filepath.Join(t.TempDir(), "netns")
	t.Cleanup(func() {
		for i := 0; i < 3; i++ {
			_ = unix.Unmount(dir, unix.MNT_DETACH)
		}
	})
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = NewContainerNetns(filepath.Join(dir, fmt.Sprintf("c%d", i)))
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	mounts := mountsAt(t, dir)
	if len(mounts) != 1 || !strings.Contains(mounts[0], "shared:") {
		t.Fatalf("%s mounted %d times (want once, shared):\n%s", dir, len(mounts), strings.Join(mounts, "\n"))
	}
	var inos []uint64
	for i := 0; i < n; i++ {
		p := filepath.Join(dir, fmt.Sprintf("c%d", i))
		var st unix.Statfs_t
		if err := unix.Statfs(p, &st); err != nil || st.Type != unix.NSFS_MAGIC {
			t.Fatalf("%s is not a mounted namespace (%v)", p, err)
		}
		if m := mountsAt(t, p); len(m) != 1 || !strings.Contains(m[0], "shared:") {
			t.Fatalf("%s: want one shared mount, got:\n%s", p, strings.Join(m, "\n"))
		}
		var s unix.Stat_t
		_ = unix.Stat(p, &s)
		inos = append(inos, s.Ino)
	}
	// A namespace file left mounted (a crash) gets a fresh namespace.
	p := filepath.Join(dir, "c0")
	if err := NewContainerNetns(p); err != nil {
		t.Fatal(err)
	}
	var s unix.Stat_t
	if err := unix.Stat(p, &s); err != nil || s.Ino == inos[0] {
		t.Fatalf("leftover namespace reused (%v)", err)
	}
	if m := mountsAt(t, p); len(m) != 1 {
		t.Fatalf("%s mounted %d times after the replacement", p, len(m))
	}
	for i := 0; i < n; i++ {
		if err := RemoveNetns(filepath.Join(dir, fmt.Sprintf("c%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if m := mountsAt(t, p); len(m) != 0 {
		t.Fatalf("%s still mounted after RemoveNetns", p)
	}
}

// mountsAt returns this process's mountinfo lines whose mount point is p.
func mountsAt(t *testing.T, p string) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) > 4 && f[4] == p {
			out = append(out, l)
		}
	}
	return out
}
