//go:build linux

package rootless

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/storage/pkg/unshare"
)

// UserNS is a container's user namespace as --userns asks for it.
type UserNS struct {
	// Private is true when the container gets a user namespace of its own
	// with UIDMap/GIDMap (relative to the namespace selkie runs in).
	Private        bool
	UIDMap, GIDMap []specs.LinuxIDMapping
	// Path joins an existing user namespace (ns:PATH).
	Path string
	// User is the default process user ("uid:gid") the mode implies
	// (keep-id), empty for the image's.
	User string
	// Auto asks containers/storage to allocate the mappings (auto), of
	// AutoSize IDs when not 0.
	Auto     bool
	AutoSize uint32
}

// ContainerUserNS resolves --userns for a container. Rootless, the
// namespace selkie runs in maps 0 to the user and 1… to the subordinate
// IDs; the modes are Podman's:
//
//	"" / host  the container shares it (container root = the user)
//	keep-id[:uid=U,gid=G]  the user's own IDs (or U/G) are the user's in
//	           the container, everything else shifted by one
//	nomap      the subordinate IDs only, the user's own ID is not mapped
//	ns:PATH    join that user namespace
func ContainerUserNS(mode string, rootless bool) (UserNS, error) {
	return ContainerUserNSMaps(mode, nil, nil, "", "", rootless)
}

// ContainerUserNSMaps is ContainerUserNS with --uidmap/--gidmap (triples
// "container:host:size"; rootless the host IDs are those of the user's
// namespace, as in Podman 4) and --subuidname/--subgidname. A GID map
// defaults to the UID map, and a subgid name to the subuid name.
func ContainerUserNSMaps(mode string, uidmap, gidmap []string, subuidName, subgidName string, rootless bool) (UserNS, error) {
	if len(uidmap) > 0 || len(gidmap) > 0 || subuidName != "" || subgidName != "" {
		if mode != "" {
			return UserNS{}, fmt.Errorf("--userns and --uidmap/--gidmap/--subuidname/--subgidname are mutually exclusive")
		}
		return explicitMaps(uidmap, gidmap, subuidName, subgidName, rootless)
	}
	kind, arg, _ := strings.Cut(mode, ":")
	switch kind {
	case "", "host":
		return UserNS{}, nil
	case "ns":
		uns := UserNS{Path: arg}
		// runc wants the mappings of a namespace it joins: a process's
		// namespace shows them in /proc/PID/{uid,gid}_map (relative to ours).
		if dir, ok := strings.CutSuffix(arg, "/ns/user"); ok && strings.HasPrefix(dir, "/proc/") {
			uns.UIDMap, _ = readMap(dir + "/uid_map")
			uns.GIDMap, _ = readMap(dir + "/gid_map")
		}
		return uns, nil
	case "keep-id":
		if !rootless {
			return UserNS{}, fmt.Errorf("keep-id is only supported in rootless mode")
		}
		uid, gid := UID(), GID()
		if arg != "" {
			for _, kv := range strings.Split(arg, ",") {
				k, v, _ := strings.Cut(kv, "=")
				n, err := strconv.ParseUint(v, 10, 32)
				if err != nil {
					return UserNS{}, fmt.Errorf("cannot parse %s: %w", kv, err)
				}
				switch k {
				case "uid":
					uid = int(n)
				case "gid":
					gid = int(n)
				default:
					return UserNS{}, fmt.Errorf("unknown option %q for userns mode keep-id", k)
				}
			}
		}
		uids, err := keepID(uid, "/proc/self/uid_map")
		if err != nil {
			return UserNS{}, err
		}
		gids, err := keepID(gid, "/proc/self/gid_map")
		if err != nil {
			return UserNS{}, err
		}
		return UserNS{Private: true, UIDMap: uids, GIDMap: gids, User: fmt.Sprintf("%d:%d", uid, gid)}, nil
	case "auto":
		uns := UserNS{Private: true, Auto: true}
		if arg != "" {
			for _, kv := range strings.Split(arg, ",") {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "size":
					n, err := strconv.ParseUint(v, 10, 32)
					if err != nil || n == 0 {
						return UserNS{}, fmt.Errorf("invalid size %q for userns mode auto", v)
					}
					uns.AutoSize = uint32(n)
				default:
					return UserNS{}, fmt.Errorf("unknown option %q for userns mode auto", k)
				}
			}
		}
		return uns, nil
	case "nomap":
		if !rootless {
			return UserNS{}, fmt.Errorf("nomap is only supported in rootless mode")
		}
		nu, err := available("/proc/self/uid_map")
		if err != nil {
			return UserNS{}, err
		}
		ng, err := available("/proc/self/gid_map")
		if err != nil {
			return UserNS{}, err
		}
		if nu < 2 || ng < 2 {
			return UserNS{}, fmt.Errorf("userns=nomap needs subordinate IDs: none are set aside for the user in /etc/subuid and /etc/subgid")
		}
		return UserNS{Private: true,
			UIDMap: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1, Size: nu - 1}},
			GIDMap: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1, Size: ng - 1}}}, nil
	}
	return UserNS{}, fmt.Errorf("userns mode %q is not supported", mode)
}

// keepID maps id to 0 (the user) and shifts the IDs below it by one, as
// Podman's keep-id does.
func keepID(id int, file string) ([]specs.LinuxIDMapping, error) {
	n, err := available(file)
	if err != nil {
		return nil, err
	}
	u := uint32(id)
	var m []specs.LinuxIDMapping
	if u > 0 {
		size := u
		if size > n-1 {
			size = n - 1
		}
		if size > 0 {
			m = append(m, specs.LinuxIDMapping{ContainerID: 0, HostID: 1, Size: size})
		}
	}
	m = append(m, specs.LinuxIDMapping{ContainerID: u, HostID: 0, Size: 1})
	if n > u+1 {
		m = append(m, specs.LinuxIDMapping{ContainerID: u + 1, HostID: u + 1, Size: n - u - 1})
	}
	return m, nil
}

// available is how many consecutive IDs from 0 this namespace maps.
func available(file string) (uint32, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	var total uint64
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		inside, _ := strconv.ParseUint(f[0], 10, 32)
		size, _ := strconv.ParseUint(f[2], 10, 32)
		if inside == total {
			total += size
		}
	}
	if total > 1<<32-2 {
		total = 1<<32 - 2
	}
	return uint32(total), nil
}

func explicitMaps(uidmap, gidmap []string, subuidName, subgidName string, rootless bool) (UserNS, error) {
	if len(gidmap) == 0 && len(uidmap) > 0 {
		gidmap = uidmap
	}
	if len(uidmap) == 0 && len(gidmap) > 0 {
		uidmap = gidmap
	}
	if subgidName == "" {
		subgidName = subuidName
	}
	if subuidName == "" {
		subuidName = subgidName
	}
	uns := UserNS{Private: true}
	var err error
	if uns.UIDMap, err = parseTriples(uidmap, "uidmap"); err != nil {
		return UserNS{}, err
	}
	if uns.GIDMap, err = parseTriples(gidmap, "gidmap"); err != nil {
		return UserNS{}, err
	}
	if subuidName != "" {
		if rootless {
			return UserNS{}, fmt.Errorf("--subuidname/--subgidname need root: a normal user can only map its own subordinate IDs (use --uidmap)")
		}
		u, g, err := unshare.GetSubIDMappings(subuidName, subgidName)
		if err != nil {
			return UserNS{}, fmt.Errorf("reading subordinate IDs of %q: %w", subuidName, err)
		}
		if len(u) == 0 || len(g) == 0 {
			return UserNS{}, fmt.Errorf("no subordinate ID ranges for %q in /etc/subuid and /etc/subgid", subuidName)
		}
		uns.UIDMap = append(uns.UIDMap, u...)
		uns.GIDMap = append(uns.GIDMap, g...)
	}
	// Rootless, every host ID must exist in the user's namespace.
	if rootless {
		for _, c := range []struct {
			m    []specs.LinuxIDMapping
			file string
		}{{uns.UIDMap, "/proc/self/uid_map"}, {uns.GIDMap, "/proc/self/gid_map"}} {
			n, err := available(c.file)
			if err != nil {
				return UserNS{}, err
			}
			for _, m := range c.m {
				if uint64(m.HostID)+uint64(m.Size) > uint64(n) {
					return UserNS{}, fmt.Errorf("mapping %d:%d:%d is outside the %d IDs of the rootless user namespace (the user's own ID and its /etc/subuid, /etc/subgid ranges)", m.ContainerID, m.HostID, m.Size, n)
				}
			}
		}
	}
	return uns, nil
}

// parseTriples parses "container:host:size" (also with '/' separators, as
// Podman accepts).
func parseTriples(in []string, what string) ([]specs.LinuxIDMapping, error) {
	var out []specs.LinuxIDMapping
	for _, s := range in {
		f := strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '/' })
		if len(f) != 3 {
			return nil, fmt.Errorf("invalid %s %q: expected container:host:size", what, s)
		}
		var n [3]uint32
		for i, x := range f {
			v, err := strconv.ParseUint(x, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("invalid %s %q: %w", what, s, err)
			}
			n[i] = uint32(v)
		}
		if n[2] == 0 {
			return nil, fmt.Errorf("invalid %s %q: size must be positive", what, s)
		}
		out = append(out, specs.LinuxIDMapping{ContainerID: n[0], HostID: n[1], Size: n[2]})
	}
	return out, nil
}

// readMap parses a /proc/PID/uid_map-style file.
func readMap(file string) ([]specs.LinuxIDMapping, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []specs.LinuxIDMapping
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		var n [3]uint64
		for i := range f {
			if n[i], err = strconv.ParseUint(f[i], 10, 32); err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
		}
		out = append(out, specs.LinuxIDMapping{ContainerID: uint32(n[0]), HostID: uint32(n[1]), Size: uint32(n[2])})
	}
	return out, nil
}
