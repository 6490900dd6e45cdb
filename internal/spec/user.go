package spec

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// maxIDFileSize bounds how much of an image's /etc/passwd or /etc/group is
// read: a hostile image may point them at /dev/zero (security.md B9).
const maxIDFileSize = 4 << 20

// User is a resolved --user: numeric IDs plus what the passwd entry says.
type User struct {
	UID            uint32
	GID            uint32
	AdditionalGids []uint32
	Home           string
	// NoEntry: a numeric UID the image's /etc/passwd does not list.
	NoEntry bool
}

type passwdEntry struct {
	name string
	uid  uint32
	gid  uint32
	home string
}

type groupEntry struct {
	name    string
	gid     uint32
	members []string
}

// openInRoot opens path inside rootfs (symlinks resolved inside it) and
// refuses anything that is not a regular file, so a FIFO or a device planted
// in an image can neither hang nor flood the engine.
func openInRoot(rootfs, path string) (*os.File, error) {
	h, err := pathrs.OpenInRoot(rootfs, path)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	st, err := h.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s in the image is not a regular file", path)
	}
	// The handle is O_PATH; reopen it for reading (no re-resolution).
	return pathrs.Reopen(h, unix.O_RDONLY|unix.O_CLOEXEC)
}

// readIDFile reads /etc/passwd or /etc/group of rootfs line by line. A
// missing file yields no lines and no error.
func readIDFile(rootfs, path string, fn func(fields []string)) error {
	if rootfs == "" {
		return nil
	}
	f, err := openInRoot(rootfs, path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, maxIDFileSize))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(strings.Split(line, ":"))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

func parseID(s string) (uint32, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err == nil
}

func readPasswd(rootfs string) ([]passwdEntry, error) {
	var out []passwdEntry
	err := readIDFile(rootfs, "/etc/passwd", func(f []string) {
		if len(f) < 4 {
			return
		}
		uid, ok1 := parseID(f[2])
		gid, ok2 := parseID(f[3])
		if !ok1 || !ok2 {
			return
		}
		e := passwdEntry{name: f[0], uid: uid, gid: gid}
		if len(f) > 5 {
			e.home = f[5]
		}
		out = append(out, e)
	})
	return out, err
}

func readGroup(rootfs string) ([]groupEntry, error) {
	var out []groupEntry
	err := readIDFile(rootfs, "/etc/group", func(f []string) {
		if len(f) < 3 {
			return
		}
		gid, ok := parseID(f[2])
		if !ok {
			return
		}
		e := groupEntry{name: f[0], gid: gid}
		if len(f) > 3 && f[3] != "" {
			e.members = strings.Split(f[3], ",")
		}
		out = append(out, e)
	})
	return out, err
}

// LookupUser resolves a --user value (name, uid, name:group, uid:gid) against
// the rootfs's /etc/passwd and /etc/group, parsed in Go: nothing from the
// image is ever executed or dlopen'ed. groupAdd are --group-add values.
func LookupUser(rootfs, spec string, groupAdd []string) (*User, error) {
	if spec == "" {
		spec = "0"
	}
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	users, err := readPasswd(rootfs)
	if err != nil {
		return nil, fmt.Errorf("unable to find user %s: %w", userPart, err)
	}
	u := &User{Home: "/"}
	var name string
	if uid, ok := parseID(userPart); ok {
		u.UID = uid
		u.NoEntry = true
		for _, e := range users {
			if e.uid == uid {
				u.GID, u.Home, name = e.gid, e.home, e.name
				u.NoEntry = false
				break
			}
		}
	} else {
		found := false
		for _, e := range users {
			if e.name == userPart {
				u.UID, u.GID, u.Home, name, found = e.uid, e.gid, e.home, e.name, true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("unable to find user %s: no matching entries in passwd file", userPart)
		}
	}
	if u.Home == "" {
		u.Home = "/"
	}
	var groups []groupEntry
	needGroups := (hasGroup && groupPart != "") || name != "" || len(groupAdd) > 0
	if needGroups {
		if groups, err = readGroup(rootfs); err != nil {
			return nil, fmt.Errorf("unable to find group: %w", err)
		}
	}
	if hasGroup && groupPart != "" {
		gid, err := lookupGroup(groups, groupPart)
		if err != nil {
			return nil, err
		}
		u.GID = gid
	} else if name != "" {
		// Supplementary groups from /etc/group, as Podman does for a named user.
		for _, g := range groups {
			for _, m := range g.members {
				if m == name && g.gid != u.GID {
					u.AdditionalGids = appendUnique(u.AdditionalGids, g.gid)
				}
			}
		}
	}
	for _, ga := range groupAdd {
		if ga == "keep-groups" {
			continue
		}
		gid, err := lookupGroup(groups, ga)
		if err != nil {
			return nil, err
		}
		u.AdditionalGids = appendUnique(u.AdditionalGids, gid)
	}
	return u, nil
}

func lookupGroup(groups []groupEntry, g string) (uint32, error) {
	if gid, ok := parseID(g); ok {
		return gid, nil
	}
	for _, e := range groups {
		if e.name == g {
			return e.gid, nil
		}
	}
	return 0, fmt.Errorf("unable to find group %s: no matching entries in group file", g)
}

func appendUnique(s []uint32, v uint32) []uint32 {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
