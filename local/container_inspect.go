package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/spec"
	"github.com/selkie-containers/selkie/internal/state"
	"github.com/selkie-containers/selkie/internal/storage"
)

// ContainerInspect builds Podman's inspect document from the record and the
// image config saved at create time. Only o.Size touches storage.
func (e *Engine) ContainerInspect(ctx context.Context, ref string, o engine.ContainerInspectOptions) (*engine.ContainerInspect, error) {
	c, err := e.lookupContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	if exits, err := e.exitDir(); err == nil {
		observeExit(c, exits)
	}
	so, err := storage.StoreOptions(e.storeOptions())
	if err != nil {
		return nil, err
	}
	driver := so.GraphDriverName
	if driver == "" {
		driver = "overlay" // what the store picks here when storage.conf names none
	}
	insp := inspectDoc(c, driver, so.GraphRoot)
	insp.Config.Env = mergedEnv(c, e.cfg.Containers.Env, e.cfg.Containers.EnvHost)
	insp.Config.Env = withHomeHostname(insp.Config.Env, insp.Config.User, insp.Config.Hostname)
	nonRoot := !isRootUser(insp.Config.User)
	insp.EffectiveCaps, insp.BoundingCaps = spec.InspectCapabilities(&c.Options, e.cfg, nonRoot)
	insp.HostConfig.CgroupManager = defaultStr(e.cfg.Engine.CgroupManager, "cgroupfs")
	if insp.State.Running && insp.HostConfig.CgroupManager == "cgroupfs" {
		insp.State.CgroupPath = spec.CgroupsPath(c.ID)
		if p := podMemberCgroupsPath(c.Pod, c.ID); c.Pod != "" && p != "" {
			insp.State.CgroupPath = p
		}
	}
	if c.Options.ShmSize == nil {
		if n, err := e.cfg.ShmSizeBytes(); err == nil {
			insp.HostConfig.ShmSize = n
		}
	}
	if c.Options.Resources.PidsLimit == nil {
		insp.HostConfig.PidsLimit = e.cfg.Containers.PidsLimit
	}
	if insp.Config.Umask == "" {
		insp.Config.Umask = defaultStr(e.cfg.Containers.Umask, "0022")
	}
	if run, err := e.ctrRunDir(c.ID); err == nil {
		insp.OCIConfigPath = filepath.Join(run, "config.json")
		insp.ConmonPidFile = filepath.Join(run, "conmon.pid")
		insp.PidFile = filepath.Join(run, "pidfile")
		if c.State.Status == state.StatusRunning || c.State.Status == state.StatusPaused || c.State.Status == state.StatusCreated {
			insp.HostnamePath = filepath.Join(run, "hostname")
			insp.HostsPath = filepath.Join(run, "hosts")
			insp.ResolvConfPath = filepath.Join(run, "resolv.conf")
		}
	}
	if c.State.Mountpoint != "" {
		insp.GraphDriver.Data["MergedDir"] = c.State.Mountpoint
		if driver == "overlay" {
			overlayDirs(insp.GraphDriver.Data, c.State.Mountpoint)
		}
	}
	if db, err := e.db(ctx); err == nil {
		_ = db.View(ctx, func(tx *state.Tx) error {
			xs, err := tx.ExecSessions(c.ID)
			for _, x := range xs {
				insp.ExecIDs = append(insp.ExecIDs, x.ID)
			}
			return err
		})
	}
	if o.Size {
		if st, err := e.Store(); err == nil {
			if ctr, err := st.Container(c.StorageID); err == nil {
				if n, err := st.DiffSize("", ctr.LayerID); err == nil {
					insp.SizeRw = &n
				}
				if n, err := rootFsSize(st, ctr.LayerID); err == nil {
					insp.SizeRootFs = n
				}
			}
		}
	}
	return insp, nil
}

// mergedEnv is the container's environment as inspect shows it (the same
// order of precedence as the runtime spec): containers.conf env, TERM and
// container=podman, the image's env, the host's (--env-host), then --env
// (sorted for a stable order), minus --unsetenv.
func mergedEnv(c *state.Container, confEnv []string, envHost bool) []string {
	var env []string
	idx := map[string]int{}
	set := func(kv string) {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			env[i] = kv
			return
		}
		idx[k] = len(env)
		env = append(env, kv)
	}
	if !c.Options.UnsetEnvAll {
		for _, kv := range confEnv {
			set(kv)
		}
		set("TERM=xterm")
		set("container=podman")
		if c.ImageConfig != nil {
			for _, kv := range c.ImageConfig.Config.Env {
				set(kv)
			}
		}
	}
	if envHost || c.Options.EnvHost {
		for _, kv := range os.Environ() {
			set(kv)
		}
	}
	keys := make([]string, 0, len(c.Options.Env))
	for k := range c.Options.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		set(k + "=" + c.Options.Env[k])
	}
	if len(c.Options.UnsetEnv) > 0 {
		drop := map[string]bool{}
		for _, k := range c.Options.UnsetEnv {
			drop[k] = true
		}
		out := env[:0]
		for _, kv := range env {
			k, _, _ := strings.Cut(kv, "=")
			if !drop[k] {
				out = append(out, kv)
			}
		}
		env = out
	}
	if env == nil {
		env = []string{}
	}
	return env
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func inspectDoc(c *state.Container, driver, graphRoot string) *engine.ContainerInspect {
	o := c.Options
	cmd := containerCommand(c)
	var path string
	var args []string
	if len(cmd) > 0 {
		path, args = cmd[0], cmd[1:]
	}
	var imgCfg struct {
		ep, cmd      []string
		workdir      string
		user         string
		labels       map[string]string
		volumes      map[string]struct{}
		exposedPorts map[string]struct{}
	}
	if c.ImageConfig != nil {
		ic := c.ImageConfig.Config
		imgCfg.ep, imgCfg.cmd, imgCfg.workdir, imgCfg.user = ic.Entrypoint, ic.Cmd, ic.WorkingDir, ic.User
		imgCfg.labels, imgCfg.volumes, imgCfg.exposedPorts = ic.Labels, ic.Volumes, ic.ExposedPorts
	}
	entrypoint := imgCfg.ep
	if o.Entrypoint != nil {
		entrypoint = *o.Entrypoint
	}
	cmdOnly := imgCfg.cmd
	if o.Entrypoint != nil && len(o.Command) == 0 {
		cmdOnly = nil
	}
	if len(o.Command) > 0 {
		cmdOnly = o.Command
	}
	labels := map[string]string{}
	for k, v := range imgCfg.labels {
		labels[k] = v
	}
	for k, v := range o.Labels {
		labels[k] = v
	}
	workdir := o.WorkDir
	if workdir == "" {
		workdir = imgCfg.workdir
	}
	if workdir == "" {
		workdir = "/"
	}
	user := o.User
	if user == "" {
		user = imgCfg.user
	}
	hostname := o.Hostname
	if hostname == "" && len(c.ID) >= 12 {
		hostname = c.ID[:12]
	}
	var stopSignal uint = 15
	if o.StopSignal != "" {
		if sig, err := parseSignal(o.StopSignal); err == nil {
			stopSignal = uint(sig)
		}
	}
	var stopTimeout uint = 10
	if o.StopTimeout != nil {
		stopTimeout = *o.StopTimeout
	}
	status := publicStatus(c.State.Status)
	restart := o.RestartPolicy
	if restart == "" {
		restart = "no"
	}
	netMode := o.Network
	switch netMode {
	case "", "private":
		netMode = "bridge"
	}
	staticDir := filepath.Join(graphRoot, driver+"-containers", c.StorageID, "userdata")
	mounts := make([]engine.Mount, 0, len(o.Mounts))
	var binds []string
	tmpfs := map[string]string{}
	for _, m := range o.Mounts {
		if im, ok := inspectMount(m); ok {
			mounts = append(mounts, im)
		}
		switch m.Type {
		case "bind":
			b := m.Source + ":" + m.Destination
			if len(m.Options) > 0 {
				b += ":" + strings.Join(m.Options, ",")
			}
			binds = append(binds, b)
		case "volume":
			binds = append(binds, m.Name+":"+m.Destination)
		case "tmpfs":
			tmpfs[m.Destination] = strings.Join(m.Options, ",")
		}
	}
	portBindings := map[string][]engine.InspectHostPort{}
	for _, p := range o.PortMappings {
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		r := p.Range
		if r == 0 {
			r = 1
		}
		for i := uint16(0); i < r; i++ {
			hp := ""
			if p.HostPort != 0 {
				hp = fmt.Sprint(p.HostPort + i)
			}
			key := fmt.Sprintf("%d/%s", p.ContainerPort+i, proto)
			portBindings[key] = append(portBindings[key], engine.InspectHostPort{HostIP: p.HostIP, HostPort: hp})
		}
	}
	var shm int64 = 65536 * 1024
	if o.ShmSize != nil {
		shm = *o.ShmSize
	}
	oom := 0
	if o.OOMScoreAdj != nil {
		oom = *o.OOMScoreAdj
	}
	var pids int64
	if o.Resources.PidsLimit != nil {
		pids = *o.Resources.PidsLimit
	}
	devices := []engine.DeviceMapping{}
	for _, d := range o.Devices {
		parts := strings.SplitN(d, ":", 3)
		dm := engine.DeviceMapping{PathOnHost: parts[0], PathInContainer: parts[0], CgroupPermissions: "rwm"}
		if len(parts) > 1 && parts[1] != "" {
			if strings.HasPrefix(parts[1], "/") {
				dm.PathInContainer = parts[1]
			} else {
				dm.CgroupPermissions = parts[1]
			}
		}
		if len(parts) > 2 {
			dm.CgroupPermissions = parts[2]
		}
		devices = append(devices, dm)
	}
	ulimits := o.Ulimits
	if ulimits == nil {
		ulimits = []engine.Ulimit{}
	}
	logType := o.LogDriver
	if logType == "" {
		logType = "k8s-file"
	}
	logPath := ""
	if lp, ok := o.LogOptions["path"]; ok {
		logPath = lp
	} else if logType == "k8s-file" || logType == "json-file" {
		logPath = filepath.Join(staticDir, "ctr.log")
	}
	annotations := podmanAnnotations(c, stopSignal)
	for k, v := range o.Annotations {
		annotations[k] = v
	}
	if len(labels) == 0 {
		labels = nil // Podman shows null
	}
	logSize := "0B"
	if v := o.LogOptions["max-size"]; v != "" {
		if n, err := units.FromHumanSize(v); err == nil && n > 0 {
			logSize = units.HumanSizeWithPrecision(float64(n), 3)
		}
	}
	passwd := true
	insp := &engine.ContainerInspect{
		ID:      c.ID,
		Created: c.Created,
		Path:    path,
		Args:    orEmpty(args),
		State: engine.ContainerState{
			OciVersion: "1.0.2-dev",
			Status:     status,
			Running:    status == state.StatusRunning || status == state.StatusPaused,
			Paused:     status == state.StatusPaused,
			OOMKilled:  c.State.OOMKilled,
			Pid:        c.State.Pid,
			ConmonPid:  c.State.ConmonPid,
			ExitCode:   c.State.ExitCode,
			Error:      c.State.Error,
			StartedAt:  c.State.StartedAt,
			FinishedAt: c.State.FinishedAt,
			Health:     &engine.HealthStatus{},
		},
		Image:        c.ImageID,
		ImageDigest:  c.ImageDigest,
		ImageName:    c.ImageName,
		Rootfs:       o.Rootfs,
		Pod:          c.Pod,
		StaticDir:    staticDir,
		OCIRuntime:   c.Runtime,
		Name:         c.Name,
		RestartCount: c.State.RestartCount,
		Driver:       driver,
		ExecIDs:      []string{},
		GraphDriver: engine.GraphDriverData{
			Name: driver,
			Data: map[string]string{},
		},
		Mounts:          mounts,
		Dependencies:    orEmpty(dependencies(c)),
		NetworkSettings: inspectNetworkSettings(c, portBindings),
		Namespace:       "",
		Config: engine.ContainerConfig{
			Hostname:                   hostname,
			User:                       user,
			Tty:                        o.Terminal,
			OpenStdin:                  o.Stdin,
			StdinOnce:                  o.Stdin,
			AttachStdin:                o.Stdin,
			AttachStdout:               false,
			AttachStderr:               false,
			Env:                        mergedEnv(c, nil, false),
			Cmd:                        cmdOnly,
			Image:                      c.ImageName,
			Volumes:                    imgCfg.volumes,
			WorkingDir:                 workdir,
			Entrypoint:                 strings.Join(entrypoint, " "),
			OnBuild:                    nil,
			Labels:                     labels,
			Annotations:                annotations,
			StopSignal:                 stopSignal,
			Healthcheck:                o.HealthConfig,
			CreateCommand:              c.CreateCommand,
			Timezone:                   o.Timezone,
			Timeout:                    o.Timeout,
			StopTimeout:                stopTimeout,
			Passwd:                     &passwd,
			SdNotifyMode:               "container",
			HealthcheckOnFailureAction: "none",
			ExposedPorts:               imgCfg.exposedPorts,
		},
		HostConfig: engine.HostConfig{
			Binds:             orEmpty(binds),
			CgroupMode:        defaultStr(o.CgroupNS, "host"),
			ContainerIDFile:   o.CIDFile,
			LogConfig:         engine.LogConfig{Type: logType, Path: logPath, Tag: o.LogOptions["tag"], Size: logSize},
			NetworkMode:       netMode,
			PortBindings:      portBindings,
			RestartPolicy:     engine.RestartPolicy{Name: restart, MaximumRetryCount: o.RestartRetries},
			AutoRemove:        o.Remove,
			VolumeDriver:      "",
			VolumesFrom:       o.VolumesFrom,
			CapAdd:            orEmpty(o.CapAdd),
			CapDrop:           orEmpty(o.CapDrop),
			Dns:               orEmpty(o.DNSServers),
			DnsOptions:        orEmpty(o.DNSOptions),
			DnsSearch:         orEmpty(o.DNSSearch),
			ExtraHosts:        orEmpty(o.AddHosts),
			GroupAdd:          orEmpty(o.GroupAdd),
			IpcMode:           defaultStr(o.IPCMode, "shareable"),
			Cgroup:            "",
			Cgroups:           "default",
			Links:             nil,
			OomScoreAdj:       oom,
			PidMode:           defaultStr(o.PIDMode, "private"),
			Privileged:        o.Privileged,
			PublishAllPorts:   o.PublishAll,
			ReadonlyRootfs:    o.ReadOnly,
			SecurityOpt:       orEmpty(o.SecurityOpt),
			Tmpfs:             tmpfs,
			UTSMode:           defaultStr(o.UTSMode, "private"),
			UsernsMode:        o.UserNS,
			ShmSize:           shm,
			Runtime:           "oci",
			ConsoleSize:       []uint{0, 0},
			CpuShares:         o.Resources.CPUShares,
			Memory:            o.Resources.Memory,
			NanoCpus:          o.Resources.NanoCPUs,
			BlkioWeight:       o.Resources.BlkioWeight,
			CpuPeriod:         o.Resources.CPUPeriod,
			CpuQuota:          o.Resources.CPUQuota,
			CpusetCpus:        o.Resources.CPUSetCPUs,
			CpusetMems:        o.Resources.CPUSetMems,
			Devices:           devices,
			DeviceCgroupRules: orEmpty(o.DeviceCgroupRules),
			MemoryReservation: o.Resources.MemoryReservation,
			MemorySwap:        o.Resources.MemorySwap,
			MemorySwappiness:  0,
			PidsLimit:         pids,
			Ulimits:           ulimits,
			Init:              o.Init,
		},
	}
	if insp.HostConfig.VolumesFrom == nil {
		insp.HostConfig.VolumesFrom = nil
	}
	return insp
}

// overlayDirs adds Podman's UpperDir, WorkDir and LowerDir for a mounted
// overlay container: the layer directory is the parent of merged/, its
// "lower" file lists l/<short> links that point at the lower layers' diff/.
func overlayDirs(data map[string]string, merged string) {
	layer := filepath.Dir(merged)
	if filepath.Base(merged) != "merged" {
		return
	}
	data["UpperDir"] = filepath.Join(layer, "diff")
	data["WorkDir"] = filepath.Join(layer, "work")
	lower, err := os.ReadFile(filepath.Join(layer, "lower"))
	if err != nil {
		return
	}
	base := filepath.Dir(layer)
	var dirs []string
	for _, l := range strings.Split(strings.TrimSpace(string(lower)), ":") {
		if !strings.HasPrefix(l, "l/") || strings.Contains(l[2:], "/") {
			return
		}
		target, err := os.Readlink(filepath.Join(base, l))
		if err != nil {
			return
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(base, "l", target)
		}
		dirs = append(dirs, filepath.Clean(target))
	}
	if len(dirs) > 0 {
		data["LowerDir"] = strings.Join(dirs, ":")
	}
}

// podmanAnnotations are the annotations Podman 4.3 puts in every
// container's spec (and so shows in inspect).
func podmanAnnotations(c *state.Container, stopSignal uint) map[string]string {
	o := c.Options
	b := func(v bool) string {
		if v {
			return "TRUE"
		}
		return "FALSE"
	}
	a := map[string]string{
		"io.container.manager":                "libpod",
		"io.kubernetes.cri-o.Created":         c.Created.UTC().Format(time.RFC3339Nano),
		"io.kubernetes.cri-o.TTY":             strconv.FormatBool(o.Terminal),
		"io.podman.annotations.autoremove":    b(o.Remove),
		"io.podman.annotations.init":          b(o.Init),
		"io.podman.annotations.privileged":    b(o.Privileged),
		"io.podman.annotations.publish-all":   b(o.PublishAll),
		"org.opencontainers.image.stopSignal": strconv.FormatUint(uint64(stopSignal), 10),
	}
	if o.CIDFile != "" {
		a["io.podman.annotations.cid-file"] = o.CIDFile
	}
	return a
}

// isRootUser: the --user/image user is root ("", root, 0, with any group).
func isRootUser(u string) bool {
	name, _, _ := strings.Cut(u, ":")
	return name == "" || name == "root" || name == "0"
}

// withHomeHostname adds HOME (root's, for a root user) and HOSTNAME when
// unset, as the runtime spec does.
func withHomeHostname(env []string, user, hostname string) []string {
	has := func(k string) bool {
		for _, kv := range env {
			if strings.HasPrefix(kv, k+"=") {
				return true
			}
		}
		return false
	}
	if !has("HOME") && isRootUser(user) {
		env = append(env, "HOME=/root")
	}
	if !has("HOSTNAME") && hostname != "" {
		env = append(env, "HOSTNAME="+hostname)
	}
	return env
}

func defaultStr(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// dependencies lists the containers c needs (namespaces shared with
// container:X, --volumes-from), by the reference the user gave.
func dependencies(c *state.Container) []string {
	var out []string
	o := c.Options
	for _, mode := range []string{o.Network, o.IPCMode, o.PIDMode, o.UTSMode, o.UserNS, o.CgroupNS} {
		if ref, ok := strings.CutPrefix(mode, "container:"); ok && ref != "" {
			out = append(out, ref)
		}
	}
	for _, v := range o.VolumesFrom {
		ref, _, _ := strings.Cut(v, ":")
		out = append(out, ref)
	}
	return out
}
