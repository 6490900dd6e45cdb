package engine

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// ErrNoSuchPath: a path given to the archive operations does not exist in
// the container.
var ErrNoSuchPath = errors.New("no such file or directory")

// ContainerCopier reads and writes files of a container as tar streams: the
// primitives behind `cp` and the Docker API's archive HEAD/GET/PUT. Every
// container path is resolved inside the container (symlinks included), never
// on the host. They work on created, running and stopped containers.
type ContainerCopier interface {
	// ContainerStat describes the file at path (following a final symlink
	// inside the container; LinkTarget then names the resolved path).
	ContainerStat(ctx context.Context, nameOrID, path string) (*FileStat, error)
	// ContainerArchiveGet writes a tar of path to w: its base name (or
	// o.Rename) as the top entry, a directory's content below it.
	ContainerArchiveGet(ctx context.Context, nameOrID, path string, w io.Writer, o ArchiveGetOptions) (*FileStat, error)
	// ContainerArchivePut extracts the tar (plain, gzip, bzip2, xz or zstd,
	// decompressed in-process) from r into the directory path.
	ContainerArchivePut(ctx context.Context, nameOrID, path string, r io.Reader, o ArchivePutOptions) error
}

// FileStat is the Docker API's X-Docker-Container-Path-Stat document.
type FileStat struct {
	Name       string      `json:"name"`
	Size       int64       `json:"size"`
	Mode       os.FileMode `json:"mode"`
	Mtime      time.Time   `json:"mtime"`
	LinkTarget string      `json:"linkTarget"`
}

// ArchiveGetOptions controls ContainerArchiveGet.
type ArchiveGetOptions struct {
	// Rename is the name of the top entry instead of the base name of the
	// path; "." puts a directory's content at the top (cp SRC/.).
	Rename string `json:"rename,omitempty"`
}

// ArchivePutOptions controls ContainerArchivePut.
type ArchivePutOptions struct {
	// NoOverwriteDirNonDir refuses to replace a directory with a
	// non-directory or the reverse (Docker's noOverwriteDirNonDir).
	NoOverwriteDirNonDir bool `json:"noOverwriteDirNonDir,omitempty"`
	// KeepOwnership keeps the uid/gid of the tar entries (cp --archive=false);
	// otherwise files belong to the container's root user.
	KeepOwnership bool `json:"keepOwnership,omitempty"`
	// Rename maps the archive's top entry to another name (cp f ctr:/dir/newname).
	Rename map[string]string `json:"rename,omitempty"`
	// CreateParents creates missing directories of path (cp into a new dir).
	CreateParents bool `json:"createParents,omitempty"`
}
