package copier

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"golang.org/x/sys/unix"
)

var errEOF = io.EOF

// GetOptions controls Get.
type GetOptions struct {
	// Rename is the name of the top entry (default: base name of the path);
	// "." writes a directory's content without a top entry.
	Rename string
	// NoFollow archives a final symlink itself instead of its target.
	NoFollow bool
}

// Info describes the file Get archived.
type Info struct {
	Name  string
	Size  int64
	Mode  os.FileMode
	Mtime time.Time
	// Resolved is the in-root path a followed symlink led to.
	Resolved string
}

// StatInfo describes p (following a final symlink in-root).
func (r *Root) StatInfo(p string) (Info, error) {
	f, err := r.openat2(p, unix.O_PATH, false)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return Info{}, err
	}
	in := Info{Name: path.Base(Clean(p)), Size: st.Size, Mode: fileMode(st.Mode), Mtime: time.Unix(st.Mtim.Unix())}
	if lst, err := r.Lstat(p); err == nil && lst.Mode&unix.S_IFMT == unix.S_IFLNK {
		in.Resolved, _ = r.relPath(f)
	}
	return in, nil
}

// Get writes a tar of p (resolved in-root) to w.
func (r *Root) Get(w io.Writer, p string, o GetOptions) (Info, error) {
	f, err := r.openat2(p, unix.O_PATH, o.NoFollow)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return Info{}, err
	}
	name := o.Rename
	if name == "" {
		// A followed symlink is archived under its target's name (as Podman).
		name = path.Base(Clean(p))
		if rp, err := r.relPath(f); err == nil && rp != "/" {
			name = path.Base(rp)
		}
		if name == "/" {
			name = "."
		}
	}
	info := Info{Name: name, Size: st.Size, Mode: fileMode(st.Mode), Mtime: time.Unix(st.Mtim.Unix())}
	tw := tar.NewWriter(w)
	wk := &walker{tw: tw, links: map[[2]uint64]string{}}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		dfd, err := unix.Openat(int(f.Fd()), ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return info, &os.PathError{Op: "open", Path: Clean(p), Err: err}
		}
		prefix := name
		if name == "." {
			prefix = ""
		} else if err := wk.header(prefix+"/", &st, ""); err != nil {
			unix.Close(dfd)
			return info, err
		}
		if err := wk.dir(dfd, prefix); err != nil {
			return info, err
		}
	case unix.S_IFLNK:
		target, err := readlinkat(int(f.Fd()), "")
		if err != nil {
			return info, err
		}
		if err := wk.header(name, &st, target); err != nil {
			return info, err
		}
	case unix.S_IFREG:
		// Re-open the very inode we resolved for reading.
		rf, err := r.openat2(p, unix.O_RDONLY|unix.O_NONBLOCK, o.NoFollow)
		if err != nil {
			return info, err
		}
		defer rf.Close()
		if err := wk.file(rf, name); err != nil {
			return info, err
		}
	default:
		if err := wk.header(name, &st, ""); err != nil {
			return info, err
		}
	}
	return info, tw.Close()
}

type walker struct {
	tw    *tar.Writer
	links map[[2]uint64]string
}

func readlinkat(dirfd int, name string) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(dirfd, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

func fileMode(m uint32) os.FileMode {
	mode := os.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= os.ModeDir
	case unix.S_IFLNK:
		mode |= os.ModeSymlink
	case unix.S_IFIFO:
		mode |= os.ModeNamedPipe
	case unix.S_IFSOCK:
		mode |= os.ModeSocket
	case unix.S_IFCHR:
		mode |= os.ModeDevice | os.ModeCharDevice
	case unix.S_IFBLK:
		mode |= os.ModeDevice
	}
	if m&unix.S_ISUID != 0 {
		mode |= os.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= os.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= os.ModeSticky
	}
	return mode
}

// header writes the tar header for st under name.
func (w *walker) header(name string, st *unix.Stat_t, link string) error {
	h := &tar.Header{
		Name:    name,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Unix()),
		Format:  tar.FormatPAX,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		h.Typeflag = tar.TypeDir
	case unix.S_IFLNK:
		h.Typeflag = tar.TypeSymlink
		h.Linkname = link
	case unix.S_IFREG:
		h.Typeflag = tar.TypeReg
		h.Size = st.Size
	case unix.S_IFIFO:
		h.Typeflag = tar.TypeFifo
	case unix.S_IFCHR:
		h.Typeflag = tar.TypeChar
		h.Devmajor, h.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFBLK:
		h.Typeflag = tar.TypeBlock
		h.Devmajor, h.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	default:
		return nil // sockets are not archived
	}
	return w.tw.WriteHeader(h)
}

// file archives an open regular file, exactly the size fstat reported
// (padding with zeros should it shrink while being read).
func (w *walker) file(f *os.File, name string) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return w.header(name, &st, "")
	}
	if st.Nlink > 1 {
		key := [2]uint64{st.Dev, st.Ino}
		if first, ok := w.links[key]; ok {
			return w.tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeLink, Linkname: first,
				Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid), ModTime: time.Unix(st.Mtim.Unix()), Format: tar.FormatPAX})
		}
		w.links[key] = name
	}
	if err := w.header(name, &st, ""); err != nil {
		return err
	}
	n, err := io.Copy(w.tw, io.LimitReader(f, st.Size))
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	if n < st.Size {
		_, err = io.CopyN(w.tw, zeroReader{}, st.Size-n)
	}
	return err
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// dir archives the entries of the open directory dfd (closing it) under
// prefix. Each entry is opened relative to dfd with O_NOFOLLOW, so a
// swapped symlink is archived as a symlink, never followed.
func (w *walker) dir(dfd int, prefix string) error {
	d := os.NewFile(uintptr(dfd), prefix)
	defer d.Close()
	var fs unix.Statfs_t
	if err := unix.Fstatfs(dfd, &fs); err == nil && (fs.Type == unix.PROC_SUPER_MAGIC || fs.Type == unix.SYSFS_MAGIC) {
		return nil // never archive a live /proc or /sys
	}
	for {
		names, err := d.Readdirnames(256)
		for _, n := range names {
			if err := w.entry(dfd, n, path.Join(prefix, n)); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) || len(names) == 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (w *walker) entry(dfd int, n, name string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, n, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil // removed while we walked
		}
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		cfd, err := unix.Openat(dfd, n, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
				return nil // swapped while we walked: skip it
			}
			return err
		}
		var cst unix.Stat_t
		if err := unix.Fstat(cfd, &cst); err != nil {
			unix.Close(cfd)
			return err
		}
		if err := w.header(name+"/", &cst, ""); err != nil {
			unix.Close(cfd)
			return err
		}
		return w.dir(cfd, name)
	case unix.S_IFREG:
		fd, err := unix.Openat(dfd, n, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ELOOP) {
				return nil
			}
			return err
		}
		f := os.NewFile(uintptr(fd), name)
		defer f.Close()
		return w.file(f, name)
	case unix.S_IFLNK:
		target, err := readlinkat(dfd, n)
		if err != nil {
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EINVAL) {
				return nil
			}
			return err
		}
		return w.header(name, &st, target)
	default:
		return w.header(name, &st, "")
	}
}
