package copier

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// PutOptions controls Put.
type PutOptions struct {
	// Chown, when set, owns every extracted file by this uid/gid; otherwise
	// the archive's uid/gid are kept.
	Chown *[2]int
	// NoOverwriteDirNonDir refuses to replace a directory by a non-directory
	// or the reverse.
	NoOverwriteDirNonDir bool
	// Rename maps a top-level entry name to another name.
	Rename map[string]string
}

// Put extracts the tar in rd into the directory dest (resolved in-root).
// Entry names are cleaned as if rooted at dest ("../x" and "/x" both land at
// dest/x); the parent of each entry is resolved in-root, so a symlink made by
// an earlier entry (or planted by the container) stays inside the root;
// hardlink targets are resolved the same way and never followed.
func (r *Root) Put(rd io.Reader, dest string, o PutOptions) error {
	dest = Clean(dest)
	df, err := r.openat2(dest, unix.O_PATH|unix.O_DIRECTORY, false)
	if err != nil {
		return err
	}
	// Everything below is relative to the resolved destination, so that a
	// swap of dest itself after this point cannot redirect the rest.
	resolved, err := r.relPath(df)
	df.Close()
	if err != nil {
		return err
	}
	dest = resolved
	type dirTime struct {
		p string
		t time.Time
	}
	var dirs []dirTime
	tr := tar.NewReader(rd)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", err)
		}
		name := r.entryName(h.Name, o.Rename)
		if name == "/" {
			continue
		}
		target := path.Join(dest, name)
		if err := r.putEntry(tr, h, target, dest, o); err != nil {
			return err
		}
		if h.Typeflag == tar.TypeDir {
			dirs = append(dirs, dirTime{target, h.ModTime})
		}
	}
	// Directory times last: their content changed them while extracting.
	for i := len(dirs) - 1; i >= 0; i-- {
		if f, err := r.openat2(dirs[i].p, unix.O_PATH, true); err == nil {
			ts := []unix.Timespec{unix.NsecToTimespec(dirs[i].t.UnixNano()), unix.NsecToTimespec(dirs[i].t.UnixNano())}
			_ = unix.UtimesNanoAt(int(f.Fd()), "", ts, unix.AT_EMPTY_PATH)
			f.Close()
		}
	}
	return nil
}

func (r *Root) entryName(n string, rename map[string]string) string {
	n = Clean(n)
	if len(rename) > 0 {
		rel := strings.TrimPrefix(n, "/")
		top, rest, _ := strings.Cut(rel, "/")
		if to, ok := rename[top]; ok {
			n = Clean(path.Join(to, rest))
		}
	}
	return n
}

func (r *Root) putEntry(tr io.Reader, h *tar.Header, target, dest string, o PutOptions) error {
	parent, base := path.Dir(target), path.Base(target)
	if err := r.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	pf, err := r.openat2(parent, unix.O_PATH|unix.O_DIRECTORY, false)
	if err != nil {
		return err
	}
	defer pf.Close()
	pfd := int(pf.Fd())
	uid, gid := h.Uid, h.Gid
	if o.Chown != nil {
		uid, gid = o.Chown[0], o.Chown[1]
	}
	mode := uint32(h.Mode & 0o7777)

	var existing unix.Stat_t
	exists := unix.Fstatat(pfd, base, &existing, unix.AT_SYMLINK_NOFOLLOW) == nil
	existingDir := exists && existing.Mode&unix.S_IFMT == unix.S_IFDIR
	if exists {
		isDir := h.Typeflag == tar.TypeDir
		if o.NoOverwriteDirNonDir && isDir != existingDir {
			if isDir {
				return fmt.Errorf("cannot overwrite non-directory %q with directory %q", target, h.Name)
			}
			return fmt.Errorf("cannot overwrite directory %q with non-directory %q", target, h.Name)
		}
		if !(isDir && existingDir) {
			flag := 0
			if existingDir {
				flag = unix.AT_REMOVEDIR
			}
			if err := unix.Unlinkat(pfd, base, flag); err != nil {
				return &os.PathError{Op: "remove", Path: target, Err: err}
			}
		}
	}

	switch h.Typeflag {
	case tar.TypeDir:
		if !existingDir {
			if err := unix.Mkdirat(pfd, base, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
				return &os.PathError{Op: "mkdir", Path: target, Err: err}
			}
		}
		fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return &os.PathError{Op: "open", Path: target, Err: err}
		}
		defer unix.Close(fd)
		if err := unix.Fchown(fd, uid, gid); err != nil {
			return &os.PathError{Op: "chown", Path: target, Err: err}
		}
		return unix.Fchmod(fd, mode)
	case tar.TypeReg, tar.TypeRegA:
		fd, err := unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return &os.PathError{Op: "create", Path: target, Err: err}
		}
		f := os.NewFile(uintptr(fd), target)
		defer f.Close()
		if _, err := io.Copy(f, tr); err != nil {
			return fmt.Errorf("writing %s: %w", target, err)
		}
		if err := unix.Fchown(fd, uid, gid); err != nil {
			return &os.PathError{Op: "chown", Path: target, Err: err}
		}
		if err := unix.Fchmod(fd, mode); err != nil {
			return err
		}
		ts := []unix.Timespec{unix.NsecToTimespec(h.AccessTime.UnixNano()), unix.NsecToTimespec(h.ModTime.UnixNano())}
		if h.AccessTime.IsZero() {
			ts[0] = ts[1]
		}
		return unix.UtimesNanoAt(fd, "", ts, unix.AT_EMPTY_PATH)
	case tar.TypeSymlink:
		if err := unix.Symlinkat(h.Linkname, pfd, base); err != nil {
			return &os.PathError{Op: "symlink", Path: target, Err: err}
		}
		if err := unix.Fchownat(pfd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return &os.PathError{Op: "lchown", Path: target, Err: err}
		}
		ts := []unix.Timespec{unix.NsecToTimespec(h.ModTime.UnixNano()), unix.NsecToTimespec(h.ModTime.UnixNano())}
		_ = unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW)
		return nil
	case tar.TypeLink:
		// The link target is an archive name too: rooted at dest, resolved
		// in-root, its last component never followed.
		lt := path.Join(dest, r.entryName(h.Linkname, o.Rename))
		lf, err := r.openat2(path.Dir(lt), unix.O_PATH|unix.O_DIRECTORY, false)
		if err != nil {
			return fmt.Errorf("hardlink %s to %s: %w", h.Name, h.Linkname, err)
		}
		defer lf.Close()
		var lst unix.Stat_t
		if err := unix.Fstatat(int(lf.Fd()), path.Base(lt), &lst, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("hardlink %s to %s: %w", h.Name, h.Linkname, err)
		}
		if lst.Mode&unix.S_IFMT == unix.S_IFDIR {
			return fmt.Errorf("hardlink %s to directory %s: %w", h.Name, h.Linkname, unix.EPERM)
		}
		if err := unix.Linkat(int(lf.Fd()), path.Base(lt), pfd, base, 0); err != nil {
			return &os.PathError{Op: "link", Path: target, Err: err}
		}
		return nil
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		m := mode
		switch h.Typeflag {
		case tar.TypeChar:
			m |= unix.S_IFCHR
		case tar.TypeBlock:
			m |= unix.S_IFBLK
		default:
			m |= unix.S_IFIFO
		}
		if err := unix.Mknodat(pfd, base, m, int(unix.Mkdev(uint32(h.Devmajor), uint32(h.Devminor)))); err != nil {
			return &os.PathError{Op: "mknod", Path: target, Err: err}
		}
		if err := unix.Fchownat(pfd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		return nil
	default:
		return nil // pax globals, GNU long names (handled by archive/tar), unknown types
	}
}

// Copy copies src (resolved in from) into the directory dst of to, keeping
// ownership, modes and times, as Get piped into Put. With rename "." a
// directory's content is copied, not the directory itself.
func Copy(from *Root, src string, to *Root, dst, rename string) error {
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		_, err := from.Get(pw, src, GetOptions{Rename: rename})
		pw.CloseWithError(err)
		errc <- err
	}()
	err := to.Put(pr, dst, PutOptions{})
	pr.CloseWithError(errors.New("extraction stopped"))
	if gerr := <-errc; err == nil {
		err = gerr
	}
	return err
}
