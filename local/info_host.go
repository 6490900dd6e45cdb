package local

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/oci"
	"golang.org/x/sys/unix"
)

// hostInfo describes the machine and the helper binaries the engine would use.
func (e *Engine) hostInfo(ctx context.Context) engine.HostInfo {
	hostname, _ := os.Hostname()
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	var si unix.Sysinfo_t
	_ = unix.Sysinfo(&si)
	unit := int64(si.Unit)
	h := engine.HostInfo{
		Arch:              runtime.GOARCH,
		OS:                runtime.GOOS,
		CPUs:              runtime.NumCPU(),
		Hostname:          hostname,
		Kernel:            unix.ByteSliceToString(uts.Release[:]),
		MemTotal:          int64(si.Totalram) * unit,
		MemFree:           int64(si.Freeram) * unit,
		SwapTotal:         int64(si.Totalswap) * unit,
		SwapFree:          int64(si.Freeswap) * unit,
		Uptime:            uptime(time.Duration(si.Uptime) * time.Second),
		CgroupManager:     e.cfg.Engine.CgroupManager,
		CgroupVersion:     cgroupVersion(),
		CgroupControllers: cgroupControllers(),
		Rootless:          e.cfg.Rootless,
		LogDriver:         e.cfg.Containers.LogDriver,
		EventLogger:       e.cfg.Engine.EventsLogger,
		NetworkBackend:    e.cfg.Network.NetworkBackend,
		Distribution:      distribution(),
		Linkmode:          "dynamic",
		RemoteSocket:      remoteSocket(e.cfg.Rootless, e.cfg.RuntimeDir),
		Security: engine.SecurityInfo{
			Rootless:            e.cfg.Rootless,
			SECCOMPEnabled:      seccompEnabled(),
			SECCOMPProfilePath:  seccompProfilePath(e.cfg.Containers.SeccompProfile),
			AppArmorEnabled:     appArmorEnabled(),
			DefaultCapabilities: strings.Join(e.cfg.Capabilities(), ","),
		},
	}
	if e.cfg.Rootless {
		h.IDMappings = idMappings()
	}
	h.Conmon, h.OCIRuntime, h.Slirp4NetNS = e.helperPrograms(ctx)
	return h
}

// helperPrograms finds conmon, the OCI runtime and slirp4netns and asks each
// for its version and the package that shipped it, concurrently.
func (e *Engine) helperPrograms(ctx context.Context) (conmon, rt engine.ProgramInfo, slirp engine.SlirpInfo) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if p, err := e.cfg.FindConmon(); err == nil {
		conmon.Path = p
	}
	// The runtime the engine would pick (the same detection start uses);
	// when none is usable, the configured one, so the report still says why.
	if cli, err := oci.Detect(oci.DetectOptions{Name: e.cfg.Engine.Runtime, Runtimes: e.cfg.Engine.Runtimes}); err == nil {
		rt.Name, rt.Path = cli.Name(), cli.Path()
	} else {
		rt.Name = e.cfg.RuntimeName()
		if p, err := e.cfg.FindRuntime(rt.Name); err == nil {
			rt.Path = p
		}
	}
	if strings.Contains(rt.Name, "/") {
		rt.Name = filepath.Base(rt.Name)
	}
	if p, err := e.cfg.FindHelperBinary("slirp4netns"); err == nil {
		slirp.Executable = p
	}
	var wg sync.WaitGroup
	probe := func(path string, join bool, out *string) {
		if path == "" {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			*out = programVersion(ctx, path, join)
		}()
	}
	probe(conmon.Path, true, &conmon.Version)
	probe(rt.Path, false, &rt.Version)
	probe(slirp.Executable, false, &slirp.Version)
	var pkgs map[string]string
	wg.Add(1)
	go func() {
		defer wg.Done()
		pkgs = packagesOf(ctx, conmon.Path, rt.Path, slirp.Executable)
	}()
	wg.Wait()
	conmon.Package = pkgName(pkgs, conmon.Path)
	rt.Package = pkgName(pkgs, rt.Path)
	slirp.Package = pkgName(pkgs, slirp.Executable)
	return conmon, rt, slirp
}

// programVersion runs `path --version`. conmon prints two lines that Podman
// joins with ", "; runtimes keep their lines.
func programVersion(ctx context.Context, path string, join bool) string {
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(out))
	if join {
		s = strings.ReplaceAll(s, "\n", ", ")
	}
	return s
}

// packagesOf asks dpkg which package ships each path (one dpkg-query for the
// owners, one for their versions). Without dpkg every answer is "Unknown".
func packagesOf(ctx context.Context, paths ...string) map[string]string {
	res := map[string]string{}
	var q []string
	for _, p := range paths {
		if p != "" {
			q = append(q, p)
		}
	}
	dpkg, err := exec.LookPath("dpkg-query")
	if err != nil || len(q) == 0 {
		return res
	}
	out, _ := exec.CommandContext(ctx, dpkg, append([]string{"-S"}, q...)...).Output()
	owner := map[string]string{}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		pkg, path, ok := strings.Cut(sc.Text(), ": ")
		if !ok || strings.Contains(pkg, " ") {
			continue // "diversion by …" lines
		}
		pkg, _, _ = strings.Cut(pkg, ",")
		owner[path] = pkg
		names = append(names, pkg)
	}
	if len(names) == 0 {
		return res
	}
	out, _ = exec.CommandContext(ctx, dpkg, append([]string{"-W", "-f", "${Package} ${Package}_${Version}_${Architecture}\n"}, names...)...).Output()
	full := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if name, v, ok := strings.Cut(line, " "); ok {
			full[name] = v
		}
	}
	for path, pkg := range owner {
		res[path] = full[pkg]
	}
	return res
}

func pkgName(pkgs map[string]string, path string) string {
	if v := pkgs[path]; v != "" {
		return v
	}
	return "Unknown"
}

// uptime formats like Podman: "0h 15m 54.00s", with days added past a day.
func uptime(d time.Duration) string {
	h := math.Floor(d.Hours())
	m := math.Floor(d.Minutes()) - h*60
	s := d.Seconds() - h*3600 - m*60
	out := fmt.Sprintf("%.0fh %.0fm %.2fs", h, m, s)
	if h >= 24 {
		out += fmt.Sprintf(" (Approximately %.2f days)", h/24)
	}
	return out
}

func cgroupVersion() string {
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "v2"
	}
	return "v1"
}

// cgroupControllers lists the controllers available to containers: from
// cgroup.controllers on v2, else the v1 hierarchies mounted under /sys/fs/cgroup.
func cgroupControllers() []string {
	if cgroupVersion() == "v2" {
		data, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
		if err != nil {
			return []string{}
		}
		return strings.Fields(string(data))
	}
	data, err := os.ReadFile("/proc/cgroups")
	if err != nil {
		return []string{}
	}
	out := []string{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || strings.HasPrefix(f[0], "#") || f[3] != "1" {
			continue
		}
		var st unix.Statfs_t
		if unix.Statfs(filepath.Join("/sys/fs/cgroup", f[0]), &st) == nil && st.Type == unix.CGROUP_SUPER_MAGIC {
			out = append(out, f[0])
		}
	}
	return out
}

func seccompEnabled() bool {
	_, _, errno := unix.RawSyscall(unix.SYS_PRCTL, unix.PR_GET_SECCOMP, 0, 0)
	return errno != unix.EINVAL
}

func seccompProfilePath(configured string) string {
	if configured != "" {
		return configured
	}
	for _, p := range []string{"/usr/share/containers/seccomp.json", "/etc/containers/seccomp.json"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func appArmorEnabled() bool {
	data, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && strings.HasPrefix(string(data), "Y")
}

// remoteSocket is where `selkie system service` listens by default.
func remoteSocket(rootless bool, runtimeDir string) *engine.RemoteSocket {
	p := "/run/selkie/selkie.sock"
	if rootless && runtimeDir != "" {
		p = filepath.Join(runtimeDir, "selkie", "selkie.sock")
	}
	_, err := os.Stat(p)
	return &engine.RemoteSocket{Path: p, Exists: err == nil}
}

// idMappings reads this process's user namespace maps (rootless).
func idMappings() engine.IDMappings {
	return engine.IDMappings{UIDMap: readIDMap("/proc/self/uid_map"), GIDMap: readIDMap("/proc/self/gid_map")}
}

func readIDMap(path string) []engine.IDMap {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []engine.IDMap
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		c, _ := strconv.Atoi(f[0])
		h, _ := strconv.Atoi(f[1])
		n, _ := strconv.Atoi(f[2])
		out = append(out, engine.IDMap{ContainerID: c, HostID: h, Size: n})
	}
	return out
}
