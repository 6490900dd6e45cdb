package local

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	"golang.org/x/sys/unix"

	"github.com/moby/sys/mountinfo"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/cgroups"
	"github.com/selkie-containers/selkie/internal/oci"
	"github.com/selkie-containers/selkie/internal/spec"
)

// podCgroupParent is the cgroupfs parent of pods, as Podman's default.
const podCgroupParent = "/libpod_parent"

// podCgroupPath is a pod's cgroup (cgroupfs), the parent of its members':
// PARENT/ID, the parent being --cgroup-parent or /libpod_parent.
func podCgroupPath(parent, podID string) string {
	if parent == "" {
		parent = podCgroupParent
	}
	return path.Join(parent, podID)
}

// podCgroupDirs maps each mounted cgroup hierarchy to the directory of
// cgroup rel in it: v1 controllers by name (cpu, memory, name=systemd …),
// "" for cgroup2.
func podCgroupDirs(rel string) (map[string]string, error) {
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		return nil, fmt.Errorf("reading cgroup mounts: %w", err)
	}
	out := map[string]string{}
	for _, m := range mounts {
		if m.Root != "/" {
			continue // a bind of a sub-tree (cgroup namespace): not ours to create in
		}
		dir := filepath.Join(m.Mountpoint, rel)
		if m.FSType == "cgroup2" {
			if _, ok := out[""]; !ok {
				out[""] = dir
			}
			continue
		}
		for _, opt := range strings.Split(m.VFSOptions, ",") {
			if opt == "rw" || opt == "ro" || strings.HasPrefix(opt, "release_agent=") || opt == "xattr" || opt == "noprefix" || opt == "clone_children" {
				continue
			}
			if _, ok := out[opt]; !ok {
				out[opt] = dir
			}
		}
	}
	return out, nil
}

// createPodCgroup makes the pod's cgroup in every hierarchy and writes r's
// limits to it. On failure what was made is removed again.
func createPodCgroup(rel string, r engine.Resources) (err error) {
	dirs, err := podCgroupDirs(rel)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = removePodCgroup(rel)
		}
	}()
	v2 := oci.CgroupMode() == oci.CgroupV2
	cg := &cgroups.Cgroup{V1: map[string]string{}}
	for ctrl, dir := range dirs {
		root := strings.TrimSuffix(dir, filepath.Clean(rel))
		// The levels between the hierarchy's root and the pod, top down
		// (more than one with a nested --cgroup-parent).
		var levels []string
		for d := filepath.Dir(dir); len(d) > len(root); d = filepath.Dir(d) {
			levels = append([]string{d}, levels...)
		}
		if ctrl == "" && v2 {
			// Unified only: the controllers must be enabled down to the pod.
			enableControllers(root)
			for _, l := range levels {
				if err := os.Mkdir(l, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
					return fmt.Errorf("creating pod cgroup: %w", err)
				}
				enableControllers(l)
			}
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating pod cgroup: %w", err)
		}
		if ctrl == "" {
			cg.V2 = dir
			continue
		}
		cg.V1[ctrl] = dir
		if ctrl == "cpuset" {
			// A v1 cpuset cgroup takes no task until cpus and mems are set.
			for _, d := range append(levels, dir) {
				inheritCpuset(d)
			}
		}
	}
	if r == (engine.Resources{}) {
		return nil
	}
	lr, err := spec.Resources(r, v2)
	if err != nil {
		return err
	}
	if err := cg.Apply(lr); err != nil {
		return fmt.Errorf("setting pod cgroup limits: %w", err)
	}
	return nil
}

// enableControllers writes every available controller to dir's
// cgroup.subtree_control (cgroup v2), best effort.
func enableControllers(dir string) {
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return
	}
	for _, c := range strings.Fields(string(data)) {
		_ = os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+"+c), 0)
	}
}

// inheritCpuset copies the parent's cpuset.cpus and cpuset.mems into dir
// where they are empty.
func inheritCpuset(dir string) {
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		cur, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || len(bytes.TrimSpace(cur)) > 0 {
			continue
		}
		if v, err := os.ReadFile(filepath.Join(filepath.Dir(dir), f)); err == nil {
			_ = os.WriteFile(filepath.Join(dir, f), bytes.TrimSpace(v), 0)
		}
	}
}

// removePodCgroup removes the pod's cgroup from every hierarchy (it must
// have no members left). A missing directory is not an error.
func removePodCgroup(rel string) error {
	dirs, err := podCgroupDirs(rel)
	if err != nil {
		return err
	}
	var errs []error
	seen := map[string]bool{}
	for _, dir := range dirs {
		if seen[dir] {
			continue
		}
		seen[dir] = true
		if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing pod cgroup %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

// podInspectResources fills pod inspect's limit fields as Podman shows them.
func podInspectResources(in *engine.PodInspect, r engine.Resources) {
	in.CPUPeriod, in.CPUQuota = r.CPUPeriod, r.CPUQuota
	if r.NanoCPUs > 0 {
		in.CPUPeriod = 100000
		in.CPUQuota = r.NanoCPUs * 100000 / 1e9
	}
	in.CPUShares, in.CPUSetCPUs, in.CPUSetMems = r.CPUShares, r.CPUSetCPUs, r.CPUSetMems
	if r.Memory > 0 {
		in.MemoryLimit = uint64(r.Memory)
	}
	if r.MemorySwap > 0 {
		in.MemorySwap = uint64(r.MemorySwap)
	}
}

// podMemberCgroupsPath is the cgroupfs path of member ctrID of pod podID
// when the pod has a cgroup ("" otherwise).
func podMemberCgroupsPath(podID, ctrID string) string {
	if rel := findPodCgroup(podID); rel != "" {
		return rel + "/libpod-" + ctrID
	}
	return ""
}

// findPodCgroup is the cgroup path of pod podID ("" when it has none):
// under /libpod_parent, else (--cgroup-parent) looked for in the first
// hierarchy, a few levels deep.
func findPodCgroup(podID string) string {
	rel := podCgroupPath("", podID)
	dirs, err := podCgroupDirs(rel)
	if err != nil {
		return ""
	}
	ctrl := ""
	if _, ok := dirs["memory"]; ok {
		ctrl = "memory"
	}
	d, ok := dirs[ctrl]
	if !ok {
		for c, x := range dirs {
			ctrl, d = c, x
			break
		}
	}
	if d == "" {
		return ""
	}
	if fi, err := os.Stat(d); err == nil && fi.IsDir() {
		return rel
	}
	root := strings.TrimSuffix(d, rel)
	found := ""
	_ = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.IsDir() {
			return nil
		}
		r := strings.TrimPrefix(p, root)
		if strings.Count(r, "/") > 8 || strings.HasPrefix(e.Name(), "libpod-") {
			return filepath.SkipDir
		}
		if e.Name() == podID {
			found = r
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// podIODevice is one parsed per-device I/O limit of a pod.
type podIODevice struct {
	path         string
	major, minor int64
	value        uint64
}

// parsePodIODevices checks --device-read-bps/--device-write-bps (rate)
// or --blkio-weight-device (weight) values with Podman's texts, and finds
// each device's numbers.
func parsePodIODevices(list []string, weight bool) ([]podIODevice, error) {
	var out []podIODevice
	for _, v := range list {
		path, val, ok := strings.Cut(v, ":")
		if !ok {
			return nil, &textError{"bad format: " + v, engine.ErrInvalidArg}
		}
		if !strings.HasPrefix(path, "/dev/") {
			return nil, &textError{"bad format for device path: " + v, engine.ErrInvalidArg}
		}
		var n uint64
		if weight {
			w, err := strconv.ParseUint(val, 10, 16)
			if err != nil || w > 0 && (w < 10 || w > 1000) {
				return nil, &textError{"invalid weight for device: " + v, engine.ErrInvalidArg}
			}
			n = w
		} else {
			r, err := units.RAMInBytes(val)
			if err != nil || r < 0 {
				return nil, &textError{"invalid rate for device: " + v + ". The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb", engine.ErrInvalidArg}
			}
			n = uint64(r)
		}
		var st unix.Stat_t
		if err := unix.Stat(path, &st); err != nil {
			return nil, fmt.Errorf("stat %s: %w", path, err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFBLK {
			return nil, &textError{path + " is not a block device", engine.ErrInvalidArg}
		}
		out = append(out, podIODevice{path: path, major: int64(unix.Major(uint64(st.Rdev))), minor: int64(unix.Minor(uint64(st.Rdev))), value: n})
	}
	return out, nil
}

// applyPodIOLimits writes the pod's per-device I/O weights and throttles
// to its cgroup (blkio on cgroup v1, io on v2).
func applyPodIOLimits(rel string, o engine.PodCreateOptions) error {
	weights, err := parsePodIODevices(o.BlkioWeightDevice, true)
	if err != nil {
		return err
	}
	reads, err := parsePodIODevices(o.DeviceReadBps, false)
	if err != nil {
		return err
	}
	writes, err := parsePodIODevices(o.DeviceWriteBps, false)
	if err != nil {
		return err
	}
	if len(weights)+len(reads)+len(writes) == 0 {
		return nil
	}
	dirs, err := podCgroupDirs(rel)
	if err != nil {
		return err
	}
	v2 := oci.CgroupMode() == oci.CgroupV2
	dir := dirs["blkio"]
	if v2 {
		dir = dirs[""]
	}
	if dir == "" {
		return fmt.Errorf("setting pod I/O limits: no blkio cgroup controller: %w", engine.ErrInvalidArg)
	}
	write := func(file string, d podIODevice, val string) error {
		line := fmt.Sprintf("%d:%d %s", d.major, d.minor, val)
		if err := os.WriteFile(filepath.Join(dir, file), []byte(line), 0); err != nil {
			return fmt.Errorf("setting pod I/O limit %s %q (%s): %w", file, line, d.path, err)
		}
		return nil
	}
	for _, d := range weights {
		file := "blkio.weight_device"
		if v2 {
			file = "io.bfq.weight"
		} else if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
			file = "blkio.bfq.weight_device" // BFQ's, as runc falls back to
		}
		if err := write(file, d, strconv.FormatUint(d.value, 10)); err != nil {
			return err
		}
	}
	for _, set := range []struct {
		devs   []podIODevice
		v1, v2 string
	}{{reads, "blkio.throttle.read_bps_device", "rbps="}, {writes, "blkio.throttle.write_bps_device", "wbps="}} {
		for _, d := range set.devs {
			var err error
			if v2 {
				err = write("io.max", d, set.v2+strconv.FormatUint(d.value, 10))
			} else {
				err = write(set.v1, d, strconv.FormatUint(d.value, 10))
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// podInspectIO fills pod inspect's I/O limit fields as Podman shows them.
func podInspectIO(in *engine.PodInspect, o engine.PodCreateOptions) {
	in.BlkioWeight = uint64(o.Resources.BlkioWeight)
	w, _ := parsePodIODevices(o.BlkioWeightDevice, true)
	for _, d := range w {
		in.BlkioWeightDevice = append(in.BlkioWeightDevice, engine.PodInspectWeightDevice{Path: d.path, Weight: uint16(d.value)})
	}
	for _, set := range []struct {
		list []string
		dst  *[]engine.PodInspectRateDevice
	}{{o.DeviceReadBps, &in.DeviceReadBps}, {o.DeviceWriteBps, &in.DeviceWriteBps}} {
		r, _ := parsePodIODevices(set.list, false)
		for _, d := range r {
			*set.dst = append(*set.dst, engine.PodInspectRateDevice{Path: d.path, Rate: d.value})
		}
	}
}
