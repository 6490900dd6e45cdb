package container

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"
)

// CreateFlags are the flags of `create` and `run`, bound by AddCreateFlags
// and turned into engine options by Options. The exported fields are the
// run-only I/O flags that `run` reads itself.
type CreateFlags struct {
	// run-only (registered when AddCreateFlags is called with run=true)
	Detach      bool
	SigProxy    bool
	preserveFDs uint
	// create and run
	Attach      []string
	DetachKeys  string
	Interactive bool
	TTY         bool
	CIDFile     string
	PidFile     string

	name          string
	entrypoint    string
	env           []string
	envFile       []string
	envHost       bool
	unsetenv      []string
	unsetenvAll   bool
	workdir       string
	user          string
	groupAdd      []string
	hostname      string
	tz            string
	labels        []string
	labelFiles    []string
	annotations   []string
	init          bool
	initPath      string
	logDriver     string
	logOpts       []string
	privileged    bool
	capAdd        []string
	capDrop       []string
	securityOpt   []string
	readOnly      bool
	readOnlyTmpfs bool
	devices       []string
	deviceRules   []string

	memory            string
	memorySwap        string
	memoryReservation string
	cpus              float64
	cpuShares         uint64
	cpuQuota          int64
	cpuPeriod         uint64
	cpusetCpus        string
	cpusetMems        string
	pidsLimit         int64
	shmSize           string
	ulimits           []string
	oomScoreAdj       int
	blkioWeight       string

	rm          bool
	restart     string
	stopSignal  string
	stopTimeout uint
	pull        string
	replace     bool
	rmi         bool
	timeout     uint

	volumes     []string
	mounts      []string
	tmpfs       []string
	volumesFrom []string
	imageVolume string
	rootfs      bool

	network    networkFlags
	publish    []string
	publishAll bool
	expose     []string
	dns        []string
	dnsSearch  []string
	dnsOption  []string
	addHost    []string
	noHosts    bool
	hostsFile  string
	ipc        string
	pid        string
	uts        string
	userns     string
	uidmap     []string
	gidmap     []string
	subuidname string
	subgidname string
	cgroupns   string
	pod        string
	podIDFile  string
	sysctl     []string
	platform   string

	healthCmd         string
	healthInterval    string
	healthRetries     uint
	healthStartPeriod string
	healthTimeout     string
	noHealthcheck     bool
}

// AddCreateFlags registers the create/run flags on fs. run adds the flags only
// `run` has (-d, --sig-proxy). stopTimeout is containers.conf's default.
func AddCreateFlags(fs *pflag.FlagSet, f *CreateFlags, run bool, stopTimeout uint) {
	fs.SetInterspersed(false)
	// -h is --hostname here, as in Podman: define --help without a shorthand
	// so cobra does not add its own -h.
	fs.Bool("help", false, "Help for this command")
	if run {
		fs.BoolVarP(&f.Detach, "detach", "d", false, "Run container in background and print container ID")
		fs.BoolVar(&f.SigProxy, "sig-proxy", true, "Proxy received signals to the process")
		fs.UintVar(&f.preserveFDs, "preserve-fds", 0, "Pass a number of additional file descriptors into the container")
	}
	fs.StringSliceVarP(&f.Attach, "attach", "a", nil, "Attach to STDIN, STDOUT or STDERR")
	fs.StringVar(&f.DetachKeys, "detach-keys", "ctrl-p,ctrl-q", "Override the key sequence for detaching a container. Format is a single character `[a-Z]` or a comma separated sequence of `ctrl-<value>`, where `<value>` is one of: `a-cf`, `@`, `^`, `[`, `\\`, `]`, `^` or `_`")
	fs.BoolVarP(&f.Interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	fs.BoolVarP(&f.TTY, "tty", "t", false, "Allocate a pseudo-TTY for container")
	fs.StringVar(&f.CIDFile, "cidfile", "", "Write the container ID to the file")
	fs.StringVar(&f.PidFile, "pidfile", "", "Write the container process ID to the file")

	fs.StringVar(&f.name, "name", "", "Assign a name to the container")
	fs.StringVar(&f.entrypoint, "entrypoint", "", "Overwrite the default ENTRYPOINT of the image")
	fs.StringArrayVarP(&f.env, "env", "e", nil, "Set environment variables in container")
	fs.StringSliceVar(&f.envFile, "env-file", nil, "Read in a file of environment variables")
	fs.BoolVar(&f.envHost, "env-host", false, "Use all current host environment variables in container")
	fs.StringArrayVar(&f.unsetenv, "unsetenv", nil, "Unset environment default variables in container")
	fs.BoolVar(&f.unsetenvAll, "unsetenv-all", false, "Unset all default environment variables in container")
	fs.StringVarP(&f.workdir, "workdir", "w", "", "Working directory inside the container")
	fs.StringVarP(&f.user, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	fs.StringSliceVar(&f.groupAdd, "group-add", nil, "Add additional groups to the primary container process. 'keep-groups' allows container processes to use supplementary groups.")
	fs.StringVarP(&f.hostname, "hostname", "h", "", "Set container hostname")
	fs.StringVar(&f.tz, "tz", "", "Set timezone in container")
	fs.StringArrayVarP(&f.labels, "label", "l", nil, "Set metadata on container")
	fs.StringSliceVar(&f.labelFiles, "label-file", nil, "Read in a line delimited file of labels")
	fs.StringArrayVar(&f.annotations, "annotation", nil, "Add annotations to container (key=value)")
	fs.BoolVar(&f.init, "init", false, "Run an init binary inside the container that forwards signals and reaps processes")
	fs.StringVar(&f.initPath, "init-path", "", "Path to the container-init binary")
	fs.StringVar(&f.logDriver, "log-driver", "", "Logging driver for the container")
	fs.StringArrayVar(&f.logOpts, "log-opt", nil, "Logging driver options")

	fs.BoolVar(&f.privileged, "privileged", false, "Give extended privileges to container")
	fs.StringSliceVar(&f.capAdd, "cap-add", nil, "Add capabilities to the container")
	fs.StringSliceVar(&f.capDrop, "cap-drop", nil, "Drop capabilities from the container")
	fs.StringArrayVar(&f.securityOpt, "security-opt", nil, "Security Options")
	fs.BoolVar(&f.readOnly, "read-only", false, "Make containers root filesystem read-only")
	fs.BoolVar(&f.readOnlyTmpfs, "read-only-tmpfs", true, "When running containers in read-only mode mount a read-write tmpfs on /run, /tmp and /var/tmp")
	fs.StringSliceVar(&f.devices, "device", nil, "Add a host device to the container")
	fs.StringSliceVar(&f.deviceRules, "device-cgroup-rule", nil, "Add a rule to the cgroup allowed devices list")

	fs.StringVarP(&f.memory, "memory", "m", "", "Memory limit (format: <number>[<unit>], where unit = b (bytes), k (kibibytes), m (mebibytes), or g (gibibytes))")
	fs.StringVar(&f.memorySwap, "memory-swap", "", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	fs.StringVar(&f.memoryReservation, "memory-reservation", "", "Memory soft limit (format: <number>[<unit>], where unit = b (bytes), k (kibibytes), m (mebibytes), or g (gibibytes))")
	fs.Float64Var(&f.cpus, "cpus", 0, "Number of CPUs. The default is 0.000 which means no limit")
	fs.Uint64VarP(&f.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.Int64Var(&f.cpuQuota, "cpu-quota", 0, "Limit the CPU CFS (Completely Fair Scheduler) quota")
	fs.Uint64Var(&f.cpuPeriod, "cpu-period", 0, "Limit the CPU CFS (Completely Fair Scheduler) period")
	fs.StringVar(&f.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fs.StringVar(&f.cpusetMems, "cpuset-mems", "", "Memory nodes (MEMs) in which to allow execution (0-3, 0,1). Only effective on NUMA systems.")
	fs.Int64Var(&f.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	fs.StringVar(&f.shmSize, "shm-size", "", "Size of /dev/shm (format: <number>[<unit>], where unit = b (bytes), k (kibibytes), m (mebibytes), or g (gibibytes))")
	fs.StringSliceVar(&f.ulimits, "ulimit", nil, "Ulimit options")
	fs.IntVar(&f.oomScoreAdj, "oom-score-adj", 0, "Tune the host's OOM preferences (-1000 to 1000)")
	fs.StringVar(&f.blkioWeight, "blkio-weight", "", "Block IO weight (relative weight) accepts a weight value between 10 and 1000.")

	fs.BoolVar(&f.rm, "rm", false, "Remove container (and pod if created) after exit")
	fs.StringVar(&f.restart, "restart", "", "Restart policy to apply when a container exits (\"always\"|\"no\"|\"on-failure\"|\"unless-stopped\")")
	fs.StringVar(&f.stopSignal, "stop-signal", "", "Signal to stop a container. Default is SIGTERM")
	fs.UintVar(&f.stopTimeout, "stop-timeout", stopTimeout, "Timeout (in seconds) that containers stopped by user command have to exit. If exceeded, the container will be forcibly stopped via SIGKILL.")
	fs.StringVar(&f.pull, "pull", "missing", `Pull image policy ("always"|"missing"|"never"|"newer")`)
	fs.BoolVar(&f.replace, "replace", false, "If a container with the same name exists, replace it")
	fs.BoolVar(&f.rmi, "rmi", false, "Remove container image unless used by other containers")
	fs.UintVar(&f.timeout, "timeout", 0, "Maximum length of time a container is allowed to run. The container will be killed automatically after the time expires.")

	fs.StringArrayVarP(&f.volumes, "volume", "v", nil, "Bind mount a volume into the container")
	fs.StringArrayVar(&f.mounts, "mount", nil, "Attach a filesystem mount to the container")
	fs.StringArrayVar(&f.tmpfs, "tmpfs", nil, "Mount a temporary filesystem (tmpfs) into a container")
	fs.StringArrayVar(&f.volumesFrom, "volumes-from", nil, "Mount volumes from the specified container(s)")
	fs.StringVar(&f.imageVolume, "image-volume", "bind", `Tells podman how to handle the builtin image volumes ("bind"|"tmpfs"|"ignore")`)
	fs.BoolVar(&f.rootfs, "rootfs", false, "The first argument is not an image but the rootfs to the exploded container")

	f.network.register(fs)
	_ = fs.MarkHidden("net")
	fs.StringArrayVarP(&f.publish, "publish", "p", nil, "Publish a container's port, or a range of ports, to the host")
	fs.BoolVarP(&f.publishAll, "publish-all", "P", false, "Publish all exposed ports to random ports on the host interface")
	fs.StringArrayVar(&f.expose, "expose", nil, "Expose a port or a range of ports")
	fs.StringSliceVar(&f.dns, "dns", nil, "Set custom DNS servers")
	fs.StringSliceVar(&f.dnsSearch, "dns-search", nil, "Set custom DNS search domains")
	fs.StringSliceVar(&f.dnsOption, "dns-option", nil, "Set custom DNS options")
	fs.StringSliceVar(&f.addHost, "add-host", nil, "Add a custom host-to-IP mapping (host:ip)")
	fs.BoolVar(&f.noHosts, "no-hosts", false, "Do not create /etc/hosts within the container, instead use the version from the image")
	fs.StringVar(&f.hostsFile, "hosts-file", "", `Base file to create the /etc/hosts file inside the container, or one of the special values. ("image"|"none")`)
	fs.StringVar(&f.ipc, "ipc", "", "IPC namespace to use")
	fs.StringVar(&f.pid, "pid", "", "PID namespace to use")
	fs.StringVar(&f.uts, "uts", "", "UTS namespace to use")
	fs.StringVar(&f.userns, "userns", "", "User namespace to use")
	fs.StringSliceVar(&f.uidmap, "uidmap", nil, "UID map to use for the user namespace")
	fs.StringSliceVar(&f.gidmap, "gidmap", nil, "GID map to use for the user namespace")
	fs.StringVar(&f.subuidname, "subuidname", "", "Name of range listed in /etc/subuid for use in user namespace")
	fs.StringVar(&f.subgidname, "subgidname", "", "Name of range listed in /etc/subgid for use in user namespace")
	fs.StringVar(&f.cgroupns, "cgroupns", "", "cgroup namespace to use")
	fs.StringVar(&f.pod, "pod", "", "Run container in an existing pod")
	fs.StringVar(&f.podIDFile, "pod-id-file", "", "Read the pod ID from the file")
	fs.StringSliceVar(&f.sysctl, "sysctl", nil, "Sysctl options")
	fs.StringVar(&f.platform, "platform", "", "Specify the platform for selecting the image.  (Conflicts with --arch and --os)")

	fs.StringVar(&f.healthCmd, "health-cmd", "", "set a healthcheck command for the container ('none' disables the existing healthcheck)")
	fs.StringVar(&f.healthInterval, "health-interval", "30s", "set an interval for the healthchecks (a value of disable results in no automatic timer setup)")
	fs.UintVar(&f.healthRetries, "health-retries", 3, "the number of retries allowed before a healthcheck is considered to be unhealthy")
	fs.StringVar(&f.healthStartPeriod, "health-start-period", "0s", "the initialization time needed for a container to bootstrap")
	fs.StringVar(&f.healthTimeout, "health-timeout", "30s", "the maximum time allowed to complete the healthcheck before an interval is considered failed")
	fs.BoolVar(&f.noHealthcheck, "no-healthcheck", false, "Disable healthchecks on container")
}

// Options turns the parsed flags into engine options for image and the
// command args. fs tells which flags were set explicitly.
func (f *CreateFlags) Options(fs *pflag.FlagSet, image string, args []string) (engine.ContainerCreateOptions, error) {
	o := engine.ContainerCreateOptions{
		Name:              f.name,
		Image:             image,
		Command:           args,
		EnvHost:           f.envHost,
		UnsetEnv:          f.unsetenv,
		UnsetEnvAll:       f.unsetenvAll,
		WorkDir:           f.workdir,
		User:              f.user,
		GroupAdd:          f.groupAdd,
		Hostname:          f.hostname,
		Timezone:          f.tz,
		Init:              f.init,
		InitPath:          f.initPath,
		Stdin:             f.Interactive,
		Terminal:          f.TTY,
		LogDriver:         f.logDriver,
		Privileged:        f.privileged,
		CapAdd:            f.capAdd,
		CapDrop:           f.capDrop,
		SecurityOpt:       f.securityOpt,
		ReadOnly:          f.readOnly,
		Remove:            f.rm,
		Replace:           f.replace,
		RemoveImage:       f.rmi,
		PreserveFDs:       f.preserveFDs,
		Timeout:           f.timeout,
		VolumesFrom:       f.volumesFrom,
		ImageVolume:       f.imageVolume,
		PublishAll:        f.publishAll,
		Expose:            f.expose,
		DNSServers:        f.dns,
		DNSSearch:         f.dnsSearch,
		DNSOptions:        f.dnsOption,
		AddHosts:          f.addHost,
		NoHosts:           f.noHosts,
		HostsFile:         f.hostsFile,
		IPCMode:           f.ipc,
		PIDMode:           f.pid,
		UTSMode:           f.uts,
		UserNS:            f.userns,
		UIDMap:            f.uidmap,
		GIDMap:            f.gidmap,
		SubUIDName:        f.subuidname,
		SubGIDName:        f.subgidname,
		CgroupNS:          f.cgroupns,
		Pod:               f.pod,
		Platform:          f.platform,
		CIDFile:           f.CIDFile,
		DeviceCgroupRules: f.deviceRules,
	}
	if f.rootfs {
		o.Rootfs, o.Image = image, ""
	}
	if err := f.network.apply(&o); err != nil {
		return o, err
	}
	if fs.Changed("entrypoint") {
		ep, err := ParseEntrypoint(f.entrypoint)
		if err != nil {
			return o, err
		}
		o.Entrypoint = &ep
	}
	if fs.Changed("read-only-tmpfs") {
		v := f.readOnlyTmpfs
		o.ReadOnlyTmpfs = &v
	}
	if fs.Changed("stop-timeout") {
		v := f.stopTimeout
		o.StopTimeout = &v
	}
	if fs.Changed("oom-score-adj") {
		if f.oomScoreAdj < -1000 || f.oomScoreAdj > 1000 {
			return o, fmt.Errorf("oom-score-adj must be between -1000 and 1000: %w", engine.ErrInvalidArg)
		}
		v := f.oomScoreAdj
		o.OOMScoreAdj = &v
	}
	if f.name != "" && strings.TrimPrefix(f.name, "/") == "" {
		return o, fmt.Errorf("running container create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: %w", engine.ErrInvalidArg)
	}
	var err error
	if o.Env, err = ParseEnv(f.env, f.envFile, os.LookupEnv, os.Environ); err != nil {
		return o, err
	}
	if o.Labels, err = ParseLabels(f.labels, f.labelFiles); err != nil {
		return o, err
	}
	if o.Annotations, err = parseKeyValues(f.annotations, "annotation"); err != nil {
		return o, err
	}
	if o.LogOptions, err = parseKeyValues(f.logOpts, "log-opt"); err != nil {
		return o, err
	}
	if o.Sysctls, err = parseKeyValues(f.sysctl, "sysctl"); err != nil {
		return o, err
	}
	if err := f.validate(); err != nil {
		return o, err
	}
	if o.CapAdd, err = NormalizeCaps(f.capAdd); err != nil {
		return o, err
	}
	if o.CapDrop, err = NormalizeCaps(f.capDrop); err != nil {
		return o, err
	}
	if o.Resources, err = f.resources(fs); err != nil {
		return o, err
	}
	if f.shmSize != "" {
		n, err := units.RAMInBytes(f.shmSize)
		if err != nil || n < 0 {
			return o, fmt.Errorf("unable to translate --shm-size: invalid size: '%s'", f.shmSize)
		}
		o.ShmSize = &n
	}
	for _, u := range f.ulimits {
		ul, err := ParseUlimit(u)
		if err != nil {
			return o, err
		}
		o.Ulimits = append(o.Ulimits, ul)
	}
	if o.RestartPolicy, o.RestartRetries, err = ParseRestart(f.restart); err != nil {
		return o, err
	}
	if o.Remove && o.RestartPolicy != "" && o.RestartPolicy != "no" {
		return o, errors.New(`the --rm option conflicts with --restart, when the restartPolicy is not "" and "no"`)
	}
	if f.stopSignal != "" {
		if o.StopSignal, err = ParseSignal(f.stopSignal); err != nil {
			return o, err
		}
	}
	// Unset, the engine applies its default (containers.conf's pull_policy).
	if fs.Changed("pull") {
		switch p := strings.ToLower(f.pull); p {
		case "always", "missing", "never", "newer":
			o.PullPolicy = p
		case "ifmissing":
			o.PullPolicy = "missing"
		case "ifnewer":
			o.PullPolicy = "newer"
		default:
			return o, fmt.Errorf("unsupported pull policy %q", f.pull)
		}
	}
	for _, d := range f.devices {
		if err := ValidateDevice(d); err != nil {
			return o, err
		}
		o.Devices = append(o.Devices, d)
	}
	for _, v := range f.volumes {
		m, err := ParseVolume(v)
		if err != nil {
			return o, err
		}
		o.Mounts = append(o.Mounts, m)
	}
	for _, v := range f.mounts {
		m, err := ParseMount(v)
		if err != nil {
			return o, err
		}
		o.Mounts = append(o.Mounts, m)
	}
	tmpfsOpts := map[string]string{}
	for _, v := range f.tmpfs {
		m, err := ParseTmpfs(v)
		if err != nil {
			return o, err
		}
		if prev, ok := tmpfsOpts[m.Destination]; ok && prev == strings.Join(m.Options, ",") {
			continue // the same --tmpfs twice is one, as in Podman
		}
		tmpfsOpts[m.Destination] = strings.Join(m.Options, ",")
		o.Mounts = append(o.Mounts, m)
	}
	for _, v := range f.volumesFrom {
		if err := ValidateVolumesFrom(v); err != nil {
			return o, err
		}
	}
	seen := map[string]bool{}
	for _, m := range o.Mounts {
		d := path.Clean(m.Destination)
		if seen[d] {
			return o, fmt.Errorf("%s: duplicate mount destination", d)
		}
		seen[d] = true
	}
	if f.podIDFile != "" && o.Pod == "" {
		b, err := os.ReadFile(f.podIDFile)
		if err != nil {
			return o, fmt.Errorf("reading pod ID file: %w", err)
		}
		o.Pod = strings.TrimSpace(string(b))
	}
	for _, p := range f.publish {
		pm, err := ParsePublish(p)
		if err != nil {
			return o, err
		}
		o.PortMappings = append(o.PortMappings, pm...)
	}
	if hc, err := f.health(fs); err != nil {
		return o, err
	} else {
		o.HealthConfig = hc
	}
	return o, nil
}

// ParseEntrypoint accepts a JSON array or a plain string (one argument), as
// Podman does; "" clears the image's entrypoint.
func ParseEntrypoint(s string) ([]string, error) {
	if s == "" {
		return []string{}, nil
	}
	if strings.HasPrefix(strings.TrimSpace(s), "[") {
		var out []string
		if err := jsonUnmarshal([]byte(s), &out); err == nil {
			return out, nil
		}
	}
	return []string{s}, nil
}

func (f *CreateFlags) resources(fs *pflag.FlagSet) (engine.Resources, error) {
	var r engine.Resources
	var err error
	mem := func(flag, v string) (int64, error) {
		if v == "" {
			return 0, nil
		}
		n, err := units.RAMInBytes(v)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid value for %s: invalid size: '%s'", flag, v)
		}
		return n, nil
	}
	if r.Memory, err = mem("memory", f.memory); err != nil {
		return r, err
	}
	if f.memorySwap == "-1" {
		r.MemorySwap = -1
	} else if r.MemorySwap, err = mem("memory-swap", f.memorySwap); err != nil {
		return r, err
	}
	if r.MemoryReservation, err = mem("memory-reservation", f.memoryReservation); err != nil {
		return r, err
	}
	if r.MemorySwap > 0 && r.Memory > 0 && r.MemorySwap < r.Memory {
		return r, errors.New("minimum memoryswap limit should be larger than memory limit, see usage")
	}
	if fs.Changed("cpus") {
		if f.cpus < 0 {
			return r, fmt.Errorf("invalid argument %q for \"--cpus\" flag: CPUs must not be negative", strconv.FormatFloat(f.cpus, 'f', -1, 64))
		}
		if fs.Changed("cpu-quota") {
			return r, errors.New("--cpu-quota and --cpus cannot be set together")
		}
		if fs.Changed("cpu-period") {
			return r, errors.New("--cpu-period and --cpus cannot be set together")
		}
		r.NanoCPUs = int64(f.cpus * 1e9)
	}
	r.CPUShares, r.CPUQuota, r.CPUPeriod = f.cpuShares, f.cpuQuota, f.cpuPeriod
	r.CPUSetCPUs, r.CPUSetMems = f.cpusetCpus, f.cpusetMems
	if fs.Changed("pids-limit") {
		v := f.pidsLimit
		r.PidsLimit = &v
	}
	if f.blkioWeight != "" {
		n, err := strconv.ParseUint(f.blkioWeight, 10, 16)
		if err != nil || n < 10 || n > 1000 {
			return r, fmt.Errorf("invalid blkio weight %q: must be between 10 and 1000", f.blkioWeight)
		}
		r.BlkioWeight = uint16(n)
	}
	return r, nil
}

func (f *CreateFlags) health(fs *pflag.FlagSet) (*engine.HealthConfig, error) {
	if f.noHealthcheck {
		if f.healthCmd != "" && f.healthCmd != "none" {
			return nil, errors.New("cannot specify both --no-healthcheck and --health-cmd")
		}
		return &engine.HealthConfig{Test: []string{"NONE"}}, nil
	}
	if f.healthCmd == "" {
		return nil, nil
	}
	if f.healthCmd == "none" {
		return &engine.HealthConfig{Test: []string{"NONE"}}, nil
	}
	hc := &engine.HealthConfig{Retries: int(f.healthRetries)}
	var cmd []string
	if strings.HasPrefix(strings.TrimSpace(f.healthCmd), "[") && jsonUnmarshal([]byte(f.healthCmd), &cmd) == nil {
		hc.Test = append([]string{"CMD"}, cmd...)
	} else {
		hc.Test = []string{"CMD-SHELL", f.healthCmd}
	}
	dur := func(name, v string) (time.Duration, error) {
		if v == "disable" {
			return 0, nil
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("invalid %s: %w", name, err)
		}
		return d, nil
	}
	var err error
	if hc.Interval, err = dur("healthcheck-interval", f.healthInterval); err != nil {
		return nil, err
	}
	if hc.Timeout, err = dur("healthcheck-timeout", f.healthTimeout); err != nil {
		return nil, err
	}
	if hc.StartPeriod, err = dur("healthcheck-start-period", f.healthStartPeriod); err != nil {
		return nil, err
	}
	if hc.Timeout != 0 && hc.Timeout < time.Second {
		return nil, errors.New("healthcheck-timeout must be at least 1 second")
	}
	return hc, nil
}

// ParseEnv merges -e values and --env-file files, in order. "KEY" alone takes
// the host's value (and is dropped when the host has none); "PREFIX*" copies
// every host variable starting with PREFIX.
func ParseEnv(envs, files []string, lookup func(string) (string, bool), environ func() []string) (map[string]string, error) {
	out := map[string]string{}
	add := func(kv string) error {
		k, v, hasVal := strings.Cut(kv, "=")
		if k == "" {
			return fmt.Errorf("invalid environment variable: %q", kv)
		}
		if hasVal {
			out[k] = v
			return nil
		}
		if strings.HasSuffix(k, "*") {
			prefix := strings.TrimSuffix(k, "*")
			for _, e := range environ() {
				ek, ev, _ := strings.Cut(e, "=")
				if strings.HasPrefix(ek, prefix) {
					out[ek] = ev
				}
			}
			return nil
		}
		if hv, ok := lookup(k); ok {
			out[k] = hv
		}
		return nil
	}
	for _, file := range files {
		lines, err := readLines(file)
		if err != nil {
			return nil, fmt.Errorf("parsing env file %q: %w", file, err)
		}
		for _, l := range lines {
			if err := add(l); err != nil {
				return nil, fmt.Errorf("parsing env file %q: %w", file, err)
			}
		}
	}
	for _, e := range envs {
		if err := add(e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readLines returns the non-empty, non-comment lines of a file, with
// leading whitespace removed.
func readLines(file string) ([]string, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		l := strings.TrimLeft(sc.Text(), " \t")
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, strings.TrimRight(l, "\r"))
	}
	return out, sc.Err()
}

// ParseLabels merges --label-file files then --label values ("k=v" or "k").
func ParseLabels(labels, files []string) (map[string]string, error) {
	out := map[string]string{}
	for _, file := range files {
		lines, err := readLines(file)
		if err != nil {
			return nil, fmt.Errorf("unable to process labels: %w", err)
		}
		for _, l := range lines {
			k, v, _ := strings.Cut(l, "=")
			if k == "" {
				return nil, fmt.Errorf("unable to process labels: invalid label format: %q", l)
			}
			out[k] = v
		}
	}
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		if k == "" {
			return nil, fmt.Errorf("unable to process labels: invalid label format: %q", l)
		}
		out[k] = v
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func parseKeyValues(vals []string, what string) (map[string]string, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range vals {
		k, v, ok := strings.Cut(kv, "=")
		if k == "" || (!ok && what != "log-opt") {
			switch what {
			case "sysctl":
				return nil, fmt.Errorf("%s is invalid, sysctl values must be in the form of KEY=VALUE", kv)
			case "annotation":
				return nil, errors.New("annotations must be formatted KEY=VALUE")
			}
			return nil, fmt.Errorf("%s %q must be formatted KEY=VALUE", what, kv)
		}
		if what == "log-opt" && k == "max-size" {
			if _, err := units.RAMInBytes(v); err != nil {
				return nil, err
			}
		}
		out[k] = v
	}
	return out, nil
}

// validate checks the flags Podman checks at create time, with its texts.
func (f *CreateFlags) validate() error {
	switch f.logDriver {
	case "", "k8s-file", "json-file", "journald", "none", "passthrough":
	default:
		return errors.New("running container create option: invalid log driver: invalid argument")
	}
	for i, so := range f.securityOpt {
		if err := validSecurityOpt(i+1, so); err != nil {
			return err
		}
	}
	for name, mode := range map[string]string{"ipc": f.ipc, "pid": f.pid, "uts": f.uts, "userns": f.userns, "cgroupns": f.cgroupns} {
		if err := validNamespace(name, mode); err != nil {
			return err
		}
	}
	if f.tz != "" && f.tz != "local" {
		clean := path.Clean("/" + f.tz)
		if strings.Contains(f.tz, "..") || clean != "/"+f.tz {
			return fmt.Errorf("running container create option: invalid timezone %q", f.tz)
		}
		if _, err := os.Stat("/usr/share/zoneinfo" + clean); err != nil {
			return fmt.Errorf("running container create option: %w", err)
		}
	}
	if f.cpusetCpus != "" && !validCPUSet(f.cpusetCpus) {
		return fmt.Errorf("invalid value %s for cpuset cpus", f.cpusetCpus)
	}
	if f.cpusetMems != "" && !validCPUSet(f.cpusetMems) {
		return fmt.Errorf("invalid value %s for cpuset mems", f.cpusetMems)
	}
	for _, h := range f.addHost {
		name, ip, ok := strings.Cut(h, ":")
		if !ok || name == "" || (ip != "host-gateway" && net.ParseIP(ip) == nil) {
			return fmt.Errorf("bad format for add-host: %q", h)
		}
	}
	for _, d := range f.dns {
		if net.ParseIP(d) == nil {
			return fmt.Errorf("%s is not an ip address", d)
		}
	}
	for _, e := range f.expose {
		port, _, _ := strings.Cut(e, "/")
		lo, hi, isRange := strings.Cut(port, "-")
		for _, p := range []string{lo, hi} {
			if !isRange && p == hi {
				continue
			}
			if _, err := strconv.ParseUint(p, 10, 16); err != nil {
				return fmt.Errorf("invalid range format for --expose: %s: %w", e, err)
			}
		}
	}
	if f.init && f.initPath != "" {
		if _, err := os.Stat(f.initPath); err != nil {
			return fmt.Errorf("container-init binary not found on the host: %w", err)
		}
	}
	switch f.imageVolume {
	case "bind", "tmpfs", "ignore", "anonymous":
	default:
		return fmt.Errorf("invalid image volume mode %q required value: bind, tmpfs, ignore", f.imageVolume)
	}
	return nil
}

var securityOptKeys = map[string]bool{
	"seccomp": true, "label": true, "apparmor": true, "mask": true, "unmask": true,
	"proc-opts": true, "systempaths": true, "no-new-privileges": true, "seccomp-policy": true,
}

func validSecurityOpt(n int, so string) error {
	if so == "no-new-privileges" {
		return nil
	}
	k, v, ok := strings.Cut(so, "=")
	if !ok {
		k, v, ok = strings.Cut(so, ":")
	}
	if !ok || !securityOptKeys[k] {
		return fmt.Errorf("invalid --security-opt %d: %q", n, so)
	}
	if k == "seccomp" && v != "unconfined" {
		fh, err := os.Open(v)
		if err != nil {
			return fmt.Errorf("opening seccomp profile failed: %w", err)
		}
		fh.Close()
	}
	return nil
}

func validNamespace(name, mode string) error {
	if mode == "" {
		return nil
	}
	kind, arg, hasArg := strings.Cut(mode, ":")
	switch kind {
	case "host", "private":
		if !hasArg {
			return nil
		}
	case "container", "ns":
		if hasArg && arg != "" {
			return nil
		}
	case "shareable", "none":
		if name == "ipc" && !hasArg {
			return nil
		}
	case "auto", "keep-id", "nomap":
		if name == "userns" {
			return nil
		}
	}
	return fmt.Errorf("unrecognized namespace mode %s passed", mode)
}

// validCPUSet accepts "0-3,5,7-8".
func validCPUSet(s string) bool {
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return false
		}
		if isRange {
			b, err := strconv.ParseUint(hi, 10, 16)
			if err != nil || b < a {
				return false
			}
		}
	}
	return true
}

// capabilities are the Linux capability names (without CAP_).
var capabilities = strings.Fields(`CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
	LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO
	SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE
	AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF
	CHECKPOINT_RESTORE`)

// NormalizeCaps upper-cases capability names and adds CAP_ as Podman does
// ("net_admin" → "CAP_NET_ADMIN"); "all" stays "ALL".
func NormalizeCaps(caps []string) ([]string, error) {
	var out []string
	for _, c := range caps {
		u := strings.ToUpper(strings.TrimSpace(c))
		if u == "ALL" {
			out = append(out, u)
			continue
		}
		u = "CAP_" + strings.TrimPrefix(u, "CAP_")
		known := false
		for _, k := range capabilities {
			if "CAP_"+k == u {
				known = true
				break
			}
		}
		if !known {
			return nil, fmt.Errorf("%q: unknown capability", u)
		}
		out = append(out, u)
	}
	return out, nil
}

// ParseUlimit parses --ulimit name=soft[:hard] with Podman's error texts.
func ParseUlimit(s string) (engine.Ulimit, error) {
	u, err := units.ParseUlimit(s)
	if err != nil {
		return engine.Ulimit{}, fmt.Errorf("ulimit option %q requires name=SOFT:HARD, failed to be parsed: %w", s, err)
	}
	return engine.Ulimit{Name: "RLIMIT_" + strings.ToUpper(u.Name), Soft: u.Soft, Hard: u.Hard}, nil
}

// ParseRestart parses --restart: no, always, unless-stopped, on-failure[:N].
func ParseRestart(s string) (string, uint, error) {
	if s == "" {
		return "", 0, nil
	}
	name, count, hasCount := strings.Cut(s, ":")
	switch name {
	case "no", "always", "unless-stopped", "on-failure":
	default:
		return "", 0, fmt.Errorf("running container create option: %q is not a valid restart policy: %w", name, engine.ErrInvalidArg)
	}
	if !hasCount {
		return name, 0, nil
	}
	if name != "on-failure" {
		return "", 0, errors.New("restart policy retries can only be specified with on-failure restart policy")
	}
	n, err := strconv.Atoi(count)
	if err != nil {
		return "", 0, fmt.Errorf("parsing restart policy retry count: %w", err)
	}
	if n < 0 {
		return "", 0, errors.New("must specify restart policy retry count as a number greater than 0")
	}
	return name, uint(n), nil
}

// ParseSignal accepts a signal name (TERM, SIGTERM, sigterm) or number and
// returns its canonical name ("SIGTERM").
func ParseSignal(s string) (string, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return "", fmt.Errorf("invalid signal: %s", s)
		}
		if name := unix.SignalName(unix.Signal(n)); name != "" {
			return name, nil
		}
		return "", fmt.Errorf("invalid signal: %s", s)
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if unix.SignalNum(name) == 0 {
		if strings.HasPrefix(name, "SIGRTMIN") || strings.HasPrefix(name, "SIGRTMAX") {
			return name, nil
		}
		return "", fmt.Errorf("invalid signal: %s", s)
	}
	return name, nil
}

// ValidateDevice checks --device HOST[:CONTAINER][:PERMS].
func ValidateDevice(d string) error {
	parts := strings.Split(d, ":")
	if len(parts) > 3 || parts[0] == "" {
		return fmt.Errorf("invalid device specification: %s", d)
	}
	if _, err := os.Stat(parts[0]); err != nil {
		return err
	}
	if len(parts) == 2 && !strings.HasPrefix(parts[1], "/") && !validPerms(parts[1]) {
		return fmt.Errorf("invalid device mode: %s", parts[1])
	}
	if len(parts) == 3 && !strings.HasPrefix(parts[1], "/") {
		return fmt.Errorf("invalid device specification: %s", d)
	}
	if len(parts) == 3 && !validPerms(parts[2]) {
		return fmt.Errorf("invalid device mode: %s", parts[2])
	}
	return nil
}

func validPerms(p string) bool {
	if p == "" || len(p) > 3 {
		return false
	}
	for _, r := range p {
		if r != 'r' && r != 'w' && r != 'm' {
			return false
		}
	}
	return true
}

var volumeOptions = map[string]bool{
	"ro": true, "rw": true, "z": true, "Z": true, "O": true, "U": true,
	"private": true, "rprivate": true, "shared": true, "rshared": true, "slave": true, "rslave": true,
	"unbindable": true, "runbindable": true, "bind": true, "rbind": true, "nocopy": true, "copy": true,
	"exec": true, "noexec": true, "suid": true, "nosuid": true, "dev": true, "nodev": true, "idmap": true,
}

// ParseVolume parses -v [SOURCE:]DEST[:OPTIONS]. A SOURCE starting with "/"
// or "." is a bind mount; another SOURCE names a volume; no SOURCE is an
// anonymous volume.
func ParseVolume(spec string) (engine.Mount, error) {
	var m engine.Mount
	if spec == "" {
		return m, errors.New("container directory cannot be empty")
	}
	parts := strings.Split(spec, ":")
	var src, dst, opts string
	switch len(parts) {
	case 1:
		dst = parts[0]
	case 2:
		if strings.HasPrefix(parts[1], "/") || !isVolumeOptions(parts[1]) {
			src, dst = parts[0], parts[1]
		} else {
			dst, opts = parts[0], parts[1]
		}
	case 3:
		src, dst, opts = parts[0], parts[1], parts[2]
		if opts == "" {
			return m, errors.New(`invalid option type ""`)
		}
	default:
		return m, fmt.Errorf("%s: incorrect volume format, should be [host-dir:]ctr-dir[:option]", spec)
	}
	if len(parts) > 1 && src == "" && (len(parts) == 3 || strings.HasPrefix(parts[1], "/")) {
		return m, errors.New("host directory cannot be empty")
	}
	if dst == "" {
		return m, errors.New("container directory cannot be empty")
	}
	if !path.IsAbs(dst) {
		return m, fmt.Errorf("invalid container path %q, must be an absolute path", dst)
	}
	m.Destination = path.Clean(dst)
	m.RW = true
	if opts != "" {
		list, err := validateVolumeOpts(strings.Split(opts, ","))
		if err != nil {
			return m, err
		}
		for _, o := range list {
			if o == "ro" {
				m.RW = false
			}
			m.Options = append(m.Options, o)
		}
	}
	switch {
	case src == "":
		m.Type = "volume"
	case strings.HasPrefix(src, "/") || strings.HasPrefix(src, "."):
		m.Type = "bind"
		m.Source = src
	default:
		m.Type = "volume"
		m.Name = src
		m.Source = src
	}
	if m.Options == nil {
		m.Options = []string{}
	}
	return m, nil
}

func isVolumeOptions(s string) bool {
	for _, o := range strings.Split(s, ",") {
		if !volumeOptions[o] && !strings.HasPrefix(o, "idmap=") {
			return false
		}
	}
	return true
}

// validateVolumeOpts checks -v options as Podman 4.3 does: known names,
// at most one of each exclusive group, O alone (but for U), idmap once;
// Docker's macOS-only cached/delegated are dropped.
func validateVolumeOpts(opts []string) ([]string, error) {
	groups := map[string]string{
		"rw": "'rw' or 'ro'", "ro": "'rw' or 'ro'",
		"z": "'z', 'Z', or 'O'", "Z": "'z', 'Z', or 'O'", "O": "'z', 'Z', or 'O'",
		"U":    "'U'",
		"copy": "'copy' or 'nocopy'", "nocopy": "'copy' or 'nocopy'",
		"exec": "'noexec' or 'exec'", "noexec": "'noexec' or 'exec'",
		"suid": "'nosuid' or 'suid'", "nosuid": "'nosuid' or 'suid'",
		"dev": "'nodev' or 'dev'", "nodev": "'nodev' or 'dev'",
		"bind": "'[r]bind'", "rbind": "'[r]bind'",
	}
	for _, p := range []string{"shared", "rshared", "private", "rprivate", "slave", "rslave", "unbindable", "runbindable"} {
		groups[p] = "'[r]shared', '[r]private', '[r]slave' or '[r]unbindable'"
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(opts))
	overlay, others, idmap := false, false, false
	for _, o := range opts {
		switch {
		case o == "cached" || o == "delegated":
			continue
		case o == "idmap" || strings.HasPrefix(o, "idmap="):
			if idmap {
				return nil, errors.New("the 'idmap' option can only be set once: duplicate mount option passed")
			}
			idmap, others = true, true
		case !volumeOptions[o]:
			return nil, fmt.Errorf("invalid option type %q", o)
		default:
			g := groups[o]
			if seen[g] {
				return nil, fmt.Errorf("invalid options %q, can only specify 1 %s option", strings.Join(opts, ", "), g)
			}
			seen[g] = true
			if o == "O" {
				overlay = true
			} else if o != "U" {
				others = true
			}
		}
		out = append(out, o)
	}
	if overlay && others {
		return nil, errors.New("can't use 'O' with other options")
	}
	return out, nil
}

// ValidateVolumesFrom checks --volumes-from CTR[:OPTIONS] options with
// Podman's rules and texts: z, ro, rw, each group once.
func ValidateVolumesFrom(v string) error {
	_, opts, ok := strings.Cut(v, ":")
	if !ok {
		return nil
	}
	setZ, setRORW := false, false
	for _, o := range strings.Split(opts, ",") {
		switch o {
		case "z":
			if setZ {
				return errors.New("cannot set :z more than once in mount options")
			}
			setZ = true
		case "ro", "rw":
			if setRORW {
				return errors.New("cannot set ro or rw options more than once")
			}
			setRORW = true
		default:
			return fmt.Errorf("invalid option %q specified - volumes from another container can only use z,ro,rw options", o)
		}
	}
	return nil
}

// ParseTmpfs parses --tmpfs DEST[:OPTIONS].
func ParseTmpfs(spec string) (engine.Mount, error) {
	dst, opts, _ := strings.Cut(spec, ":")
	if !path.IsAbs(dst) {
		return engine.Mount{}, fmt.Errorf("invalid container path %q, must be an absolute path", dst)
	}
	m := engine.Mount{Type: "tmpfs", Source: "tmpfs", Destination: path.Clean(dst), RW: true, Options: []string{}}
	if opts != "" {
		m.Options = strings.Split(opts, ",")
		if err := validateTmpfsOpts(m.Options); err != nil {
			return m, err
		}
		for _, o := range m.Options {
			if o == "ro" {
				m.RW = false
			}
		}
	}
	return m, nil
}

// validateTmpfsOpts checks --tmpfs options as Podman 4.3's ProcessOptions
// does for a tmpfs, with its texts.
func validateTmpfsOpts(opts []string) error {
	dupe := func(msg string) error { return errors.New(msg + ": duplicate mount option passed") }
	groups := map[string]string{
		"copy": "only one of 'nocopy' and 'copy' can be used", "nocopy": "only one of 'nocopy' and 'copy' can be used",
		"exec": "only one of 'noexec' and 'exec' can be used", "noexec": "only one of 'noexec' and 'exec' can be used",
		"suid": "only one of 'nosuid' and 'suid' can be used", "nosuid": "only one of 'nosuid' and 'suid' can be used",
		"dev": "only one of 'nodev' and 'dev' can be used", "nodev": "only one of 'nodev' and 'dev' can be used",
		"rw": "only one of 'rw' and 'ro' can be used", "ro": "only one of 'rw' and 'ro' can be used",
		"size": "only one tmpfs size can be specified", "mode": "only one tmpfs mode can be specified",
		"tmpcopyup":   "the 'tmpcopyup' or 'notmpcopyup' option can only be set once",
		"notmpcopyup": "the 'tmpcopyup' or 'notmpcopyup' option can only be set once",
		"U":           "the 'U' option can only be set once", "idmap": "the 'idmap' option can only be set once",
	}
	for _, p := range []string{"private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"} {
		groups[p] = "only one root propagation mode can be used"
	}
	seen := map[string]bool{}
	for _, o := range opts {
		key, _, _ := strings.Cut(o, "=")
		switch key {
		case "bind", "rbind":
			return errors.New("the 'bind' and 'rbind' options are not allowed with tmpfs mounts: invalid mount option")
		case "z", "Z":
			return errors.New("the 'z' and 'Z' options are not allowed with tmpfs mounts: invalid mount option")
		case "consistency", "volume-opt", "O":
			continue
		}
		g, ok := groups[key]
		if !ok {
			return fmt.Errorf("unknown mount option %q: invalid mount option", o)
		}
		if seen[g] {
			return dupe(g)
		}
		seen[g] = true
	}
	return nil
}

const mountFormatErr = "incorrect mount format: should be --mount type=<bind|tmpfs|volume>,[src=<host-dir|volume-name>,]target=<ctr-dir>[,options]"

// ParseMount parses --mount type=TYPE,source=…,target=…[,options] with the
// keys Podman 4.3 accepts for each type (another key is "KEY: invalid mount
// option"); relabel=shared|private becomes z|Z as in Podman.
func ParseMount(spec string) (engine.Mount, error) {
	m := engine.Mount{RW: true, Options: []string{}}
	fields := strings.Split(spec, ",")
	for _, field := range fields {
		if k, v, _ := strings.Cut(field, "="); strings.ToLower(k) == "type" {
			m.Type = v
		}
	}
	if m.Type == "" {
		return m, errors.New(mountFormatErr)
	}
	switch m.Type {
	case "bind", "volume", "tmpfs", "image", "devpts", "glob", "ramfs":
	default:
		return m, fmt.Errorf("invalid filesystem type %q", m.Type)
	}
	const argErr = "must provide an argument for option"
	relabel := false
	once := map[string]bool{} // Podman's "cannot pass … more than once" groups
	twice := func(group, msg string) error {
		if once[group] {
			return fmt.Errorf("%s: %s", msg, argErr)
		}
		once[group] = true
		return nil
	}
	for _, field := range fields {
		k, v, hasVal := strings.Cut(field, "=")
		key := strings.ToLower(k)
		if !mountKeyAllowed(m.Type, k) {
			if key == "" {
				return m, errors.New(mountFormatErr)
			}
			return m, fmt.Errorf("%s: invalid mount option", k)
		}
		switch key {
		case "src", "source", "dst", "destination", "target", "bind-propagation", "tmpfs-size", "tmpfs-mode", "volume-opt":
			if !hasVal {
				return m, fmt.Errorf("%s: %s", k, argErr)
			}
		}
		roMsg := "cannot pass 'readonly', 'ro', or 'rw' options more than once"
		if m.Type != "bind" {
			roMsg = "cannot pass 'ro' and 'rw' options more than once"
		}
		var err error
		switch key {
		case "ro", "readonly", "rw":
			if m.Type != "image" {
				err = twice("rorw", roMsg)
			}
		case "nosuid", "suid":
			err = twice("suid", "cannot pass 'nosuid' and 'suid' options more than once")
		case "nodev", "dev":
			err = twice("dev", "cannot pass 'nodev' and 'dev' options more than once")
		case "noexec", "exec":
			err = twice("exec", "cannot pass 'noexec' and 'exec' options more than once")
		case "tmpcopyup", "notmpcopyup":
			err = twice("copyup", "cannot pass 'tmpcopyup' and 'notmpcopyup' options more than once")
		case "u", "chown":
			if err = twice("chown", "cannot pass 'U' or 'chown' option more than once"); err == nil && hasVal {
				switch strings.ToLower(v) {
				case "true":
				case "false":
					continue
				default:
					return m, fmt.Errorf("'U' or 'chown' must be set to true or false, instead received %q: %s", v, argErr)
				}
			}
		}
		if err != nil {
			return m, err
		}
		switch key {
		case "type", "consistency":
		case "src", "source":
			if m.Type == "tmpfs" {
				return m, errors.New("source is not supported with tmpfs mounts")
			}
			if v == "" && m.Type == "bind" {
				return m, fmt.Errorf("host directory cannot be empty: %s", argErr)
			}
			m.Source = v
		case "dst", "destination", "target":
			m.Destination = v
		case "u", "chown":
			m.Options = append(m.Options, "U")
		case "ro", "readonly":
			if hasVal && !strings.EqualFold(v, "true") {
				if !strings.EqualFold(v, "false") {
					return m, fmt.Errorf("'readonly', 'ro', or 'rw' must be set to true or false, instead received %q: %s", v, argErr)
				}
				continue
			}
			m.RW = false
			m.Options = append(m.Options, "ro")
		case "rw", "readwrite":
			if m.Type != "image" && hasVal && !strings.EqualFold(v, "true") {
				if !strings.EqualFold(v, "false") {
					return m, fmt.Errorf("'readonly', 'ro', or 'rw' must be set to true or false, instead received %q: %s", v, argErr)
				}
				m.RW = false // rw=false is ro
				m.Options = append(m.Options, "ro")
				continue
			}
			if m.Type == "image" {
				if v != "true" && v != "false" {
					return m, fmt.Errorf("invalid rw value %q: invalid mount option", v)
				}
				m.RW = v == "true"
				if m.RW {
					m.Options = append(m.Options, "rw=true")
				}
				continue
			}
			m.RW = true
		case "bind-propagation":
			m.Propagation = v
			m.Options = append(m.Options, v)
		case "bind-nonrecursive":
			m.Options = append(m.Options, "bind")
		case "volume-driver":
			m.Driver = v
		case "volume-label":
			return m, errors.New("the --volume-label option is not presently implemented")
		case "tmpfs-size":
			m.Options = append(m.Options, "size="+v)
		case "tmpfs-mode":
			m.Options = append(m.Options, "mode="+v)
		case "relabel":
			if relabel {
				return m, errors.New("cannot pass 'relabel' option more than once: must provide an argument for option")
			}
			relabel = true
			switch v {
			case "private":
				m.Options = append(m.Options, "Z")
			case "shared":
				m.Options = append(m.Options, "z")
			default:
				return m, fmt.Errorf("%s mount option must be 'private' or 'shared': invalid mount option", k)
			}
		case "idmap":
			if idmapOpt(m.Options) {
				return m, errors.New("the 'idmap' option can only be set once: duplicate mount option passed")
			}
			if hasVal {
				m.Options = append(m.Options, "idmap="+v)
			} else {
				m.Options = append(m.Options, "idmap")
			}
		default:
			if hasVal {
				m.Options = append(m.Options, k+"="+v)
			} else {
				m.Options = append(m.Options, k)
			}
		}
	}
	if m.Type == "image" && (m.Source == "" || m.Destination == "") {
		return m, errors.New("must set source and destination for image volume")
	}
	if m.Destination == "" {
		return m, errors.New("must set volume destination")
	}
	if !path.IsAbs(m.Destination) {
		return m, fmt.Errorf("invalid container path %q, must be an absolute path", m.Destination)
	}
	m.Destination = path.Clean(m.Destination)
	switch m.Type {
	case "bind":
		if m.Source == "" {
			m.Source = m.Destination // as Podman
		}
	case "volume":
		m.Name = m.Source
	case "tmpfs":
		m.Source = "tmpfs"
	case "image":
		m.RW = hasOpt(m.Options, "rw=true")
	}
	return m, nil
}

func idmapOpt(opts []string) bool {
	for _, o := range opts {
		if o == "idmap" || strings.HasPrefix(o, "idmap=") {
			return true
		}
	}
	return false
}

// mountKeys are the --mount keys of each type beyond type/src/dst (Podman
// 4.3's, plus Docker's volume-driver/volume-nocopy that Selkie honours).
var mountKeys = map[string][]string{
	"bind": {"bind-nonrecursive", "ro", "readonly", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec",
		"shared", "rshared", "private", "rprivate", "slave", "rslave", "unbindable", "runbindable", "z", "Z",
		"bind-propagation", "relabel", "U", "chown", "idmap"},
	"volume": {"volume-opt", "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec",
		"volume-label", "U", "chown", "volume-driver", "volume-nocopy", "nocopy"},
	"tmpfs":  {"tmpcopyup", "notmpcopyup", "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "tmpfs-mode", "tmpfs-size", "U", "chown"},
	"devpts": {"uid", "gid", "mode", "ptxmode", "newinstance", "max"},
	"image":  {"rw", "readwrite"},
}

func hasOpt(opts []string, o string) bool {
	for _, x := range opts {
		if x == o {
			return true
		}
	}
	return false
}

func mountKeyAllowed(typ, k string) bool {
	key := strings.ToLower(k)
	switch key {
	case "type", "consistency", "dst", "destination", "target":
		return true
	case "src", "source":
		return typ != "devpts"
	}
	if typ == "glob" || typ == "ramfs" {
		return true // refused by type at create, as Podman 4.3
	}
	for _, allowed := range mountKeys[typ] {
		if allowed == k || (strings.EqualFold(allowed, k) && allowed != "z" && allowed != "Z" && allowed != "U") {
			return true
		}
	}
	return false
}

// ParsePublish parses -p [[hostIP:][hostPort]:]containerPort[-end][/proto]
// with Podman's error texts.
func ParsePublish(spec string) ([]engine.PortMapping, error) {
	proto := "tcp"
	splitProto := strings.Split(spec, "/")
	switch len(splitProto) {
	case 1:
	case 2:
		proto = splitProto[1]
	default:
		return nil, errors.New("invalid port format - protocol can only be specified once")
	}
	remainder := splitProto[0]
	var hostIP, hostPort *string
	var ctrPort string
	haveV6 := false
	splitV6 := strings.Split(remainder, "]")
	switch len(splitV6) {
	case 1:
	case 2:
		haveV6 = true
		if !strings.HasPrefix(splitV6[0], "[") {
			return nil, errors.New("invalid port format - IPv6 addresses must be enclosed by []")
		}
		if !strings.HasPrefix(splitV6[1], ":") {
			return nil, errors.New("invalid port format - IPv6 address must be followed by a colon (':')")
		}
		ip := strings.TrimPrefix(splitV6[0], "[")
		hostIP = &ip
		remainder = strings.TrimPrefix(splitV6[1], ":")
	default:
		return nil, errors.New("invalid port format - at most one IPv6 address can be specified in a --publish")
	}
	splitPort := strings.Split(remainder, ":")
	switch len(splitPort) {
	case 1:
		if haveV6 {
			return nil, errors.New("invalid port format - must provide host and destination port if specifying an IP")
		}
		ctrPort = splitPort[0]
	case 2:
		hostPort, ctrPort = &splitPort[0], splitPort[1]
	case 3:
		if haveV6 {
			return nil, errors.New("invalid port format - when v6 address specified, must be [ipv6]:hostPort:ctrPort")
		}
		hostIP, hostPort, ctrPort = &splitPort[0], &splitPort[1], splitPort[2]
	default:
		return nil, errors.New("invalid port format - format is [[hostIP:]hostPort:]containerPort")
	}
	var pm engine.PortMapping
	if ctrPort == "" {
		return nil, errors.New("must provide a non-empty container port to publish")
	}
	start, n, err := parsePortRange(ctrPort)
	if err != nil {
		return nil, fmt.Errorf("parsing container port: %w", err)
	}
	pm.ContainerPort, pm.Range = start, n
	if proto == "" {
		return nil, errors.New("must provide a non-empty protocol to publish")
	}
	for _, p := range strings.Split(proto, ",") {
		switch p {
		case "tcp", "udp", "sctp":
		default:
			return nil, fmt.Errorf("unrecognized protocol %q in port mapping", p)
		}
	}
	pm.Protocol = proto
	if hostIP != nil {
		if *hostIP == "" {
			return nil, errors.New("must provide a non-empty container host IP to publish")
		}
		if *hostIP != "0.0.0.0" {
			ip := net.ParseIP(*hostIP)
			if ip == nil {
				return nil, fmt.Errorf("cannot parse %q as an IP address", *hostIP)
			}
			pm.HostIP = ip.String()
		}
	}
	if hostPort != nil && *hostPort != "" {
		hs, hn, err := parsePortRange(*hostPort)
		if err != nil {
			return nil, fmt.Errorf("parsing host port: %w", err)
		}
		if hn != n {
			return nil, fmt.Errorf("host and container port ranges have different lengths: %d vs %d", hn, n)
		}
		pm.HostPort = hs
	}
	if pm.Range == 1 {
		pm.Range = 1
	}
	return []engine.PortMapping{pm}, nil
}

func parsePortRange(s string) (uint16, uint16, error) {
	parts := strings.Split(s, "-")
	if len(parts) > 2 {
		return 0, 0, errors.New("invalid port format - port ranges are formatted as startPort-stopPort")
	}
	if parts[0] == "" {
		return 0, 0, errors.New("port numbers cannot be negative")
	}
	start, err := parsePort(parts[0])
	if err != nil {
		return 0, 0, err
	}
	var n uint16 = 1
	if len(parts) == 2 {
		if parts[1] == "" {
			return 0, 0, errors.New("must provide ending number for port range")
		}
		end, err := parsePort(parts[1])
		if err != nil {
			return 0, 0, err
		}
		if end <= start {
			return 0, 0, fmt.Errorf("the end port of a range must be higher than the start port - %d is not higher than %d", end, start)
		}
		n = end - start + 1
	}
	return start, n, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("invalid port number: %w", err)
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port numbers must be between 1 and 65535 (inclusive), got %d", n)
	}
	return uint16(n), nil
}

// sortedKeys is a helper for deterministic output in tests.
func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
