package container

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	// The host half of cp runs in the client process (also with --remote):
	// the same in-root tar code as the engine's, and no engine state.
	"github.com/selkie-containers/selkie/internal/copier"
	"github.com/spf13/cobra"
)

type cpOptions struct {
	archive   bool
	overwrite bool
}

func newCpCommand(g *command.Globals) *cobra.Command {
	var o cpOptions
	cmd := &cobra.Command{
		Use:   "cp [options] [CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH",
		Short: "Copy files/folders between a container and the local filesystem",
		Long:  "Copy the contents of SRC_PATH to the DEST_PATH.\n\n  You can copy from the container's file system to the local machine or the reverse, from the local filesystem to the container. If \"-\" is specified for either the SRC_PATH or DEST_PATH, you can also stream a tar archive from STDIN or to STDOUT. The CONTAINER can be a running or stopped container. The SRC_PATH or DEST_PATH can be a file or a directory.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return fmt.Errorf("accepts 2 arg(s), received %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			return runCp(cmd.Context(), g, eng, args[0], args[1], o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.archive, "archive", "a", true, `Chown copied files to the primary uid/gid of the destination container.`)
	f.BoolVar(&o.overwrite, "overwrite", false, "Allow to overwrite directories with non-directories and vice versa")
	return cmd
}

// splitCpArg splits CONTAINER:PATH; a path containing "/" before the first
// ":" (or starting with "." or "/") is a host path.
func splitCpArg(a string) (ctr, p string) {
	if a == "-" || strings.HasPrefix(a, "/") || strings.HasPrefix(a, ".") {
		return "", a
	}
	c, rest, ok := strings.Cut(a, ":")
	if !ok || strings.Contains(c, "/") {
		return "", a
	}
	return c, rest
}

// copyContent: SRC ends in "/." — copy the directory's content, not it.
func copyContent(p string) bool {
	return p == "." || strings.HasSuffix(p, "/.")
}

func runCp(ctx context.Context, g *command.Globals, eng engine.Engine, src, dst string, o cpOptions) error {
	sc, sp := splitCpArg(src)
	dc, dp := splitCpArg(dst)
	switch {
	case sc == "" && dc == "":
		return errors.New("name or ID cannot be empty")
	case sc != "" && sp == "" || dc != "" && dp == "":
		return errors.New("path cannot be empty")
	}
	if sc == "" && sp == "-" {
		return cpFromStdin(ctx, g, eng, dc, dp, o)
	}
	if dc == "" && dp == "-" {
		if sc == "" {
			return errors.New("name or ID cannot be empty")
		}
		_, err := eng.ContainerArchiveGet(ctx, sc, sp, g.Stdout, engine.ArchiveGetOptions{})
		return err
	}

	// The source: what it is, and a function writing its tar with a
	// chosen top-entry name.
	var srcIsDir bool
	var linkTarget string
	var produce func(w io.Writer, rename string) error
	if sc == "" {
		abs, err := filepath.Abs(sp)
		if err != nil {
			return err
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return fmt.Errorf("%q could not be found on the host: no such file or directory", sp)
		}
		fi, err := os.Stat(real)
		if err != nil {
			return fmt.Errorf("%q could not be found on the host: no such file or directory", sp)
		}
		srcIsDir = fi.IsDir()
		produce = func(w io.Writer, rename string) error {
			r, err := copier.OpenRoot(filepath.Dir(real))
			if err != nil {
				return err
			}
			defer r.Close()
			if real == "/" {
				r.Close()
				if r, err = copier.OpenRoot("/"); err != nil {
					return err
				}
			}
			_, err = r.Get(w, filepath.Base(real), copier.GetOptions{Rename: rename})
			return err
		}
	} else {
		st, err := eng.ContainerStat(ctx, sc, sp)
		if err != nil {
			return err
		}
		srcIsDir = st.Mode.IsDir()
		produce = func(w io.Writer, rename string) error {
			_, err := eng.ContainerArchiveGet(ctx, sc, sp, w, engine.ArchiveGetOptions{Rename: rename})
			return err
		}
		linkTarget = st.LinkTarget
	}
	base := path.Base(path.Clean("/" + sp))
	if linkTarget != "" {
		base = path.Base(linkTarget) // a followed symlink keeps its target's name, as Podman
	}
	if copyContent(sp) {
		base = "."
	}

	// The destination: a directory to extract into, and the top-entry name.
	type destInfo struct {
		exists, isDir bool
	}
	statDest := func(p string) (destInfo, error) {
		if dc == "" {
			fi, err := os.Stat(p)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return destInfo{}, nil
				}
				if errors.Is(err, syscall.ENOTDIR) {
					abs, _ := filepath.Abs(p)
					if strings.HasSuffix(p, "/") {
						abs += "/"
					}
					return destInfo{}, fmt.Errorf("%q could not be found on the host: stat %s: not a directory", p, abs)
				}
				return destInfo{}, err
			}
			return destInfo{true, fi.IsDir()}, nil
		}
		st, err := eng.ContainerStat(ctx, dc, p)
		if err != nil {
			if errors.Is(err, engine.ErrNoSuchContainer) {
				return destInfo{}, err
			}
			if errors.Is(err, engine.ErrNoSuchPath) {
				return destInfo{}, nil
			}
			return destInfo{}, err
		}
		return destInfo{true, st.Mode.IsDir()}, nil
	}
	notFound := func(p string) error {
		if dc == "" {
			return fmt.Errorf("%q could not be found on the host: no such file or directory", p)
		}
		return fmt.Errorf("%q could not be found on container %s: no such file or directory", p, dc)
	}
	di, err := statDest(dp)
	if err != nil {
		return err
	}
	var dir, name string
	createDir := false
	switch {
	case di.exists && di.isDir:
		dir, name = dp, base
		if base == "." {
			name = "."
		}
	case di.exists:
		if srcIsDir {
			return errors.New("destination must be a directory when copying a directory")
		}
		if strings.HasSuffix(dp, "/") {
			// DST/ names a directory; an existing file there is an error.
			if dc == "" {
				return fmt.Errorf("%q could not be found on the host: not a directory", dp)
			}
			c := path.Clean(dp)
			return fmt.Errorf("copying to container: copier: put: %s (%s): exists but is not a directory", c, c)
		}
		dir, name = parentOf(dp), path.Base(dp)
	default:
		if strings.HasSuffix(dp, "/") {
			return notFound(dp)
		}
		pi, err := statDest(parentOf(dp))
		if err != nil {
			return err
		}
		if !pi.exists || !pi.isDir {
			return notFound(dp)
		}
		dir, name = parentOf(dp), path.Base(dp)
		if base == "." && srcIsDir {
			// SRC/. into a new directory: create it, copy the content.
			dir, name, createDir = dp, ".", true
		}
	}

	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		err := produce(pw, name)
		pw.CloseWithError(err)
		errc <- err
	}()
	if dc != "" {
		err = eng.ContainerArchivePut(ctx, dc, dir, pr, engine.ArchivePutOptions{
			NoOverwriteDirNonDir: !o.overwrite, KeepOwnership: !o.archive, CreateParents: createDir})
	} else {
		err = extractOnHost(pr, dir, createDir, o)
	}
	pr.CloseWithError(errors.New("copy ended"))
	if perr := <-errc; err == nil {
		err = perr
	}
	return err
}

func parentOf(p string) string {
	d := path.Dir(strings.TrimSuffix(p, "/"))
	if d == "" {
		return "."
	}
	return d
}

// extractOnHost unpacks a tar into a host directory, confined to it.
func extractOnHost(r io.Reader, dir string, create bool, o cpOptions) error {
	if create {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	root, err := copier.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	po := copier.PutOptions{NoOverwriteDirNonDir: !o.overwrite}
	if o.archive {
		po.Chown = &[2]int{os.Getuid(), os.Getgid()}
	}
	return root.Put(r, "/", po)
}

// cpFromStdin extracts a tar from stdin into a container directory.
func cpFromStdin(ctx context.Context, g *command.Globals, eng engine.Engine, ctr, p string, o cpOptions) error {
	if ctr == "" {
		return errors.New("name or ID cannot be empty")
	}
	st, err := eng.ContainerStat(ctx, ctr, p)
	if err != nil {
		return err
	}
	if !st.Mode.IsDir() {
		return errors.New("destination must be a directory when copying from stdin")
	}
	in, err := tarOnStdin(g.Stdin)
	if err != nil {
		return err
	}
	return eng.ContainerArchivePut(ctx, ctr, p, in, engine.ArchivePutOptions{
		NoOverwriteDirNonDir: !o.overwrite, KeepOwnership: !o.archive})
}

// tarOnStdin checks, as Podman does, that stdin carries a tar archive
// before anything is sent: an uncompressed stream must start with a valid
// tar header (empty input and junk are refused); a compressed one (gzip,
// bzip2, xz, zstd magic) is passed on, the engine decompresses it in
// process and refuses junk inside.
func tarOnStdin(r io.Reader) (io.Reader, error) {
	bad := errors.New("source must be a (compressed) tar archive when copying from stdin")
	br := bufio.NewReaderSize(r, 4096)
	head, _ := br.Peek(1024)
	for _, magic := range [][]byte{{0x1f, 0x8b}, []byte("BZh"), {0xfd, '7', 'z', 'X', 'Z', 0}, {0x28, 0xb5, 0x2f, 0xfd}} {
		if bytes.HasPrefix(head, magic) {
			return br, nil
		}
	}
	// A header block is 512 bytes; a header read whole but whose entry
	// continues past the peeked bytes (long PAX data) is fine.
	if _, err := tar.NewReader(bytes.NewReader(head)).Next(); len(head) < 512 || err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, bad
	}
	return br, nil
}
