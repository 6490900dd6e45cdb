package testenv

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"time"
)

// BusyboxPath returns the path of the statically linked busybox that the
// offline images are built from (Debian package busybox-static). A dynamic
// busybox is refused: it would not run inside an image without its libc.
func BusyboxPath() (string, error) {
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		static := true
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				static = false
			}
		}
		f.Close()
		if static {
			return p, nil
		}
	}
	return "", errors.New("no statically linked busybox found: install busybox-static (apt-get install busybox-static)")
}

// applets lists the applet names of the busybox at bb (`busybox --list`).
func applets(bb string) ([]string, error) {
	out, err := exec.Command(bb, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("listing busybox applets: %w", err)
	}
	var names []string
	for _, n := range strings.Fields(string(out)) {
		if n != "busybox" && !strings.Contains(n, "/") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

const (
	passwdFile = "root:x:0:0:root:/root:/bin/sh\n" +
		"tester:x:1000:1000:tester:/home/tester:/bin/sh\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
	groupFile = "root:x:0:\n" +
		"tester:x:1000:\n" +
		"nogroup:x:65534:\n"
)

// entry is one member of a layer tarball.
type entry struct {
	hdr  tar.Header
	body io.Reader // regular files only
}

// layerWriter writes entries to a tar stream with a fixed timestamp.
type layerWriter struct {
	tw  *tar.Writer
	mod time.Time
}

func (w *layerWriter) dir(name string, mode int64, uid int) error {
	return w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, Uid: uid, Gid: uid, ModTime: w.mod, Format: tar.FormatPAX})
}

func (w *layerWriter) symlink(name, target string) error {
	return w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: w.mod, Format: tar.FormatPAX})
}

func (w *layerWriter) file(name string, mode int64, size int64, body io.Reader) error {
	if err := w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: size, ModTime: w.mod, Format: tar.FormatPAX}); err != nil {
		return err
	}
	n, err := io.Copy(w.tw, body)
	if err == nil && n != size {
		err = fmt.Errorf("%s: wrote %d bytes, expected %d", name, n, size)
	}
	return err
}

func (w *layerWriter) bytesFile(name string, mode int64, data []byte) error {
	return w.file(name, mode, int64(len(data)), bytes.NewReader(data))
}

// writeBase writes the busybox root file system: busybox, its applet links in
// /bin, /etc/passwd and /etc/group, and the usual directories.
func writeBase(w *layerWriter) error {
	bb, err := BusyboxPath()
	if err != nil {
		return err
	}
	names, err := applets(bb)
	if err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		mode int64
		uid  int
	}{
		{"bin", 0o755, 0}, {"dev", 0o755, 0}, {"etc", 0o755, 0}, {"home", 0o755, 0},
		{"home/tester", 0o755, 1000}, {"proc", 0o555, 0}, {"root", 0o700, 0},
		{"sys", 0o555, 0}, {"tmp", 0o1777, 0}, {"usr", 0o755, 0}, {"usr/bin", 0o755, 0},
		{"usr/sbin", 0o755, 0}, {"var", 0o755, 0}, {"var/tmp", 0o1777, 0},
	} {
		if err := w.dir(d.name, d.mode, d.uid); err != nil {
			return err
		}
	}
	f, err := os.Open(bb)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := w.file("bin/busybox", 0o755, st.Size(), f); err != nil {
		return err
	}
	for _, n := range names {
		if err := w.symlink("bin/"+n, "busybox"); err != nil {
			return err
		}
	}
	if err := w.symlink("usr/bin/env", "/bin/busybox"); err != nil {
		return err
	}
	if err := w.bytesFile("etc/passwd", 0o644, []byte(passwdFile)); err != nil {
		return err
	}
	if err := w.bytesFile("etc/group", 0o644, []byte(groupFile)); err != nil {
		return err
	}
	return w.bytesFile("etc/hostname", 0o644, []byte("selkie\n"))
}

// writeFiles writes the extra files of an ImageSpec, with their parent
// directories. Content starting with "#!" is made executable.
func writeFiles(w *layerWriter, files map[string]string) error {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	made := map[string]bool{}
	for _, n := range names {
		clean := strings.TrimPrefix(path.Clean("/"+n), "/")
		if clean == "" {
			return fmt.Errorf("invalid file name %q", n)
		}
		var parents []string
		for d := path.Dir(clean); d != "." && !made[d]; d = path.Dir(d) {
			parents = append(parents, d)
			made[d] = true
		}
		for i := len(parents) - 1; i >= 0; i-- {
			if err := w.dir(parents[i], 0o755, 0); err != nil {
				return err
			}
		}
		mode := int64(0o644)
		if strings.HasPrefix(files[n], "#!") {
			mode = 0o755
		}
		if err := w.bytesFile(clean, mode, []byte(files[n])); err != nil {
			return err
		}
	}
	return nil
}

// writeRandom writes one file of n pseudo-random (incompressible, but
// reproducible) bytes.
func writeRandom(w *layerWriter, name string, n int64, seed uint64) error {
	r := rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 's', 'e', 'l', 'k', 'i', 'e'}))
	return w.file(name, 0o644, n, io.LimitReader(randReader{r}, n))
}

type randReader struct{ r *rand.Rand }

func (r randReader) Read(p []byte) (int, error) {
	i := 0
	for ; i+8 <= len(p); i += 8 {
		v := r.r.Uint64()
		for j := 0; j < 8; j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
	for ; i < len(p); i++ {
		p[i] = byte(r.r.Uint32())
	}
	return len(p), nil
}

// writeSmallFiles writes n small files spread over 100-file directories.
func writeSmallFiles(w *layerWriter, n int) error {
	if err := w.dir("many", 0o755, 0); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if i%100 == 0 {
			if err := w.dir(fmt.Sprintf("many/d%03d", i/100), 0o755, 0); err != nil {
				return err
			}
		}
		body := fmt.Sprintf("small file %d of %d\n", i, n)
		if err := w.bytesFile(fmt.Sprintf("many/d%03d/f%05d.txt", i/100, i), 0o644, []byte(body)); err != nil {
			return err
		}
	}
	return nil
}
