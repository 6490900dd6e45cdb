package network

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NewNetns creates a new, empty network namespace and bind-mounts it on
// path (created if missing). The caller removes it with RemoveNetns.
func NewNetns(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return err
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		// The thread is never unlocked: it dies with this goroutine, so the
		// new namespace never leaks into the rest of the process.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare network namespace: %w", err)
			return
		}
		src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		if err := unix.Mount(src, path, "none", unix.MS_BIND, ""); err != nil {
			errc <- fmt.Errorf("bind mount network namespace on %s: %w", path, err)
			return
		}
		errc <- nil
	}()
	if err := <-errc; err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// NewContainerNetns creates a fresh network namespace with loopback up and
// bind-mounts it on path, replacing a namespace a crash left there. The
// directory holding path is made a shared mount first (shareDir), as Podman
// does with its netns directory: a mount namespace created later (a rootless
// user's pause process, a conmon started under `unshare -m`) then holds a
// peer or slave copy of the bind mount instead of a private one, and the
// unmount in RemoveNetns reaches that copy too. Otherwise the copy keeps the
// namespace, and whatever is left in it, alive until its holder exits.
func NewContainerNetns(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := shareDir(dir); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if !errors.Is(err, os.ErrExist) {
			return err
		}
		// Left over by a crash: start from a fresh namespace.
		_ = unix.Unmount(path, unix.MNT_DETACH)
	} else {
		f.Close()
	}
	err = inThrowawayThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("creating network namespace: %w", err)
		}
		src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		if err := unix.Mount(src, path, "none", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("mounting network namespace at %s: %w", path, err)
		}
		if lo, err := netlink.LinkByName("lo"); err == nil {
			_ = netlink.LinkSetUp(lo)
		}
		return nil
	})
	if err != nil {
		_ = os.Remove(path)
	}
	return err
}

// shareDir makes dir a shared mount point: a bind mount of itself, marked
// shared. When dir already is a mount point (the common case: every start
// after the first) that is the one mount(2) call that marks it shared again,
// which changes nothing. Otherwise the bind is done under a lock beside dir,
// so two selkie processes starting their first containers at once do not
// stack two bind mounts (a netns mounted on the lower one would be hidden
// from, and never unmounted by, path lookups).
func shareDir(dir string) error {
	if unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "") == nil {
		return nil
	}
	lf, err := os.OpenFile(dir+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := unix.Flock(int(lf.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("locking %s: %w", lf.Name(), err)
	}
	// Another process may have done it while we waited for the lock.
	err = unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("mount --make-rshared %s: %w", dir, err)
	}
	// Not a mount point: bind it onto itself (recursively, so the
	// namespaces already mounted in it stay visible), then share it.
	if err := unix.Mount(dir, dir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("mount --rbind %s %s: %w", dir, dir, err)
	}
	if err := unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("mount --make-rshared %s: %w", dir, err)
	}
	return nil
}

// RemoveNetns unmounts and deletes a namespace file made by NewNetns. It is
// not an error if it is already gone.
func RemoveNetns(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
		return fmt.Errorf("unmount %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// tempNetns makes a throw-away namespace in dir for a teardown whose
// container namespace is already gone.
func tempNetns(dir string) (string, func(), error) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	p := filepath.Join(dir, "selkie-teardown-"+hex.EncodeToString(b))
	if err := NewNetns(p); err != nil {
		return "", nil, err
	}
	return p, func() { _ = RemoveNetns(p) }, nil
}

// ensureLinks creates a placeholder link for every interface name missing from the
// namespace at path. netavark's teardown fails on a missing veth before it
// removes the bridge and the network's firewall rules; after a crash half-way
// through setup, or once the namespace is gone, the dummy lets it finish.
func ensureLinks(path string, names []string) error {
	return inThrowawayThread(func() error { return ensureLinksLocked(path, names) })
}

// inThrowawayThread runs f on an OS thread that dies afterwards. netlink's
// NewHandleAt switches the thread into a namespace and back; rootless, the
// way back (into the host's namespace, owned by the initial user namespace)
// is refused and the thread would stay in the container's namespace.
func inThrowawayThread(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with us
		errc <- f()
	}()
	return <-errc
}

func ensureLinksLocked(path string, names []string) error {
	h, err := netns.GetFromPath(path)
	if err != nil {
		return fmt.Errorf("open network namespace %s: %w", path, err)
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		return err
	}
	defer nl.Close()
	for i, name := range names {
		if _, err := nl.LinkByName(name); err == nil {
			continue
		}
		// A veth pair: always available where netavark works (dummy may be a
		// module that is not loaded); deleting one end deletes both.
		d := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: fmt.Sprintf("slkph%d", i)}
		if err := nl.LinkAdd(d); err != nil {
			return fmt.Errorf("create placeholder link %s: %w", name, err)
		}
	}
	return nil
}
