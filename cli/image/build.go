package image

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	units "github.com/docker/go-units"
	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/container"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

type buildFlags struct {
	files        []string
	buildArgs    []string
	buildArgFile []string
	pull         string
	env          []string
	timestamp    int64

	httpProxy                    bool
	memory, memorySwap, shmSize  string
	ulimits                      []string
	ipc, pid, uts                string
	buildContexts                []string
	skipUnused                   bool
	logfile                      string
	stdin                        bool
	registry                     registryFlags
	os, arch, variant, isolation string
}

func newBuildCommand(g *command.Globals, use string) *cobra.Command {
	var o engine.BuildOptions
	var f buildFlags
	cmd := &cobra.Command{
		Use:   use + " [options] [CONTEXT]",
		Short: "Build an image using instructions from Containerfiles",
		Long:  "Builds an OCI or Docker image using instructions from one or more Containerfiles and a specified build context directory.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("accepts at most 1 arg(s), received %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.apply(cmd, g, &o, args); err != nil {
				return err
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			o.Out, o.Err = g.Stdout, g.Stderr
			if f.logfile != "" {
				lf, err := os.OpenFile(f.logfile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
				if err != nil {
					return err
				}
				defer lf.Close()
				o.Out, o.Err = lf, lf
			}
			_, err = eng.Build(cmd.Context(), o)
			var ee *engine.ExitCodeError
			if errors.As(err, &ee) {
				// A failed RUN: Podman prints the step error and exits with the RUN's status.
				fmt.Fprintln(g.Stderr, "Error:", err)
				return ee
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVarP(&o.Tags, "tag", "t", nil, "tagged `name` to apply to the built image")
	fl.StringArrayVarP(&f.files, "file", "f", nil, "`pathname or URL` of a Dockerfile")
	fl.StringArrayVar(&f.buildArgs, "build-arg", nil, "`argument=value` to supply to the builder")
	fl.StringArrayVar(&f.buildArgFile, "build-arg-file", nil, "`argfile.conf` containing lines of argument=value to supply to the builder")
	fl.StringVar(&o.Target, "target", "", "set the target build stage to build")
	fl.StringArrayVar(&o.Labels, "label", nil, "set metadata for an image (default [])")
	fl.StringArrayVar(&o.Annotations, "annotation", nil, "set metadata for an image (default [])")
	fl.BoolVar(&o.Layers, "layers", layersDefault(), "cache intermediate layers during build. Use BUILDAH_LAYERS environment variable to override.")
	fl.BoolVar(&o.NoCache, "no-cache", false, "do not use existing cached images for the container build. Build from the start with a new set of cached layers.")
	fl.StringVar(&f.pull, "pull", "missing", "Pull image policy (\"always\"|\"missing\"|\"never\"|\"newer\")")
	fl.Lookup("pull").NoOptDefVal = "always"
	fl.BoolVar(&o.Squash, "squash", false, "squash newly built layers into a single new layer")
	fl.BoolVar(&o.SquashAll, "squash-all", false, "Squash all layers into a single layer")
	fl.StringVar(&o.Format, "format", formatDefault(), "`format` of the built image's manifest and metadata. Use BUILDAH_FORMAT environment variable to override.")
	fl.StringVar(&o.IIDFile, "iidfile", "", "`file` to write the image ID to")
	fl.BoolVarP(&o.Quiet, "quiet", "q", false, "refrain from announcing build instructions and image read/write progress")
	fl.StringVar(&o.Network, "network", "", "'private', 'none', 'ns:path' of network namespace to join, or 'host'")
	fl.StringArrayVar(&o.Secrets, "secret", nil, "secret file to expose to the build")
	fl.StringArrayVar(&o.SSH, "ssh", nil, "SSH agent socket or keys to expose to the build. (format: default|<id>[=<socket>|<key>[,<key>]])")
	fl.StringArrayVarP(&o.Volumes, "volume", "v", nil, "bind mount a volume into the container")
	fl.StringSliceVar(&o.CapAdd, "cap-add", nil, "add the specified capability when running (default [])")
	fl.StringSliceVar(&o.CapDrop, "cap-drop", nil, "drop the specified capability when running (default [])")
	fl.StringArrayVar(&f.env, "env", nil, "set environment variable for the image")
	fl.StringVar(&o.From, "from", "", "image name used to replace the value in the first FROM instruction in the Containerfile")
	fl.Int64Var(&f.timestamp, "timestamp", 0, "set created timestamp to the specified epoch seconds to allow for deterministic builds, defaults to current time")
	fl.BoolVar(&o.NoHosts, "no-hosts", false, "do not create new /etc/hosts file for RUN instructions, use the one from the base image.")
	fl.BoolVar(&o.Remove, "rm", true, "remove intermediate containers after a successful build")
	fl.BoolVar(&o.ForceRemove, "force-rm", true, "always remove intermediate containers after a build, even if the build is unsuccessful.")
	fl.StringVar(&o.IgnoreFile, "ignorefile", "", "path to an alternate .dockerignore file")
	fl.IntVar(&o.Jobs, "jobs", 1, "how many stages to run in parallel")
	r := &o.Run
	fl.StringSliceVar(&r.AddHosts, "add-host", nil, "add a custom host-to-IP mapping (host:ip) (default [])")
	fl.StringSliceVar(&r.DNSServers, "dns", nil, "set custom DNS servers or disable it completely by setting it to 'none', which prevents the automatic creation of `/etc/resolv.conf`.")
	fl.StringSliceVar(&r.DNSOptions, "dns-option", nil, "set custom DNS options")
	fl.StringSliceVar(&r.DNSSearch, "dns-search", nil, "set custom DNS search domains")
	fl.StringArrayVar(&r.SecurityOpt, "security-opt", nil, "security options (default [])")
	fl.StringArrayVar(&r.Devices, "device", nil, "additional devices to be used within containers (default [])")
	fl.StringVarP(&f.memory, "memory", "m", "", "memory limit (format: <number>[<unit>], where unit = b, k, m or g)")
	fl.StringVar(&f.memorySwap, "memory-swap", "", "swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	fl.Uint64VarP(&r.Resources.CPUShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fl.Uint64Var(&r.Resources.CPUPeriod, "cpu-period", 0, "limit the CPU CFS (Completely Fair Scheduler) period")
	fl.Int64Var(&r.Resources.CPUQuota, "cpu-quota", 0, "limit the CPU CFS (Completely Fair Scheduler) quota")
	fl.StringVar(&r.Resources.CPUSetCPUs, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fl.StringVar(&r.Resources.CPUSetMems, "cpuset-mems", "", "memory nodes (MEMs) in which to allow execution (0-3, 0,1). Only effective on NUMA systems.")
	fl.StringVar(&f.shmSize, "shm-size", "65536k", "size of '/dev/shm'. The format is `<number><unit>`.")
	fl.StringSliceVar(&f.ulimits, "ulimit", nil, "ulimit options")
	fl.StringVar(&f.ipc, "ipc", "", "'private', `path` of IPC namespace to join, or 'host'")
	fl.StringVar(&f.pid, "pid", "", "private, `path` of PID namespace to join, or 'host'")
	fl.StringVar(&f.uts, "uts", "", "private, :`path` of UTS namespace to join, or 'host'")
	fl.StringVar(&r.CgroupNS, "cgroupns", "", "'private', or 'host'")
	fl.StringVar(&r.UserNS, "userns", "", "'container', `path` of user namespace to join, or 'host'")
	fl.BoolVar(&f.httpProxy, "http-proxy", true, "pass through HTTP Proxy environment variables")
	fl.StringArrayVar(&f.buildContexts, "build-context", nil, "`argument=value` to supply additional build context to the builder")
	fl.BoolVar(&f.skipUnused, "skip-unused-stages", true, "skips stages in multi-stage builds which do not affect the final target")
	fl.StringSliceVar(&o.UnsetEnv, "unsetenv", nil, "unset environment variable from final image")
	fl.BoolVar(&f.stdin, "stdin", false, "pass stdin into containers")
	fl.StringVar(&f.logfile, "logfile", "", "log to `file` instead of stdout/stderr")
	addRegistryFlags(cmd, &o.Registry, &f.registry)
	fl.StringVar(&f.os, "os", "", "set the OS to the provided value instead of the current operating system of the host")
	fl.StringVar(&f.arch, "arch", "", "set the ARCH of the image to the provided value instead of the architecture of the host")
	fl.StringVar(&f.variant, "variant", "", "override the `variant` of the specified image")
	fl.StringVar(&f.isolation, "isolation", "oci", "`type` of process isolation to use (only oci)")
	fl.Bool("compress", false, "this is a legacy option, which has no effect on the image")
	fl.BoolP("disable-compression", "D", true, "don't compress layers by default")
	fl.Bool("identity-label", true, "add default identity label")
	fl.BoolVar(&o.OmitHistory, "omit-history", false, "omit build history information from built image")
	fl.StringVarP(&o.Output, "output", "o", "", "output destination (format: type=local,dest=path)")
	fl.StringVar(&o.Platform, "platform", "", "set the OS/ARCH[/VARIANT] of the image to the provided value instead of the current operating system and architecture of the host")
	return cmd
}

func layersDefault() bool {
	if v := os.Getenv("BUILDAH_LAYERS"); v != "" {
		return v == "1" || strings.EqualFold(v, "true")
	}
	return true
}

func formatDefault() string {
	if v := os.Getenv("BUILDAH_FORMAT"); v != "" {
		return v
	}
	return "oci"
}

func (f *buildFlags) apply(cmd *cobra.Command, g *command.Globals, o *engine.BuildOptions, args []string) error {
	switch strings.ToLower(f.pull) {
	case "true", "always":
		o.PullPolicy = engine.PullPolicyAlways
	case "false", "missing", "ifmissing", "":
		o.PullPolicy = engine.PullPolicyMissing
	case "never":
		o.PullPolicy = engine.PullPolicyNever
	case "newer", "ifnewer":
		o.PullPolicy = engine.PullPolicyNewer
	default:
		return fmt.Errorf("invalid pull policy %q", f.pull)
	}
	if !cmd.Flags().Changed("pull") {
		o.PullPolicy = engine.PullPolicyMissing
	}
	if cmd.Flags().Changed("timestamp") {
		ts := f.timestamp
		o.Timestamp = &ts
	}
	if o.Squash && o.SquashAll {
		return fmt.Errorf("cannot specify --squash and --squash-all together")
	}
	switch strings.ToLower(o.Format) {
	case "oci", "docker":
	default:
		return fmt.Errorf("unrecognized image type %q", o.Format)
	}
	o.BuildArgs = map[string]string{}
	for _, file := range f.buildArgFile {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			setBuildArg(o.BuildArgs, line)
		}
	}
	for _, a := range f.buildArgs {
		setBuildArg(o.BuildArgs, a)
	}
	for _, e := range f.env {
		if k, _, ok := strings.Cut(e, "="); ok {
			if k == "" {
				return fmt.Errorf("invalid --env %q", e)
			}
			o.Env = append(o.Env, e)
		} else if v, ok := os.LookupEnv(e); ok {
			o.Env = append(o.Env, e+"="+v)
		}
	}
	if len(o.SSH) > 0 {
		o.SSHAuthSock = os.Getenv("SSH_AUTH_SOCK")
	}
	if err := f.runOptions(cmd, &o.Run); err != nil {
		return err
	}
	o.AllStages = !f.skipUnused
	if v := os.Getenv("BUILDAH_ISOLATION"); v != "" && !cmd.Flags().Changed("isolation") {
		f.isolation = v
	}
	if f.isolation != "oci" && f.isolation != "default" {
		return fmt.Errorf("isolation %q: only oci is supported: %w", f.isolation, engine.ErrNotImplemented)
	}
	if f.os != "" || f.arch != "" || f.variant != "" {
		// The native platform only, as --platform.
		p := []string{f.os, f.arch}
		if p[0] == "" {
			p[0] = "linux"
		}
		if p[1] == "" {
			p[1] = runtime.GOARCH
		}
		if f.variant != "" {
			p = append(p, f.variant)
		}
		if o.Platform == "" {
			o.Platform = strings.Join(p, "/")
		}
	}
	f.registry.apply(cmd, &o.Registry)
	for _, bc := range f.buildContexts {
		k, v, ok := strings.Cut(bc, "=")
		if !ok || k == "" || v == "" {
			return fmt.Errorf("invalid --build-context %q: want name=value", bc)
		}
		if o.BuildContexts == nil {
			o.BuildContexts = map[string]string{}
		}
		o.BuildContexts[k] = v
	}
	if f.httpProxy {
		for _, k := range []string{"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "ftp_proxy", "FTP_PROXY", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"} {
			if v, ok := os.LookupEnv(k); ok {
				o.ProxyEnv = append(o.ProxyEnv, k+"="+v)
			}
		}
	}
	ctxDir := "."
	if len(args) == 1 {
		ctxDir = args[0]
	}
	stdinUsed := false
	if ctxDir == "-" {
		o.ContextArchive = g.Stdin
		stdinUsed = true
		ctxDir = ""
	}
	o.ContextDir = ctxDir
	for _, file := range f.files {
		if file == "-" {
			if stdinUsed {
				return fmt.Errorf("cannot read both the Containerfile and the context from stdin")
			}
			data, err := io.ReadAll(g.Stdin)
			if err != nil {
				return err
			}
			o.ContainerfileData = append(o.ContainerfileData, data...)
			stdinUsed = true
			continue
		}
		o.Containerfiles = append(o.Containerfiles, file)
	}
	if f.stdin {
		if stdinUsed {
			return fmt.Errorf("--stdin: standard input already holds the context or the Containerfile")
		}
		o.Stdin = g.Stdin
	}
	if o.ContainerfileData != nil && len(o.Containerfiles) > 0 {
		return fmt.Errorf("cannot mix -f - with other Containerfiles")
	}
	return nil
}

// setBuildArg takes KEY=VALUE, or KEY alone for the caller's environment value.
func setBuildArg(m map[string]string, a string) {
	if k, v, ok := strings.Cut(a, "="); ok {
		m[k] = v
		return
	}
	if v, ok := os.LookupEnv(a); ok {
		m[a] = v
	} else {
		delete(m, a)
	}
}

func newBuildxCommand(g *command.Globals) *cobra.Command {
	bx := &cobra.Command{
		Use:   "buildx",
		Short: "Build images",
		Args:  command.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	bx.AddCommand(newBuildCommand(g, "build"))
	return bx
}

// runOptions reads the RUN containers' resource and namespace flags.
func (f *buildFlags) runOptions(cmd *cobra.Command, r *engine.BuildRunOptions) error {
	size := func(flag, v string) (int64, error) {
		n, err := units.RAMInBytes(v)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid value for %s: invalid size: '%s'", flag, v)
		}
		return n, nil
	}
	var err error
	if f.memory != "" {
		if r.Resources.Memory, err = size("memory", f.memory); err != nil {
			return err
		}
	}
	switch f.memorySwap {
	case "":
	case "-1":
		r.Resources.MemorySwap = -1
	default:
		if r.Resources.MemorySwap, err = size("memory-swap", f.memorySwap); err != nil {
			return err
		}
	}
	if cmd.Flags().Changed("shm-size") {
		n, err := size("shm-size", f.shmSize)
		if err != nil {
			return err
		}
		r.ShmSize = &n
	}
	for _, u := range f.ulimits {
		l, err := container.ParseUlimit(u)
		if err != nil {
			return err
		}
		r.Ulimits = append(r.Ulimits, l)
	}
	// Podman takes a namespace path alone; the engine spells it ns:PATH.
	ns := func(v string) string {
		if strings.HasPrefix(v, "/") {
			return "ns:" + v
		}
		return v
	}
	r.IPCMode, r.PIDMode, r.UTSMode, r.UserNS = ns(f.ipc), ns(f.pid), ns(f.uts), ns(r.UserNS)
	return nil
}
