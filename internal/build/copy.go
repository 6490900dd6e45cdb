package build

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// CopyOptions controls how COPY writes into the rootfs.
type CopyOptions struct {
	// UID and GID own everything written unless KeepOwner.
	UID, GID  int
	KeepOwner bool
	// Chmod, when set, is the mode of every file and directory written.
	Chmod *fs.FileMode
	// Parents keeps each source's path below the context (COPY --parents).
	Parents bool
	// ModTime, when set, is the time of every entry in a COPY layer (--timestamp).
	ModTime *time.Time
}

// DestIsDir tells whether COPY's destination names a directory: it ends in
// "/", there are several sources, a source is a directory, or it already
// is a directory in the rootfs.
func DestIsDir(rootfs, dest string, ms []Match) bool {
	if strings.HasSuffix(dest, "/") || len(ms) > 1 {
		return true
	}
	for _, m := range ms {
		if m.Info.IsDir() {
			return true
		}
	}
	p, err := securejoin.SecureJoin(rootfs, dest)
	if err != nil {
		return false
	}
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// CopyInto copies the matches from src to dest (absolute, in the rootfs).
// Every destination is resolved inside rootfs; an existing symlink at a
// destination is replaced, never written through.
func CopyInto(rootfs, dest string, src *Source, ms []Match, o CopyOptions) error {
	if len(ms) > 1 && !strings.HasSuffix(dest, "/") {
		return errors.New("when using COPY with more than one source file, the destination must be a directory and end with a /")
	}
	isDir := DestIsDir(rootfs, dest, ms)
	for _, m := range ms {
		base := dest
		if !m.Info.IsDir() && isDir {
			base = path.Join(dest, filepath.Base(m.Rel))
		}
		// Directories this walk made (or found as real directories) need
		// no new resolution for their children: nothing else changes the
		// rootfs while COPY runs.
		dirs := map[string]string{}
		err := src.Walk(m, func(e Entry) error {
			dest := path.Clean("/" + path.Join(base, filepath.ToSlash(e.Rel)))
			full, err := writeEntryIn(rootfs, dest, e.Path, e.Info, o, dirs[path.Dir(dest)])
			if err == nil && e.Info.IsDir() && full != "" {
				dirs[dest] = full
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes data as a regular file at dest in the rootfs (heredoc
// sources, downloaded URLs).
func WriteFile(rootfs, dest string, r io.Reader, mode fs.FileMode, o CopyOptions) error {
	parent, full, err := prepare(rootfs, dest, o)
	if err != nil {
		return err
	}
	_ = parent
	return writeRegular(full, r, mode, o, 0, 0)
}

// prepare resolves dest's parent inside rootfs (creating missing
// directories, owned as o says) and clears a non-directory at dest.
func prepare(rootfs, dest string, o CopyOptions) (string, string, error) {
	dest = path.Clean("/" + dest)
	if dest == "/" {
		return rootfs, rootfs, nil
	}
	parent, err := mkdirAllIn(rootfs, path.Dir(dest), o)
	if err != nil {
		return "", "", err
	}
	return parent, filepath.Join(parent, path.Base(dest)), nil
}

// mkdirAllIn creates dir (absolute inside rootfs) one component at a time,
// each resolved with SecureJoin, and returns its host path.
func mkdirAllIn(rootfs, dir string, o CopyOptions) (string, error) {
	cur := "/"
	for _, part := range strings.Split(strings.Trim(dir, "/"), "/") {
		if part == "" {
			continue
		}
		cur = path.Join(cur, part)
		p, err := securejoin.SecureJoin(rootfs, cur)
		if err != nil {
			return "", err
		}
		fi, err := os.Lstat(p)
		switch {
		case err == nil && fi.IsDir():
			continue
		case err == nil:
			return "", fmt.Errorf("creating directory %q: not a directory", cur)
		case !errors.Is(err, fs.ErrNotExist):
			return "", err
		}
		if err := os.Mkdir(p, 0o755); err != nil {
			return "", err
		}
		if o.KeepOwner {
			o.UID, o.GID = 0, 0
		}
		if err := os.Lchown(p, o.UID, o.GID); err != nil {
			return "", err
		}
	}
	return securejoin.SecureJoin(rootfs, dir)
}

func owner(fi fs.FileInfo, o CopyOptions) (int, int) {
	if o.KeepOwner {
		if st, ok := fi.Sys().(*unix.Stat_t); ok {
			return int(st.Uid), int(st.Gid)
		}
	}
	return o.UID, o.GID
}

// writeEntryIn writes one entry; parent, when known, is the host path of
// dest's directory. It returns the entry's host path.
func writeEntryIn(rootfs, dest, srcPath string, fi fs.FileInfo, o CopyOptions, parent string) (string, error) {
	var full string
	if parent != "" {
		full = filepath.Join(parent, path.Base(dest))
	} else {
		var err error
		if _, full, err = prepare(rootfs, dest, o); err != nil {
			return "", err
		}
	}
	return full, writeEntry(full, rootfs, dest, srcPath, fi, o)
}

func writeEntry(full, rootfs, dest, srcPath string, fi fs.FileInfo, o CopyOptions) error {
	uid, gid := owner(fi, o)
	mode := fi.Mode().Perm() | fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)
	if o.Chmod != nil {
		mode = *o.Chmod
	}
	cur, lerr := os.Lstat(full)
	switch {
	case fi.IsDir():
		if lerr == nil && cur.IsDir() {
			if full == rootfs || dest == "/" {
				return nil
			}
		} else {
			if lerr == nil {
				if err := os.Remove(full); err != nil {
					return err
				}
			}
			if err := os.Mkdir(full, 0o700); err != nil {
				return err
			}
		}
		if err := os.Lchown(full, uid, gid); err != nil {
			return err
		}
		return os.Chmod(full, unixMode(mode))
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(srcPath)
		if err != nil {
			return err
		}
		if err := clearPath(full, cur, lerr); err != nil {
			return err
		}
		if err := os.Symlink(target, full); err != nil {
			return err
		}
		return os.Lchown(full, uid, gid)
	case fi.Mode().IsRegular():
		if err := clearPath(full, cur, lerr); err != nil {
			return err
		}
		f, err := os.Open(srcPath)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := writeRegular(full, f, mode, o, uid, gid); err != nil {
			return err
		}
		mt := fi.ModTime()
		return os.Chtimes(full, mt, mt)
	}
	return nil // sockets, devices, fifos from a context are skipped
}

func clearPath(full string, cur fs.FileInfo, lerr error) error {
	if lerr != nil {
		return nil
	}
	if cur.IsDir() {
		return fmt.Errorf("cannot overwrite directory %q with a non-directory", full)
	}
	return os.Remove(full)
}

func writeRegular(full string, r io.Reader, mode fs.FileMode, o CopyOptions, uid, gid int) error {
	if !o.KeepOwner {
		uid, gid = o.UID, o.GID
	}
	if o.Chmod != nil {
		mode = *o.Chmod
	}
	if cur, err := os.Lstat(full); err == nil {
		if cur.IsDir() {
			return fmt.Errorf("cannot overwrite directory %q with a non-directory", full)
		}
		if err := os.Remove(full); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(full, os.O_CREATE|os.O_EXCL|os.O_WRONLY|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Chown(uid, gid); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(unixMode(mode)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// unixMode keeps the special bits Go's os.Chmod understands.
func unixMode(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

// MkdirIn creates dir (absolute, inside rootfs) and its missing parents,
// owned by root, resolving every component inside rootfs.
func MkdirIn(rootfs, dir string) error {
	_, err := mkdirAllIn(rootfs, path.Clean("/"+dir), CopyOptions{})
	return err
}
