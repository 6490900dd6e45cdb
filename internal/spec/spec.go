// Package spec turns an image config, containers.conf defaults and the
// create options into an OCI runtime spec. It is pure apart from reading the
// rootfs's /etc/passwd and /etc/group (in Go, inside the root) and the
// caller's rlimits, both of which the Input can replace for tests.
package spec

import (
	"fmt"
	"os"
	"strings"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
)

// Input is everything Generate needs.
type Input struct {
	ID      string
	Name    string
	Options *engine.ContainerCreateOptions
	// Image is the image's config (nil for --rootfs containers).
	Image *v1.ImageConfig
	// Config is the merged containers.conf.
	Config *config.Config
	// Rootfs is the mounted root filesystem.
	Rootfs string
	// RunDir holds the per-container files bind-mounted into the container
	// (hostname, hosts, resolv.conf, .containerenv); empty mounts none.
	RunDir string
	// NetNSPath is a bind-mounted network namespace to join; empty with a
	// private network mode asks the runtime for a new one.
	NetNSPath string
	// HardLimit returns the caller's hard limit for an RLIMIT_* resource
	// (nil: getrlimit(2)).
	HardLimit func(resource int) (uint64, error)
	// PidMax returns the kernel's pid_max, the nproc default when 1048576 is
	// above the caller's hard limit, as Podman does (nil: /proc/sys/kernel/pid_max).
	PidMax func() uint64
	// CgroupV2 selects cgroup v2 resource names (unified hierarchy).
	CgroupV2 bool
	// Hooks, if set, is added as is.
	Hooks *specs.Hooks
	// ConsoleSize is the attached caller's terminal size for a -t
	// container: the runtime sizes the PTY before the process starts.
	ConsoleSize *engine.TerminalSize
}

// Generate builds the runtime spec.
func Generate(in Input) (*specs.Spec, error) {
	o := in.Options
	if o == nil {
		o = &engine.ContainerCreateOptions{}
	}
	cfg := in.Config
	if cfg == nil {
		cfg = config.Default()
	}
	img := in.Image
	if img == nil {
		img = &v1.ImageConfig{}
	}
	useInit := o.Init || cfg.Containers.Init
	args, err := processArgs(o, img, useInit)
	if err != nil {
		return nil, err
	}
	s := &specs.Spec{
		Version:  ociVersion,
		Root:     &specs.Root{Path: in.Rootfs, Readonly: o.ReadOnly},
		Hostname: Hostname(in.ID, o),
		Process: &specs.Process{
			Args:     args,
			Cwd:      workDir(o, img),
			Terminal: o.Terminal,
		},
		Linux: &specs.Linux{
			MaskedPaths:   append([]string(nil), defaultMaskedPaths...),
			ReadonlyPaths: append([]string(nil), defaultReadonlyPaths...),
		},
		Annotations: annotations(o),
	}
	if o.Terminal && in.ConsoleSize != nil {
		s.Process.ConsoleSize = &specs.Box{Height: uint(in.ConsoleSize.Height), Width: uint(in.ConsoleSize.Width)}
	}
	if o.UTSMode == "host" {
		s.Hostname = "" // the runtime may not set it without a UTS namespace
	}
	uns, err := containerUserNS(o, cfg)
	if err != nil {
		return nil, err
	}
	uspec := userSpec(o, img)
	if o.User == "" && uns.User != "" {
		uspec = uns.User // --userns=keep-id runs as the user's IDs
	}
	user, err := LookupUser(in.Rootfs, uspec, o.GroupAdd)
	if err != nil {
		return nil, err
	}
	if userSpec(o, img) != "" {
		// The primary group is also a supplementary one, so that "negative"
		// group permissions cannot be dropped with setgroups (CVE-2022-2989).
		user.AdditionalGids = appendUnique(user.AdditionalGids, user.GID)
	}
	if user.NoEntry {
		user.Home = workDir(o, img) // Podman's passwd entry for it has the workdir as home
	}
	s.Process.User = specs.User{UID: user.UID, GID: user.GID, AdditionalGids: user.AdditionalGids, Umask: umask(cfg)}
	s.Process.Env = buildEnv(o, img, cfg, Hostname(in.ID, o), user.Home)
	if err := setNamespaces(s, o, in.NetNSPath); err != nil {
		return nil, err
	}
	setUserNS(s, uns)
	s.Mounts = insertBefore(defaultMounts(o, cfg), "/sys/fs/cgroup", etcMounts(in.RunDir, o))
	if err := userMounts(s, o); err != nil {
		return nil, err
	}
	if useInit {
		initPath := o.InitPath
		if initPath == "" {
			initPath = cfg.Containers.InitPath
		}
		if initPath == "" {
			return nil, fmt.Errorf("--init: no init binary configured (init_path): %w", engine.ErrInvalidArg)
		}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/run/podman-init", Type: "bind", Source: initPath, Options: []string{"bind", "private", "ro"}})
	}
	if err := setSecurity(s, o, cfg, user.UID != 0); err != nil {
		return nil, err
	}
	if err := setRlimits(s, o, cfg, in.HardLimit, in.PidMax); err != nil {
		return nil, err
	}
	if err := setResources(s, o, cfg, in.CgroupV2); err != nil {
		return nil, err
	}
	if err := setDevices(s, o, cfg); err != nil {
		return nil, err
	}
	if err := setSysctls(s, o, cfg); err != nil {
		return nil, err
	}
	s.Linux.CgroupsPath = CgroupsPath(in.ID)
	if o.OOMScoreAdj != nil {
		v := *o.OOMScoreAdj
		if v < -1000 || v > 1000 {
			return nil, fmt.Errorf("oom-score-adj must be between -1000 and 1000: %w", engine.ErrInvalidArg)
		}
		s.Process.OOMScoreAdj = &v
	}
	if cfg.Rootless {
		if err := rootlessAdjust(s, o, cfg, in.CgroupV2); err != nil {
			return nil, err
		}
	} else {
		userNSNetAdjust(s, o)
	}
	s.Hooks = in.Hooks
	return s, nil
}

// CgroupsPath is the cgroupfs path Podman uses for a container.
func CgroupsPath(id string) string { return "/libpod_parent/libpod-" + id }

// Hostname is the container's host name: --hostname, else the host's with
// the host's UTS or network namespace (as Podman), else the short ID.
func Hostname(id string, o *engine.ContainerCreateOptions) string {
	if o.Hostname != "" {
		return o.Hostname
	}
	if o.UTSMode == "host" || o.Network == "host" {
		if h, err := os.Hostname(); err == nil {
			return h
		}
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func processArgs(o *engine.ContainerCreateOptions, img *v1.ImageConfig, useInit bool) ([]string, error) {
	var args []string
	if o.Entrypoint != nil {
		args = append(args, (*o.Entrypoint)...)
	} else {
		args = append(args, img.Entrypoint...)
	}
	if len(o.Command) > 0 {
		args = append(args, o.Command...)
	} else if o.Entrypoint == nil || len(*o.Entrypoint) == 0 {
		args = append(args, img.Cmd...)
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("no command or entrypoint provided, and no CMD or ENTRYPOINT from image: %w", engine.ErrInvalidArg)
	}
	if useInit {
		initArgs := []string{"/run/podman-init", "--"}
		args = append(initArgs, args...)
	}
	return args, nil
}

func workDir(o *engine.ContainerCreateOptions, img *v1.ImageConfig) string {
	if o.WorkDir != "" {
		return o.WorkDir
	}
	if img.WorkingDir != "" {
		return img.WorkingDir
	}
	return "/"
}

func userSpec(o *engine.ContainerCreateOptions, img *v1.ImageConfig) string {
	if o.User != "" {
		return o.User
	}
	return img.User
}

func umask(cfg *config.Config) *uint32 {
	v := uint32(0o022)
	if cfg.Containers.Umask != "" {
		var n uint32
		if _, err := fmt.Sscanf(cfg.Containers.Umask, "%o", &n); err == nil {
			v = n
		}
	}
	return &v
}

func annotations(o *engine.ContainerCreateOptions) map[string]string {
	a := map[string]string{
		"io.container.manager":              "libpod",
		"io.podman.annotations.autoremove":  boolAnn(o.Remove),
		"io.podman.annotations.init":        boolAnn(o.Init),
		"io.podman.annotations.privileged":  boolAnn(o.Privileged),
		"io.podman.annotations.publish-all": boolAnn(o.PublishAll),
		"io.kubernetes.cri-o.TTY":           strings.ToLower(boolAnn(o.Terminal)),
	}
	for k, v := range o.Annotations {
		a[k] = v
	}
	return a
}

func boolAnn(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

// ociVersion is the spec version written to config.json: the one runc 1.1
// and crun 1.8 were built against (the fields Selkie sets all exist there).
const ociVersion = "1.0.2-dev"
