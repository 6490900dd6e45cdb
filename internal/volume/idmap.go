package volume

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
	"go.podman.io/storage/pkg/idmap"
	"go.podman.io/storage/pkg/idtools"
	"golang.org/x/sys/unix"
)

// IsIDMapOption reports whether a mount option asks for an idmapped mount
// ("idmap" or "idmap=uids=…;gids=…").
func IsIDMapOption(o string) bool {
	return o == "idmap" || strings.HasPrefix(o, "idmap=")
}

// IDMapMappings is the mapping an idmapped mount uses, as Podman 4.3 and
// crun compute it: the container's user namespace mapping (uids, gids), or
// the custom "idmap=uids=A-B-N#…;gids=…" ranges, where on-disk ID A..A+N-1
// appears as host ID B..B+N-1. A custom option that names only one of the
// two keeps the container's mapping for the other. Both results are
// non-empty on success.
func IDMapMappings(option string, uids, gids []specs.LinuxIDMapping) ([]specs.LinuxIDMapping, []specs.LinuxIDMapping, error) {
	if _, custom, ok := strings.Cut(option, "="); ok {
		if custom == "" {
			return nil, nil, fmt.Errorf("idmap: empty mapping: %w", engine.ErrInvalidArg)
		}
		for _, part := range strings.Split(custom, ";") {
			var err error
			switch {
			case strings.HasPrefix(part, "uids="):
				uids, err = parseIDRanges(strings.TrimPrefix(part, "uids="))
			case strings.HasPrefix(part, "gids="):
				gids, err = parseIDRanges(strings.TrimPrefix(part, "gids="))
			default:
				err = fmt.Errorf("unknown option %q", part)
			}
			if err != nil {
				return nil, nil, fmt.Errorf("idmap: %w: %w", err, engine.ErrInvalidArg)
			}
		}
	}
	if len(uids) == 0 || len(gids) == 0 {
		return nil, nil, fmt.Errorf("idmap: the container has no user namespace to map to (use --uidmap/--gidmap, --userns=auto, or idmap=uids=…;gids=…): %w", engine.ErrInvalidArg)
	}
	return uids, gids, nil
}

// parseIDRanges parses "A-B-N#A-B-N…" (Podman's idmap syntax).
func parseIDRanges(s string) ([]specs.LinuxIDMapping, error) {
	var out []specs.LinuxIDMapping
	for _, r := range strings.Split(s, "#") {
		f := strings.Split(r, "-")
		if len(f) != 3 {
			return nil, fmt.Errorf("invalid value for %q", s)
		}
		var n [3]uint64
		for i := range f {
			v, err := strconv.ParseUint(f[i], 10, 32)
			if err != nil {
				return nil, fmt.Errorf("invalid value for %q", s)
			}
			n[i] = v
		}
		if n[2] < 1 || n[0]+n[2] > 1<<32 || n[1]+n[2] > 1<<32 {
			return nil, fmt.Errorf("invalid value for %q", s)
		}
		out = append(out, specs.LinuxIDMapping{ContainerID: uint32(n[0]), HostID: uint32(n[1]), Size: uint32(n[2])})
	}
	return out, nil
}

// NewUserNS returns a file referring to a new user namespace with the
// given mappings (written as uid_map/gid_map lines "ContainerID HostID
// Size"). The short-lived process that created it is gone on return.
func NewUserNS(uids, gids []specs.LinuxIDMapping) (*os.File, error) {
	pid, cleanup, err := idmap.CreateUsernsProcess(toIDTools(uids), toIDTools(gids))
	if err != nil {
		return nil, fmt.Errorf("creating a user namespace for an idmapped mount: %w", err)
	}
	defer cleanup()
	f, err := os.Open(fmt.Sprintf("/proc/%d/ns/user", pid))
	if err != nil {
		return nil, fmt.Errorf("opening the user namespace for an idmapped mount: %w", err)
	}
	return f, nil
}

func toIDTools(m []specs.LinuxIDMapping) []idtools.IDMap {
	out := make([]idtools.IDMap, 0, len(m))
	for _, x := range m {
		out = append(out, idtools.IDMap{ContainerID: int(x.ContainerID), HostID: int(x.HostID), Size: int(x.Size)})
	}
	return out
}

// MountIDMapped clones the directory source (a detached, non-recursive bind
// mount, as crun's idmap does), gives the clone the ID mapping of the user
// namespace userns, and attaches it at target (created as an empty 0700
// directory). The source is opened once and must be a directory: what is
// mounted is exactly what was checked.
func MountIDMapped(source, target string, userns *os.File) error {
	src, err := os.OpenFile(source, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOTDIR) {
			return fmt.Errorf("idmap: %s is not a directory: %w", source, engine.ErrInvalidArg)
		}
		return fmt.Errorf("idmap: %w", err)
	}
	defer src.Close()
	tree, err := unix.OpenTree(int(src.Fd()), "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
	if err != nil {
		return &os.PathError{Op: "open_tree", Path: source, Err: err}
	}
	defer unix.Close(tree)
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns.Fd()), Propagation: unix.MS_PRIVATE}
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH, attr); err != nil {
		return fmt.Errorf("idmap: the file system of %s cannot be idmapped: %w", source, &os.PathError{Op: "mount_setattr", Path: source, Err: err})
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return err
	}
	if err := os.Mkdir(target, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	if err := unix.MoveMount(tree, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		_ = os.Remove(target)
		return &os.PathError{Op: "move_mount", Path: target, Err: err}
	}
	return nil
}

// UnmountIDMapped detaches every mount staged under dir by MountIDMapped
// and removes the then empty directories. It never removes recursively: a
// directory that is still a mount point (unmount failed) stays, with its
// content untouched, and is reported. A missing dir is fine.
func UnmountIDMapped(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, ent := range ents {
		p := filepath.Join(dir, ent.Name())
		// Stacked mounts (two starts racing) come off one at a time.
		for i := 0; i < 8; i++ {
			if err := unix.Unmount(p, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW); err != nil {
				if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
					errs = append(errs, &os.PathError{Op: "umount", Path: p, Err: err})
				}
				break
			}
		}
		if err := unix.Rmdir(p); err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, &os.PathError{Op: "rmdir", Path: p, Err: err})
		}
	}
	if err := unix.Rmdir(dir); err != nil && !errors.Is(err, unix.ENOENT) {
		errs = append(errs, &os.PathError{Op: "rmdir", Path: dir, Err: err})
	}
	return errors.Join(errs...)
}
