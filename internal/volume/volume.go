// Package volume holds the on-disk side of named volumes with the "local"
// driver: name and option validation, the directory layout Podman uses
// (<volume path>/<name>/_data), and mount-backed volumes (--opt type=,
// device=, o=) mounted on first use and unmounted when the last user stops.
// Records and reference counts live in internal/state; locking in local/.
package volume

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/selkie-containers/selkie/engine"
	"golang.org/x/sys/unix"
)

// nameRE is Podman's volume name rule.
var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// ValidateName checks a volume name as Podman does.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) || len(name) > 255 {
		return fmt.Errorf("running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: %w", engine.ErrInvalidArg)
	}
	return nil
}

// NewName is a random 64-hex name for an anonymous or unnamed volume.
func NewName() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Driver names: only "local" (and the empty default) exist here.
const Driver = "local"

// ValidateOptions checks --opt keys for the local driver (Podman's set).
func ValidateOptions(driver string, opts map[string]string) error {
	if driver != "" && driver != Driver && driver != "image" {
		return fmt.Errorf("volume %s uses volume plugin %s but it could not be retrieved: no volume plugin with name %s available: %w",
			"", driver, driver, engine.ErrInvalidArg)
	}
	for k, v := range opts {
		switch strings.ToLower(k) {
		case "device", "type":
		case "o":
			for _, o := range strings.Split(v, ",") {
				key, val, _ := strings.Cut(o, "=")
				switch key {
				case "uid", "gid":
					if _, err := strconv.Atoi(val); err != nil {
						return argError(fmt.Sprintf("cannot convert %s %s to integer: %v", strings.ToUpper(key), val, err))
					}
				case "size", "inodes":
					if opts["type"] == "" {
						return fmt.Errorf("volume options size and inodes not supported. Filesystem does not support Project Quota: %w", engine.ErrInvalidArg)
					}
				}
			}
		case "size", "inodes":
			return fmt.Errorf("volume options size and inodes not supported. Filesystem does not support Project Quota: %w", engine.ErrInvalidArg)
		case "uid", "gid":
			if _, err := strconv.Atoi(v); err != nil {
				return argError(fmt.Sprintf("cannot convert %s %s to integer: %v", strings.ToUpper(k), v, err))
			}
		case "copy", "nocopy", "noquota":
		default:
			return fmt.Errorf("invalid mount option %s for driver 'local': %w", k, engine.ErrInvalidArg)
		}
	}
	return nil
}

// NeedsMount: the volume is backed by a mount (--opt type or device).
func NeedsMount(opts map[string]string) bool {
	return opts["type"] != "" || opts["device"] != ""
}

// Dir is <volumePath>/<name>; Data is its _data, the mount point.
func Dir(volumePath, name string) string  { return filepath.Join(volumePath, name) }
func Data(volumePath, name string) string { return filepath.Join(volumePath, name, "_data") }

// Create makes the directories of a new volume; uid/gid from o=uid=,gid=
// (or --opt uid=) own _data. Returns the _data path.
func Create(volumePath, name string, opts map[string]string) (string, error) {
	if err := os.MkdirAll(volumePath, 0o700); err != nil {
		return "", fmt.Errorf("creating volume directory: %w", err)
	}
	dir := Dir(volumePath, name)
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("creating volume directory %q: %w", dir, err)
	}
	data := Data(volumePath, name)
	if err := os.Mkdir(data, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("creating volume directory %q: %w", data, err)
	}
	uid, gid := Owner(opts)
	if uid >= 0 || gid >= 0 {
		if err := os.Lchown(data, uid, gid); err != nil {
			return "", err
		}
	}
	return data, nil
}

// Owner returns the uid/gid requested by the options (-1 when unset).
func Owner(opts map[string]string) (uid, gid int) {
	uid, gid = -1, -1
	if v, ok := opts["uid"]; ok {
		uid, _ = strconv.Atoi(v)
	}
	if v, ok := opts["gid"]; ok {
		gid, _ = strconv.Atoi(v)
	}
	if opts["type"] == "" {
		for _, o := range strings.Split(opts["o"], ",") {
			k, v, _ := strings.Cut(o, "=")
			switch k {
			case "uid":
				uid, _ = strconv.Atoi(v)
			case "gid":
				gid, _ = strconv.Atoi(v)
			}
		}
	}
	return uid, gid
}

// Remove deletes the volume's directory tree. It never follows a symlink
// out of the volume (os.RemoveAll does not follow links).
func Remove(volumePath, name string) error {
	dir := Dir(volumePath, name)
	if err := unmountAll(Data(volumePath, name)); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing volume %s: %w", name, err)
	}
	return nil
}

// mountFlags turns o= options into mount(2) flags and data.
var flagOpts = map[string]struct {
	clear bool
	flag  uintptr
}{
	"ro": {false, unix.MS_RDONLY}, "rw": {true, unix.MS_RDONLY},
	"nosuid": {false, unix.MS_NOSUID}, "suid": {true, unix.MS_NOSUID},
	"nodev": {false, unix.MS_NODEV}, "dev": {true, unix.MS_NODEV},
	"noexec": {false, unix.MS_NOEXEC}, "exec": {true, unix.MS_NOEXEC},
	"sync": {false, unix.MS_SYNCHRONOUS}, "async": {true, unix.MS_SYNCHRONOUS},
	"noatime": {false, unix.MS_NOATIME}, "atime": {true, unix.MS_NOATIME},
	"relatime": {false, unix.MS_RELATIME}, "strictatime": {false, unix.MS_STRICTATIME},
	"bind": {false, unix.MS_BIND}, "rbind": {false, unix.MS_BIND | unix.MS_REC},
	"defaults": {false, 0},
}

func mountArgs(opts map[string]string) (typ, device string, flags uintptr, data string) {
	typ, device = opts["type"], opts["device"]
	var rest []string
	for _, o := range strings.Split(opts["o"], ",") {
		if o == "" {
			continue
		}
		if f, ok := flagOpts[o]; ok {
			if f.clear {
				flags &^= f.flag
			} else {
				flags |= f.flag
			}
			continue
		}
		rest = append(rest, o)
	}
	if typ == "bind" || typ == "" && flags&unix.MS_BIND != 0 {
		flags |= unix.MS_BIND
		typ = ""
	}
	if device == "" {
		device = typ
	}
	return typ, device, flags, strings.Join(rest, ",")
}

// Mount mounts a mount-backed volume at its _data directory.
func Mount(volumePath, name string, opts map[string]string) error {
	typ, device, flags, data := mountArgs(opts)
	target := Data(volumePath, name)
	if err := unix.Mount(device, target, typ, flags, data); err != nil {
		return fmt.Errorf("mounting volume %s (%s on %s): %w", name, device, target, err)
	}
	if flags&unix.MS_BIND != 0 && flags&unix.MS_RDONLY != 0 {
		// A bind mount ignores MS_RDONLY on the first call.
		_ = unix.Mount("", target, "", flags|unix.MS_REMOUNT, "")
	}
	return nil
}

// Unmount unmounts a mount-backed volume (idempotent).
func Unmount(volumePath, name string) error { return unmountAll(Data(volumePath, name)) }

func unmountAll(target string) error {
	for i := 0; i < 16; i++ {
		err := unix.Unmount(target, unix.MNT_DETACH)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("unmounting %s: %w", target, err)
		}
	}
	return nil
}

// argError is an invalid-argument error that prints as Podman's text alone
// (without the sentinel's ": invalid argument").
type argError string

func (e argError) Error() string { return string(e) }

// Is makes errors.Is(err, engine.ErrInvalidArg) hold.
func (argError) Is(target error) bool { return target == engine.ErrInvalidArg }
