package storage

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"hash/crc64"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"unsafe"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/opencontainers/go-digest"
	"github.com/vbatts/tar-split/archive/tar"
	tsstorage "github.com/vbatts/tar-split/tar/storage"
	drivers "go.podman.io/storage/drivers"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/idtools"
	"golang.org/x/sys/unix"
)

// ErrLayerUnsupported says LayerDiffer cannot apply this layer with these
// options (composefs, force_mask, xattrs on symlinks, …); the caller falls
// back to containers/storage's own extraction.
var ErrLayerUnsupported = errors.New("layer not supported by the in-process extractor")

// LayerDiffer applies one uncompressed layer tarball into the staging
// directory the storage driver hands it (drivers.Differ), in this process:
// one pass over the stream extracts the files, records tar-split metadata
// (so the layer can be re-exported byte for byte) and computes the
// uncompressed digest and size.
//
// It keeps containers/storage's extraction semantics (archive.Unpack with
// the overlay whiteout converter, run chrooted in the layer directory) and
// its protections: every path is resolved with openat2(RESOLVE_IN_ROOT)
// under the layer directory, so "../" names, absolute names, hard link
// targets and symlinks (absolute or climbing) never reach outside it, as in
// storage's chroot.
type LayerDiffer struct {
	// R is the uncompressed tar stream.
	R io.Reader
}

// Close implements drivers.Differ.
func (d *LayerDiffer) Close() error { return nil }

// ApplyDiff implements drivers.Differ.
func (d *LayerDiffer) ApplyDiff(dest string, o *archive.TarOptions, do *drivers.DifferOptions) (drivers.DriverWithDifferOutput, error) {
	var out drivers.DriverWithDifferOutput
	if o == nil {
		o = &archive.TarOptions{}
	}
	if do != nil && do.Format != drivers.DifferOutputFormatDir || o.ForceMask != nil || o.WhiteoutFormat != archive.OverlayWhiteoutFormat {
		return out, ErrLayerUnsupported
	}
	tmpDir := dest
	if do != nil && do.StagingDirectory != "" {
		tmpDir = do.StagingDirectory
	}
	ts, err := os.CreateTemp(tmpDir, ".tar-split-")
	if err != nil {
		return out, err
	}
	os.Remove(ts.Name()) // anonymous: storage reads it through the handle
	x, err := newExtractor(dest, o)
	if err != nil {
		ts.Close()
		return out, err
	}
	defer x.close()
	sum := sha256.New()
	counter := &countWriter{w: sum}
	tsw := bufio.NewWriterSize(ts, 64<<10)
	if err := x.run(io.TeeReader(d.R, counter), newTarSplitPacker(tsw)); err != nil {
		ts.Close()
		return out, err
	}
	if err := tsw.Flush(); err != nil {
		ts.Close()
		return out, err
	}
	out.TarSplit = ts
	out.Size = counter.n
	out.UncompressedDigest = digest.NewDigest(digest.SHA256, sum)
	out.UIDs, out.GIDs = sortedIDs(x.uids), sortedIDs(x.gids)
	if x.rootHdr != nil { // else the driver gives the layer its parent's root mode, as storage does
		mode := x.rootHdr.FileInfo().Mode()
		out.RootDirMode = &mode
	}
	return out, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.w.Write(p)
}

func sortedIDs(m map[uint32]struct{}) []uint32 {
	ids := make([]uint32, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// extractor writes tar entries under root, a directory file descriptor.
type extractor struct {
	root       int
	dest       string
	opts       *archive.TarOptions
	ids        *idtools.IDMappings
	opaqueName string
	buf        []byte // the writer's
	readBuf    []byte // the reader's
	crc        hash.Hash64
	uids, gids map[uint32]struct{}
	dirs       []*tar.Header // directory times are set at the end
	rootHdr    *tar.Header   // the entry for the layer's root, if any
	// parent caches the last parent directory opened (name → fd); any
	// removal invalidates it, since a removed component may come back as a
	// symlink.
	parentName   string
	parentFD     int
	parentSetgid bool
	// What a new file gets without fchown/fchmod (see fileMeta).
	euid, egid int
	umask      int
	rootSetgid bool

	// The writer goroutine (see dispatch).
	batch      []func() error
	queue      chan []func() error
	writerDone chan struct{}
	failed     atomic.Pointer[error]
}

func newExtractor(dest string, o *archive.TarOptions) (*extractor, error) {
	root, err := unix.Open(dest, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dest, Err: err}
	}
	return &extractor{
		root:       root,
		dest:       dest,
		opts:       o,
		ids:        idtools.NewIDMappingsFromMaps(o.UIDMaps, o.GIDMaps),
		opaqueName: archive.GetOverlayXattrName("opaque"),
		buf:        make([]byte, 256<<10),
		readBuf:    make([]byte, 64<<10),
		crc:        crc64.New(tsstorage.CRCTable),
		uids:       map[uint32]struct{}{},
		gids:       map[uint32]struct{}{},
		parentFD:   -1,
		euid:       os.Geteuid(),
		egid:       os.Getegid(),
		umask:      processUmask(),
		rootSetgid: isSetgidDir(root),
	}, nil
}

func (x *extractor) close() {
	x.flush() // on an early error: stop the writer before closing its fds
	x.dropParent()
	unix.Close(x.root)
}

func (x *extractor) dropParent() {
	if x.parentFD >= 0 {
		unix.Close(x.parentFD)
	}
	x.parentFD, x.parentName = -1, ""
}

// run reads the whole stream (trailing padding included, which tar-split
// must record) and extracts every entry.
func (x *extractor) run(r io.Reader, p tsstorage.Packer) error {
	tr := tar.NewReader(r)
	tr.RawAccounting = true
	segment := func(b []byte) error {
		if len(b) == 0 {
			return nil
		}
		_, err := p.AddEntry(tsstorage.Entry{Type: tsstorage.SegmentType, Payload: b})
		return err
	}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			if err := segment(tr.RawBytes()); err != nil {
				return err
			}
			break
		}
		if err != nil {
			return err
		}
		if err := segment(tr.RawBytes()); err != nil {
			return err
		}
		x.crc.Reset()
		body := io.TeeReader(tr, x.crc)
		if err := x.dispatch(hdr, body); err != nil {
			return err
		}
		if _, err := io.CopyBuffer(io.Discard, body, x.readBuf); err != nil { // what the entry did not consume
			return err
		}
		e := tsstorage.Entry{Type: tsstorage.FileType, Size: hdr.Size}
		if hdr.Size > 0 {
			e.Payload = x.crc.Sum(nil)
		}
		e.SetName(hdr.Name)
		if _, err := p.AddEntry(e); err != nil {
			return err
		}
		if err := segment(tr.RawBytes()); err != nil {
			return err
		}
	}
	if err := x.flush(); err != nil {
		return err
	}
	for { // padding after the end-of-archive blocks
		n, err := r.Read(x.readBuf)
		if n > 0 {
			if err := segment(x.readBuf[:n]); err != nil {
				return err
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	return x.finishDirs()
}

// asyncMax is the largest file body handed to the writer goroutine; larger
// files are written by the reading goroutine, streaming, once the writer is
// idle. With asyncQueue batches of asyncBatch entries in flight, at most
// 8×64×64 KiB (32 MiB) of bodies are buffered.
const (
	asyncMax   = 64 << 10
	asyncBatch = 64
	asyncQueue = 8
)

// dispatch applies one entry: small ones are queued to the writer goroutine
// (reading, hashing and tar-split packing go on meanwhile, and entries are
// still applied strictly in archive order), big ones are applied here.
func (x *extractor) dispatch(hdr *tar.Header, body io.Reader) error {
	if err := x.writerErr(); err != nil {
		return err
	}
	if (hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA) && hdr.Size > asyncMax {
		if err := x.flush(); err != nil {
			return err
		}
		return x.entry(hdr, body)
	}
	var data []byte
	if (hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA) && hdr.Size > 0 {
		data = make([]byte, hdr.Size)
		if _, err := io.ReadFull(body, data); err != nil {
			return err
		}
	}
	x.batch = append(x.batch, func() error { return x.entry(hdr, bodyBytes(data)) })
	if len(x.batch) == asyncBatch {
		x.send()
	}
	return nil
}

// bodyBytes is a file body already read; writeBody writes it directly.
type bodyBytes []byte

func (b bodyBytes) Read([]byte) (int, error) { return 0, io.EOF }

func (x *extractor) send() {
	if x.queue == nil {
		x.queue = make(chan []func() error, asyncQueue)
		x.writerDone = make(chan struct{})
		go x.writer()
	}
	x.queue <- x.batch
	x.batch = make([]func() error, 0, asyncBatch)
}

// writer runs queued entries in order; after the first error it only drains.
func (x *extractor) writer() {
	defer close(x.writerDone)
	for b := range x.queue {
		for _, op := range b {
			if x.failed.Load() != nil {
				break
			}
			if err := op(); err != nil {
				x.failed.Store(&err)
			}
		}
	}
}

func (x *extractor) writerErr() error {
	if p := x.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// flush waits until every queued entry is applied (the writer goroutine
// ends; the next send starts a new one).
func (x *extractor) flush() error {
	if len(x.batch) > 0 {
		x.send()
	}
	if x.queue != nil {
		close(x.queue)
		<-x.writerDone
		x.queue = nil
	}
	return x.writerErr()
}

// entry extracts one header (storage's Unpack + extractTarFileEntry).
func (x *extractor) entry(hdr *tar.Header, body io.Reader) error {
	if !strings.HasPrefix(filepath.Base(hdr.Name), archive.WhiteoutPrefix) {
		x.uids[uint32(hdr.Uid)] = struct{}{}
		x.gids[uint32(hdr.Gid)] = struct{}{}
	}
	rel := inRoot(hdr.Name)
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	uid, gid, err := x.mapIDs(hdr)
	if err != nil {
		return err
	}
	if rel == "" {
		if hdr.Typeflag != tar.TypeDir {
			return errors.New("refusing to act on a non-directory entry as the archive root")
		}
		x.rootHdr = hdr
		return x.dirMeta(x.root, hdr, uid, gid)
	}
	dir, base := filepath.Dir(rel), filepath.Base(rel)
	pfd, err := x.parent(dir)
	if err != nil {
		return err
	}
	if base == archive.WhiteoutOpaqueDir {
		return x.opaque(pfd, dir)
	}
	if orig, ok := strings.CutPrefix(base, archive.WhiteoutPrefix); ok {
		return x.whiteout(pfd, rel, orig, hdr, uid, gid)
	}
	if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA {
		return x.regular(pfd, base, hdr, body, uid, gid) // clears what is in the way itself
	}
	if err := x.clearFor(pfd, base, hdr.Typeflag == tar.TypeDir); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.dir(pfd, base, hdr, uid, gid)
	case tar.TypeSymlink:
		return x.symlink(pfd, base, hdr, uid, gid)
	case tar.TypeLink:
		return x.hardlink(pfd, base, hdr, uid, gid)
	case tar.TypeBlock, tar.TypeChar, tar.TypeFifo:
		return x.node(pfd, base, hdr, uid, gid)
	}
	return fmt.Errorf("unhandled tar header type %d", hdr.Typeflag)
}

// inRoot is an archive name relative to the layer root ("" for the root),
// climbing clamped at the root: storage extracts chrooted in the layer
// directory, where "../x", "a/../../x" and "/x" all name "x".
func inRoot(name string) string {
	return filepath.Clean("/" + name)[1:]
}

func (x *extractor) mapIDs(hdr *tar.Header) (int, int, error) {
	if x.ids.Empty() {
		return hdr.Uid, hdr.Gid, nil
	}
	p, err := x.ids.ToHost(idtools.IDPair{UID: hdr.Uid, GID: hdr.Gid})
	if err != nil {
		return 0, 0, err
	}
	return p.UID, p.GID, nil
}

// resolve opens name (relative, may be "." ) under the root, following
// symlinks as if root were "/".
func (x *extractor) resolve(name string, flags uint64) (int, error) {
	fd, err := unix.Openat2(x.root, name, &unix.OpenHow{
		Flags:   flags | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	for err == unix.EINTR || err == unix.EAGAIN {
		fd, err = unix.Openat2(x.root, name, &unix.OpenHow{
			Flags:   flags | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
		})
	}
	if err != nil {
		return -1, &os.PathError{Op: "openat2", Path: name, Err: err}
	}
	return fd, nil
}

// parent returns a directory fd for dir (creating missing directories as
// storage does: 0777 &^ umask → here 0755, owned by the mapped root).
func (x *extractor) parent(dir string) (int, error) {
	if dir == "." {
		return x.root, nil
	}
	if x.parentFD >= 0 && x.parentName == dir {
		return x.parentFD, nil
	}
	fd, err := x.resolve(dir, unix.O_RDONLY|unix.O_DIRECTORY)
	if errors.Is(err, unix.ENOENT) {
		if err := x.mkdirAll(dir); err != nil {
			return -1, err
		}
		fd, err = x.resolve(dir, unix.O_RDONLY|unix.O_DIRECTORY)
	}
	if err != nil {
		return -1, err
	}
	x.dropParent()
	x.parentFD, x.parentName, x.parentSetgid = fd, dir, isSetgidDir(fd)
	return fd, nil
}

// mkdirAll creates the missing directories of dir as storage does: the
// path is resolved in the layer (symlinks followed inside it) and created
// with 0777 &^ umask, owned by the mapped root. Only this process writes
// the staging directory, so resolving first and creating after is safe.
func (x *extractor) mkdirAll(dir string) error {
	p, err := securejoin.SecureJoin(x.dest, dir)
	if err != nil {
		return err
	}
	return idtools.MkdirAllAndChownNew(p, 0o777, x.ids.RootPair())
}

// clearFor removes what is at base unless both it and the new entry are
// directories (storage's "remove and replace, merge directories").
func (x *extractor) clearFor(pfd int, base string, isDir bool) error {
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return nil
		}
		return &os.PathError{Op: "fstatat", Path: base, Err: err}
	}
	if isDir && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return nil
	}
	// Removing a child of pfd cannot change what pfd's own name resolves
	// to, but it may be a component of the cached parent's name.
	if x.parentFD != pfd {
		x.dropParent()
	}
	return removeAt(pfd, base)
}

// removeAt removes base under pfd, recursively, never following symlinks.
func removeAt(pfd int, base string) error {
	err := unix.Unlinkat(pfd, base, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if err != unix.EISDIR && err != unix.EPERM {
		return &os.PathError{Op: "unlinkat", Path: base, Err: err}
	}
	fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "openat", Path: base, Err: err}
	}
	f := os.NewFile(uintptr(fd), base)
	names, err := f.Readdirnames(-1)
	if err == nil {
		for _, n := range names {
			if err = removeAt(fd, n); err != nil {
				break
			}
		}
	}
	f.Close()
	if err != nil {
		return err
	}
	if err := unix.Unlinkat(pfd, base, unix.AT_REMOVEDIR); err != nil && err != unix.ENOENT {
		return &os.PathError{Op: "unlinkat", Path: base, Err: err}
	}
	return nil
}

// chownErrOK: as storage, a failed chown is an error (in a user namespace:
// an ID the namespace does not map) unless ignore_chown_errors is set.
func (x *extractor) chownErrOK(error) bool {
	return x.opts.IgnoreChownErrors
}

func (x *extractor) regular(pfd int, base string, hdr *tar.Header, body io.Reader, uid, gid int) error {
	const flags = unix.O_CREAT | unix.O_EXCL | unix.O_WRONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	perm := modeBits(hdr)
	fd, err := unix.Openat(pfd, base, flags, perm&0o777)
	if err == unix.EEXIST { // something is in the way (rare: no lookup before every create)
		if err := x.clearFor(pfd, base, false); err != nil {
			return err
		}
		fd, err = unix.Openat(pfd, base, flags, perm&0o777)
	}
	if err != nil {
		return &os.PathError{Op: "create", Path: hdr.Name, Err: err}
	}
	err = x.writeBody(fd, body)
	if err == nil {
		err = x.fileMeta(fd, pfd, hdr, perm, uid, gid)
	}
	if cerr := unix.Close(fd); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("extracting %q: %w", hdr.Name, err)
	}
	return nil
}

func (x *extractor) writeBody(fd int, body io.Reader) error {
	if b, ok := body.(bodyBytes); ok {
		return writeAll(fd, b)
	}
	// Runs of zeros are left as holes (a sparse entry of a huge logical
	// size in a few bytes of archive must not fill the disk).
	var hole int64 // bytes skipped since the last write
	for {
		n, rerr := body.Read(x.buf)
		if n > 0 && allZero(x.buf[:n]) {
			if _, err := unix.Seek(fd, int64(n), io.SeekCurrent); err != nil {
				return err
			}
			hole += int64(n)
			n = 0
		} else if n > 0 {
			hole = 0
		}
		if rerr == io.EOF && hole > 0 {
			off, err := unix.Seek(fd, 0, io.SeekCurrent)
			if err == nil {
				err = unix.Ftruncate(fd, off)
			}
			if err != nil {
				return err
			}
		}
		for b := x.buf[:n]; len(b) > 0; {
			w, err := unix.Write(fd, b)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return err
			}
			b = b[w:]
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if *(*uint64)(unsafe.Pointer(&b[0])) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		w, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[w:]
	}
	return nil
}

// fileMeta is fdMeta for a file this extractor just created with perm &
// 0777: the owner and mode calls are skipped when creation already gave
// the result (the caller's IDs, no set-gid parent; no umask bits removed,
// no set-id or sticky bits) — two of the six calls per small file.
func (x *extractor) fileMeta(fd, pfd int, hdr *tar.Header, perm uint32, uid, gid int) error {
	owned := uid == x.euid && gid == x.egid && !x.setgidParent(pfd)
	if !owned {
		if err := unix.Fchown(fd, uid, gid); err != nil && !x.chownErrOK(err) {
			return &os.PathError{Op: "fchown", Path: hdr.Name, Err: err}
		}
	}
	if !owned || perm&^0o777 != 0 || x.umask < 0 || perm&uint32(x.umask) != 0 {
		if err := unix.Fchmod(fd, perm); err != nil {
			return &os.PathError{Op: "fchmod", Path: hdr.Name, Err: err}
		}
	}
	if err := x.xattrs(fd, hdr); err != nil {
		return err
	}
	return futimens(fd, hdr)
}

// setgidParent says whether files created in pfd may inherit its group
// (unknown directories count as set-gid).
func (x *extractor) setgidParent(pfd int) bool {
	switch pfd {
	case x.root:
		return x.rootSetgid
	case x.parentFD:
		return x.parentSetgid
	}
	return true
}

func isSetgidDir(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) != nil || st.Mode&unix.S_ISGID != 0
}

// processUmask reads the umask without changing it (Linux ≥ 4.7); -1 when
// unknown.
func processUmask() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Umask:"); ok {
			var m int
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%o", &m); err == nil {
				return m
			}
		}
	}
	return -1
}

// fdMeta sets owner, mode (after chown, which clears set-id bits), xattrs
// and, when times is set, atime/mtime on an open file or directory.
func (x *extractor) fdMeta(fd int, hdr *tar.Header, uid, gid int, times bool) error {
	if err := unix.Fchown(fd, uid, gid); err != nil && !x.chownErrOK(err) {
		return &os.PathError{Op: "fchown", Path: hdr.Name, Err: err}
	}
	if err := unix.Fchmod(fd, modeBits(hdr)); err != nil {
		return &os.PathError{Op: "fchmod", Path: hdr.Name, Err: err}
	}
	if err := x.xattrs(fd, hdr); err != nil {
		return err
	}
	if times {
		return futimens(fd, hdr)
	}
	return nil
}

// modeBits is the permission part of hdr.Mode with set-id and sticky bits.
func modeBits(hdr *tar.Header) uint32 {
	return uint32(hdr.Mode) & 0o7777
}

func (x *extractor) xattrs(fd int, hdr *tar.Header) error {
	for k, v := range hdr.PAXRecords {
		key, ok := strings.CutPrefix(k, "SCHILY.xattr.")
		if !ok || key == "security.selinux" {
			continue
		}
		if err := unix.Fsetxattr(fd, key, []byte(v), 0); err != nil {
			if err == unix.ENOTSUP || x.opts.InUserNS && err == unix.EPERM {
				continue
			}
			return &os.PathError{Op: "fsetxattr " + key, Path: hdr.Name, Err: err}
		}
	}
	return nil
}

func timespecs(hdr *tar.Header) [2]unix.Timespec {
	atime := hdr.AccessTime
	if atime.Before(hdr.ModTime) {
		atime = hdr.ModTime
	}
	return [2]unix.Timespec{boundTimespec(atime.UnixNano()), boundTimespec(hdr.ModTime.UnixNano())}
}

func boundTimespec(ns int64) unix.Timespec {
	if ns < 0 { // before 1970 (or the zero time): storage's boundTime clamps to the epoch
		ns = 0
	}
	return unix.NsecToTimespec(ns)
}

// futimens sets the times of an open (not O_PATH) descriptor: utimensat
// with a NULL path, as glibc's futimens.
func futimens(fd int, hdr *tar.Header) error {
	ts := timespecs(hdr)
	_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func (x *extractor) dir(pfd int, base string, hdr *tar.Header, uid, gid int) error {
	if err := unix.Mkdirat(pfd, base, 0o700); err != nil && err != unix.EEXIST {
		return &os.PathError{Op: "mkdirat", Path: hdr.Name, Err: err}
	}
	fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "openat", Path: hdr.Name, Err: err}
	}
	defer unix.Close(fd)
	return x.dirMeta(fd, hdr, uid, gid)
}

func (x *extractor) dirMeta(fd int, hdr *tar.Header, uid, gid int) error {
	if err := x.fdMeta(fd, hdr, uid, gid, false); err != nil {
		return err
	}
	// A directory's set-gid bit may have changed: re-read it when needed.
	if fd == x.root {
		x.rootSetgid = isSetgidDir(fd)
	} else {
		x.dropParent()
	}
	x.dirs = append(x.dirs, hdr)
	return nil
}

// finishDirs sets directory times last (files created in them change
// them), on whatever each name resolves to now if still a directory.
func (x *extractor) finishDirs() error {
	x.dropParent()
	for _, hdr := range x.dirs {
		rel := inRoot(hdr.Name)
		if rel == "" {
			rel = "."
		}
		fd, err := x.resolve(rel, unix.O_PATH|unix.O_NOFOLLOW)
		if err != nil {
			continue // replaced or removed by a later entry
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			unix.Close(fd)
			continue
		}
		ts := timespecs(hdr)
		err = unix.UtimesNanoAt(unix.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", fd), ts[:], 0)
		unix.Close(fd)
		if err != nil {
			return &os.PathError{Op: "utimensat", Path: hdr.Name, Err: err}
		}
	}
	return nil
}

func (x *extractor) symlink(pfd int, base string, hdr *tar.Header, uid, gid int) error {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "SCHILY.xattr.") && k != "SCHILY.xattr.security.selinux" {
			return ErrLayerUnsupported
		}
	}
	if err := unix.Symlinkat(hdr.Linkname, pfd, base); err != nil {
		return &os.PathError{Op: "symlinkat", Path: hdr.Name, Err: err}
	}
	if err := unix.Fchownat(pfd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil && !x.chownErrOK(err) {
		return &os.PathError{Op: "lchown", Path: hdr.Name, Err: err}
	}
	ts := timespecs(hdr)
	if err := unix.UtimesNanoAt(pfd, base, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "lutimes", Path: hdr.Name, Err: err}
	}
	return nil
}

func (x *extractor) hardlink(pfd int, base string, hdr *tar.Header, uid, gid int) error {
	rel := inRoot(hdr.Linkname) // resolved in the layer, as in storage's chroot
	if rel == "" {
		return fmt.Errorf("invalid hardlink %q to the layer root", hdr.Linkname)
	}
	tdir, tbase := filepath.Dir(rel), filepath.Base(rel)
	tfd := x.root
	if tdir != "." {
		fd, err := x.resolve(tdir, unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		tfd = fd
	}
	if err := unix.Linkat(tfd, tbase, pfd, base, 0); err != nil {
		return &os.PathError{Op: "linkat", Path: hdr.Name, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK { // a hard link to a symlink: owner only, as storage
		if err := unix.Fchownat(pfd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil && !x.chownErrOK(err) {
			return &os.PathError{Op: "lchown", Path: hdr.Name, Err: err}
		}
		return nil
	}
	fd, err := unix.Openat(pfd, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "openat", Path: hdr.Name, Err: err}
	}
	defer unix.Close(fd)
	return x.pathMeta(fd, hdr, uid, gid)
}

// pathMeta sets owner, mode and times through an O_PATH descriptor (device
// nodes and fifos must not be opened for real; hard links may name them).
func (x *extractor) pathMeta(fd int, hdr *tar.Header, uid, gid int) error {
	if err := unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH); err != nil && !x.chownErrOK(err) {
		return &os.PathError{Op: "fchown", Path: hdr.Name, Err: err}
	}
	// fchmod does not take an O_PATH fd; /proc/self/fd/N names exactly this
	// inode (a magic link, never a path lookup in the layer).
	proc := fmt.Sprintf("/proc/self/fd/%d", fd)
	if err := unix.Chmod(proc, modeBits(hdr)); err != nil {
		return &os.PathError{Op: "chmod", Path: hdr.Name, Err: err}
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "SCHILY.xattr.") && k != "SCHILY.xattr.security.selinux" {
			return ErrLayerUnsupported
		}
	}
	ts := timespecs(hdr)
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, proc, ts[:], 0); err != nil {
		return &os.PathError{Op: "utimensat", Path: hdr.Name, Err: err}
	}
	return nil
}

func (x *extractor) node(pfd int, base string, hdr *tar.Header, uid, gid int) error {
	mode := uint32(unix.S_IFIFO)
	switch hdr.Typeflag {
	case tar.TypeBlock:
		mode = unix.S_IFBLK
	case tar.TypeChar:
		mode = unix.S_IFCHR
	}
	if mode != unix.S_IFIFO && x.opts.InUserNS {
		return nil // devices cannot be created in a user namespace; storage skips them
	}
	dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
	if err := unix.Mknodat(pfd, base, mode|0o600, dev); err != nil {
		return &os.PathError{Op: "mknodat", Path: hdr.Name, Err: err}
	}
	fd, err := unix.Openat(pfd, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "openat", Path: hdr.Name, Err: err}
	}
	defer unix.Close(fd)
	return x.pathMeta(fd, hdr, uid, gid)
}

// opaque marks dir opaque (".wh..wh..opq"), on whatever dir resolves to in root.
func (x *extractor) opaque(pfd int, dir string) error {
	if err := unix.Fsetxattr(pfd, x.opaqueName, []byte{'y'}, 0); err != nil {
		return &os.PathError{Op: "setxattr", Path: dir, Err: err}
	}
	return nil
}

// whiteout turns ".wh.NAME" into the overlay whiteout: a 0/0 character device.
func (x *extractor) whiteout(pfd int, rel, orig string, hdr *tar.Header, uid, gid int) error {
	if orig == "" || orig == "." || orig == ".." {
		return fmt.Errorf("invalid whiteout path %q", rel)
	}
	if err := unix.Mknodat(pfd, orig, unix.S_IFCHR, 0); err != nil {
		if err == unix.ENOTDIR {
			return nil
		}
		return &os.PathError{Op: "mknod", Path: rel, Err: err}
	}
	if err := unix.Fchownat(pfd, orig, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "lchown", Path: rel, Err: err}
	}
	return nil
}
