package local

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/cgroups"
	"github.com/selkie-containers/selkie/internal/oci"
	"github.com/selkie-containers/selkie/internal/spec"
)

// podCgroupParent is the cgroupfs parent of pods, as Podman's default.
const podCgroupParent = "/libpod_parent"

// podCgroupPath is a pod's cgroup (cgroupfs), the parent of its members'.
func podCgroupPath(podID string) string { return podCgroupParent + "/" + podID }

// podCgroupDirs maps each mounted cgroup hierarchy to the pod's directory in
// it: v1 controllers by name (cpu, memory, name=systemd …), "" for cgroup2.
func podCgroupDirs(podID string) (map[string]string, error) {
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		return nil, fmt.Errorf("reading cgroup mounts: %w", err)
	}
	rel := filepath.Join(podCgroupParent, podID)
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
func createPodCgroup(podID string, r engine.Resources) (err error) {
	dirs, err := podCgroupDirs(podID)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = removePodCgroup(podID)
		}
	}()
	v2 := oci.CgroupMode() == oci.CgroupV2
	cg := &cgroups.Cgroup{V1: map[string]string{}}
	for ctrl, dir := range dirs {
		if ctrl == "" && v2 {
			// Unified only: the controllers must be enabled down to the pod.
			root := strings.TrimSuffix(dir, filepath.Join(podCgroupParent, podID))
			enableControllers(root)
			if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
				return fmt.Errorf("creating pod cgroup: %w", err)
			}
			enableControllers(filepath.Dir(dir))
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
			for _, d := range []string{filepath.Dir(dir), dir} {
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
func removePodCgroup(podID string) error {
	dirs, err := podCgroupDirs(podID)
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
	dirs, err := podCgroupDirs(podID)
	if err != nil {
		return ""
	}
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return podCgroupPath(podID) + "/libpod-" + ctrID
		}
		break
	}
	return ""
}
