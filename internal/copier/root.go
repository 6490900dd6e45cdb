// Package copier reads and writes tar streams inside a directory tree that
// may be hostile (a container's rootfs, a volume), as `cp`, `volume
// export/import`, the copy-up of image content into volumes and the Docker
// archive API need.
//
// Every path is resolved with openat2(RESOLVE_IN_ROOT): ".." and absolute
// symlinks stop at the root, as if chrooted, and the resolution is atomic
// (no resolve-then-open window; security.md B1, B2, A8). Below the first
// resolved directory everything is done relative to open directory file
// descriptors, with O_NOFOLLOW on the last component, so a container
// swapping a symlink while we walk can never send a read or a write to the
// host. Nothing is executed: decompression is in-process (A3) and user
// names are never looked up through NSS (B4).
package copier

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// Root is an open directory inside which paths are resolved.
type Root struct {
	f    *os.File // O_PATH | O_DIRECTORY
	path string
}

// OpenRoot opens dir (a trusted host path, followed normally).
func OpenRoot(dir string) (*Root, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return &Root{f: os.NewFile(uintptr(fd), dir), path: dir}, nil
}

// Close releases the root's descriptor.
func (r *Root) Close() error { return r.f.Close() }

// SameFile reports whether the root is the directory at host path p (same
// device and inode).
func (r *Root) SameFile(p string) bool {
	if p == "" {
		return false
	}
	var a, b unix.Stat_t
	if unix.Fstat(int(r.f.Fd()), &a) != nil || unix.Stat(p, &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

// Path is the host path the root was opened at.
func (r *Root) Path() string { return r.path }

// Clean turns a user or archive path into a clean absolute path inside the
// root ("../../x" → "/x").
func Clean(p string) string { return path.Clean("/" + p) }

// openat2 resolves p inside the root. With nofollow the last component is
// not followed when it is a symlink.
func (r *Root) openat2(p string, flags uint64, nofollow bool) (*os.File, error) {
	rel := strings.TrimPrefix(Clean(p), "/")
	if rel == "" {
		rel = "."
	}
	how := unix.OpenHow{
		Flags:   flags | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	if nofollow {
		how.Flags |= unix.O_NOFOLLOW
	}
	for i := 0; ; i++ {
		fd, err := unix.Openat2(int(r.f.Fd()), rel, &how)
		if err == nil {
			return os.NewFile(uintptr(fd), path.Join(r.path, rel)), nil
		}
		// EAGAIN: a rename raced with the lookup; the kernel asks to retry.
		if (errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR)) && i < 64 {
			continue
		}
		return nil, &os.PathError{Op: "open", Path: Clean(p), Err: err}
	}
}

// OpenPath resolves p in the root (following a final symlink inside the
// root unless nofollow) and returns an O_PATH descriptor.
func (r *Root) OpenPath(p string, nofollow bool) (*os.File, error) {
	return r.openat2(p, unix.O_PATH, nofollow)
}

// Lstat and Stat describe p inside the root.
func (r *Root) Lstat(p string) (unix.Stat_t, error) { return r.stat(p, true) }
func (r *Root) Stat(p string) (unix.Stat_t, error)  { return r.stat(p, false) }

func (r *Root) stat(p string, nofollow bool) (unix.Stat_t, error) {
	var st unix.Stat_t
	f, err := r.openat2(p, unix.O_PATH, nofollow)
	if err != nil {
		return st, err
	}
	defer f.Close()
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return st, &os.PathError{Op: "stat", Path: Clean(p), Err: err}
	}
	return st, nil
}

// Resolve returns the path p resolves to inside the root (symlinks
// followed in-root), as an absolute path relative to the root.
func (r *Root) Resolve(p string) (string, error) {
	f, err := r.openat2(p, unix.O_PATH, false)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return r.relPath(f)
}

// relPath is the root-relative path of an open descriptor (from
// /proc/self/fd, which the kernel keeps exact for our own descriptors).
func (r *Root) relPath(f *os.File) (string, error) {
	full, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	if err != nil {
		return "", err
	}
	rootFull, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", r.f.Fd()))
	if err != nil {
		return "", err
	}
	if full == rootFull {
		return "/", nil
	}
	if rootFull == "/" {
		return full, nil
	}
	if rel, ok := strings.CutPrefix(full, rootFull+"/"); ok {
		return "/" + rel, nil
	}
	return "", fmt.Errorf("%s is outside of the root", full)
}

// MkdirAll creates p (and its parents) inside the root with mode.
func (r *Root) MkdirAll(p string, mode os.FileMode) error {
	p = Clean(p)
	if p == "/" {
		return nil
	}
	if st, err := r.Stat(p); err == nil {
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return &os.PathError{Op: "mkdir", Path: p, Err: unix.ENOTDIR}
		}
		return nil
	}
	if err := r.MkdirAll(path.Dir(p), mode); err != nil {
		return err
	}
	dir, err := r.openat2(path.Dir(p), unix.O_PATH|unix.O_DIRECTORY, false)
	if err != nil {
		return err
	}
	defer dir.Close()
	if err := unix.Mkdirat(int(dir.Fd()), path.Base(p), uint32(mode.Perm())); err != nil && !errors.Is(err, unix.EEXIST) {
		return &os.PathError{Op: "mkdir", Path: p, Err: err}
	}
	return nil
}

// IsEmptyDir reports whether p (resolved in-root) is a directory with no entries.
func (r *Root) IsEmptyDir(p string) (bool, error) {
	f, err := r.openat2(p, unix.O_RDONLY|unix.O_DIRECTORY, false)
	if err != nil {
		return false, err
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if len(names) > 0 {
		return false, nil
	}
	if err != nil && !errors.Is(err, errEOF) {
		return false, err
	}
	return true, nil
}
