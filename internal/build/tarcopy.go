package build

import (
	"archive/tar"
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

// TarCopy writes what COPY adds as a layer tar, without writing the files
// anywhere first. Destination directories are resolved inside imageRoot
// (the read-only rootfs of the image the step starts from): a symlink on
// the way (/bin -> usr/bin) is followed inside the image, as Docker does,
// and never outside it. Missing parents are added as directories.
func TarCopy(w io.Writer, imageRoot, dest string, src *Source, ms []Match, o CopyOptions, heredocs map[string]string) error {
	t := &tarCopy{tw: tar.NewWriter(w), root: imageRoot, o: o, resolved: map[string]string{}, emitted: map[string]bool{}}
	isDir := strings.HasSuffix(dest, "/") || len(ms)+len(heredocs) > 1
	for _, m := range ms {
		if m.Info.IsDir() {
			isDir = true
		}
	}
	if !isDir && len(ms) == 1 {
		if p, err := securejoin.SecureJoin(imageRoot, dest); err == nil {
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				isDir = true
			}
		}
	}
	for _, m := range ms {
		base := dest
		switch {
		case o.Parents:
			base = path.Join(dest, filepath.ToSlash(m.Rel))
		case !m.Info.IsDir() && isDir:
			base = path.Join(dest, filepath.Base(m.Rel))
		}
		err := src.Walk(m, func(e Entry) error {
			return t.entry(path.Clean("/"+path.Join(base, filepath.ToSlash(e.Rel))), e.Path, e.Info)
		})
		if err != nil {
			return err
		}
	}
	for _, name := range SortedKeys(heredocs) {
		target := dest
		if isDir {
			target = path.Join(dest, name)
		}
		if err := t.data(path.Clean("/"+target), heredocs[name]); err != nil {
			return err
		}
	}
	return t.tw.Close()
}

type tarCopy struct {
	tw       *tar.Writer
	root     string
	o        CopyOptions
	resolved map[string]string // dest dir → its path in the image (no leading /)
	emitted  map[string]bool   // dirs written to the tar
}

// dir resolves a destination directory inside the image, adding entries
// for directories that do not exist there yet.
func (t *tarCopy) dir(d string) (string, error) {
	if d == "/" {
		return "", nil
	}
	if r, ok := t.resolved[d]; ok {
		return r, nil
	}
	parent, err := t.dir(path.Dir(d))
	if err != nil {
		return "", err
	}
	// Resolve the last component inside the image.
	host, err := securejoin.SecureJoin(t.root, path.Join("/", parent, path.Base(d)))
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(t.root, host)
	if err != nil || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("resolving %q in the image: outside the rootfs", d)
	}
	rel = filepath.ToSlash(rel)
	fi, err := os.Stat(host)
	switch {
	case err == nil && !fi.IsDir():
		return "", fmt.Errorf("creating directory %q: not a directory", d)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return "", err
	case err != nil && !t.emitted[rel]:
		uid, gid := t.o.UID, t.o.GID
		if t.o.KeepOwner {
			uid, gid = 0, 0
		}
		if err := t.tw.WriteHeader(&tar.Header{Name: rel + "/", Typeflag: tar.TypeDir, Mode: 0o755, Uid: uid, Gid: gid, ModTime: t.fixedTime()}); err != nil {
			return "", err
		}
		t.emitted[rel] = true
	}
	t.resolved[d] = rel
	return rel, nil
}

func (t *tarCopy) name(dest string) (string, error) {
	parent, err := t.dir(path.Dir(dest))
	if err != nil {
		return "", err
	}
	return path.Join(parent, path.Base(dest)), nil
}

func (t *tarCopy) header(name string, fi fs.FileInfo) *tar.Header {
	uid, gid := t.o.UID, t.o.GID
	if t.o.KeepOwner {
		if st, ok := fi.Sys().(*unix.Stat_t); ok {
			uid, gid = int(st.Uid), int(st.Gid)
		}
	}
	mode := int64(fi.Mode().Perm())
	if fi.Mode()&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if fi.Mode()&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if fi.Mode()&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	if t.o.Chmod != nil {
		mode = int64(t.o.Chmod.Perm())
		c := *t.o.Chmod
		if c&fs.ModeSetuid != 0 {
			mode |= 0o4000
		}
		if c&fs.ModeSetgid != 0 {
			mode |= 0o2000
		}
		if c&fs.ModeSticky != 0 {
			mode |= 0o1000
		}
	}
	mt := fi.ModTime()
	if t.o.ModTime != nil {
		mt = *t.o.ModTime
	}
	return &tar.Header{Name: name, Mode: mode, Uid: uid, Gid: gid, ModTime: mt, Format: tar.FormatPAX}
}

func (t *tarCopy) entry(dest, srcPath string, fi fs.FileInfo) error {
	if dest == "/" {
		return nil
	}
	switch {
	case fi.IsDir():
		rel, err := t.dir(path.Dir(dest))
		if err != nil {
			return err
		}
		name := path.Join(rel, path.Base(dest))
		host, err := securejoin.SecureJoin(t.root, "/"+name)
		if err != nil {
			return err
		}
		if cur, err := os.Stat(host); err == nil && cur.IsDir() {
			// An existing directory keeps its metadata, and may be reached
			// through a symlink in the image.
			r, _ := filepath.Rel(t.root, host)
			t.resolved[dest] = filepath.ToSlash(r)
			return nil
		}
		h := t.header(name+"/", fi)
		h.Typeflag = tar.TypeDir
		t.resolved[dest] = name
		t.emitted[name] = true
		return t.tw.WriteHeader(h)
	case fi.Mode()&fs.ModeSymlink != 0:
		name, err := t.name(dest)
		if err != nil {
			return err
		}
		target, err := os.Readlink(srcPath)
		if err != nil {
			return err
		}
		h := t.header(name, fi)
		h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, target, 0o777
		return t.tw.WriteHeader(h)
	case fi.Mode().IsRegular():
		name, err := t.name(dest)
		if err != nil {
			return err
		}
		f, err := os.Open(srcPath)
		if err != nil {
			return err
		}
		defer f.Close()
		h := t.header(name, fi)
		h.Typeflag, h.Size = tar.TypeReg, fi.Size()
		if err := t.tw.WriteHeader(h); err != nil {
			return err
		}
		n, err := io.Copy(t.tw, io.LimitReader(f, fi.Size()))
		if err == nil && n != fi.Size() {
			err = fmt.Errorf("%s changed size while copying", srcPath)
		}
		return err
	}
	return nil
}

func (t *tarCopy) data(dest, content string) error {
	name, err := t.name(dest)
	if err != nil {
		return err
	}
	mode := int64(0o644)
	if t.o.Chmod != nil {
		mode = int64(t.o.Chmod.Perm())
	}
	h := &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode, Size: int64(len(content)), Uid: t.o.UID, Gid: t.o.GID, ModTime: t.fixedTime(), Format: tar.FormatPAX}
	if err := t.tw.WriteHeader(h); err != nil {
		return err
	}
	_, err = io.WriteString(t.tw, content)
	return err
}

// fixedTime is the time of entries that have no source file: --timestamp's, or none.
func (t *tarCopy) fixedTime() time.Time {
	if t.o.ModTime != nil {
		return *t.o.ModTime
	}
	return time.Time{}
}

// ClampTimes copies the layer tar r to w with every entry's modification
// time set to t and its access and change times dropped (--timestamp).
func ClampTimes(w io.Writer, r io.Reader, t time.Time) error {
	tr := tar.NewReader(r)
	tw := tar.NewWriter(w)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		h.ModTime, h.AccessTime, h.ChangeTime = t, time.Time{}, time.Time{}
		delete(h.PAXRecords, "atime")
		delete(h.PAXRecords, "ctime")
		delete(h.PAXRecords, "mtime")
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	return tw.Close()
}
