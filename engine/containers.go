package engine

import (
	"context"
	"io"
	"time"
)

// Containers is the container part of the engine. Every method acts on one
// container; loops over many names, --all, --latest and --filter live in the
// caller (cli/), once.
type Containers interface {
	// ContainerCreate records a container and prepares its rootfs; it does not start it.
	ContainerCreate(ctx context.Context, o ContainerCreateOptions) (ContainerCreateReport, error)
	// ContainerInit creates the container in the OCI runtime without starting its process.
	ContainerInit(ctx context.Context, nameOrID string) error
	// ContainerStart starts a created or stopped container. Attach first (or
	// pass streams in o) to see its output from the very start.
	ContainerStart(ctx context.Context, nameOrID string, o ContainerStartOptions) error
	// ContainerStop sends the stop signal, then SIGKILL after the timeout.
	ContainerStop(ctx context.Context, nameOrID string, o ContainerStopOptions) error
	// ContainerKill sends a signal to the container's main process.
	ContainerKill(ctx context.Context, nameOrID string, o ContainerKillOptions) error
	// ContainerRestart stops (if running) and starts the container.
	ContainerRestart(ctx context.Context, nameOrID string, o ContainerStopOptions) error
	// ContainerRemove removes the container, its rootfs and (with Volumes) its anonymous volumes.
	ContainerRemove(ctx context.Context, nameOrID string, o ContainerRemoveOptions) (ContainerRemoveReport, error)
	// ContainerList lists containers matching o.
	ContainerList(ctx context.Context, o ContainerListOptions) ([]ContainerSummary, error)
	// ContainerInspect returns Podman's inspect document for one container.
	ContainerInspect(ctx context.Context, nameOrID string, o ContainerInspectOptions) (*ContainerInspect, error)
	// ContainerExists reports whether nameOrID names a container (no error for "no").
	ContainerExists(ctx context.Context, nameOrID string, o ContainerExistsOptions) (bool, error)
	// ContainerWait blocks until one of o.Conditions holds and returns the exit code.
	ContainerWait(ctx context.Context, nameOrID string, o ContainerWaitOptions) (int32, error)
	// ContainerAttach connects streams to a running (or, with o.Start, starting) container.
	ContainerAttach(ctx context.Context, nameOrID string, o ContainerAttachOptions) error
	// ContainerLogs writes the container's log lines to o.Stdout/o.Stderr.
	ContainerLogs(ctx context.Context, nameOrID string, o ContainerLogsOptions) error
	// ContainerResize changes the terminal size of a container's TTY.
	ContainerResize(ctx context.Context, nameOrID string, size TerminalSize) error
	ContainerPause(ctx context.Context, nameOrID string) error
	ContainerUnpause(ctx context.Context, nameOrID string) error
	// ContainerRename gives the container a new unique name.
	ContainerRename(ctx context.Context, nameOrID, newName string) error
	// ContainerTop lists the container's processes with ps descriptors.
	ContainerTop(ctx context.Context, nameOrID string, descriptors []string) ([][]string, error)
	// ContainerStats samples resource use once.
	ContainerStats(ctx context.Context, nameOrID string) (*ContainerStats, error)
	// ContainerUpdate changes resource limits of a container.
	ContainerUpdate(ctx context.Context, nameOrID string, o ContainerUpdateOptions) error
	// ContainerMount mounts the rootfs and returns its host path.
	ContainerMount(ctx context.Context, nameOrID string) (string, error)
	ContainerUnmount(ctx context.Context, nameOrID string, force bool) error
	// ContainerChanges lists filesystem changes against the image.
	ContainerChanges(ctx context.Context, nameOrID string) ([]FileChange, error)
	// ContainerExport writes the rootfs as a tar stream.
	ContainerExport(ctx context.Context, nameOrID string, w io.Writer) error
	// ContainerCommit makes an image from the container.
	ContainerCommit(ctx context.Context, nameOrID string, o ContainerCommitOptions) (string, error)
	// ContainerCleanup runs after the container exits (conmon's exit command):
	// records the exit code, unmounts, tears down the network, honours --rm and restart policies.
	ContainerCleanup(ctx context.Context, nameOrID string, o ContainerCleanupOptions) error
	// ContainerPort lists the published ports.
	ContainerPort(ctx context.Context, nameOrID string) ([]PortMapping, error)

	// ExecCreate prepares an exec session in a running container.
	ExecCreate(ctx context.Context, nameOrID string, o ExecCreateOptions) (string, error)
	// ExecStart runs the session, attached to o's streams unless detached, and returns its exit code.
	ExecStart(ctx context.Context, execID string, o ExecStartOptions) (int, error)
	ExecInspect(ctx context.Context, execID string) (*ExecInspect, error)
	ExecResize(ctx context.Context, execID string, size TerminalSize) error
}

// TerminalSize is a TTY size in characters.
type TerminalSize struct {
	Width  uint16 `json:"width"`
	Height uint16 `json:"height"`
}

// Streams connects a caller to a container or exec process. Nil fields are
// not attached. Resize delivers terminal size changes while attached.
type Streams struct {
	Stdin      io.Reader           `json:"-"`
	Stdout     io.Writer           `json:"-"`
	Stderr     io.Writer           `json:"-"`
	Resize     <-chan TerminalSize `json:"-"`
	DetachKeys string              `json:"detachKeys,omitempty"`
}

// Mount is a --volume/--mount/--tmpfs request or an inspect entry.
type Mount struct {
	Type        string   `json:"Type"` // bind, volume, tmpfs, image, devpts
	Name        string   `json:"Name,omitempty"`
	Source      string   `json:"Source"`
	Destination string   `json:"Destination"`
	Driver      string   `json:"Driver"`
	Mode        string   `json:"Mode"`
	Options     []string `json:"Options"`
	RW          bool     `json:"RW"`
	Propagation string   `json:"Propagation"`
}

// PortMapping is one -p request or one published port.
type PortMapping struct {
	HostIP        string `json:"host_ip"`
	ContainerPort uint16 `json:"container_port"`
	HostPort      uint16 `json:"host_port"`
	Range         uint16 `json:"range"`
	Protocol      string `json:"protocol"`
}

// Ulimit is one --ulimit.
type Ulimit struct {
	Name string `json:"Name"`
	Soft int64  `json:"Soft"`
	Hard int64  `json:"Hard"`
}

// Resources are the cgroup limits of create, run and update.
type Resources struct {
	Memory            int64  `json:"memory,omitempty"`
	MemorySwap        int64  `json:"memorySwap,omitempty"`
	MemoryReservation int64  `json:"memoryReservation,omitempty"`
	NanoCPUs          int64  `json:"nanoCpus,omitempty"`
	CPUShares         uint64 `json:"cpuShares,omitempty"`
	CPUQuota          int64  `json:"cpuQuota,omitempty"`
	CPUPeriod         uint64 `json:"cpuPeriod,omitempty"`
	CPUSetCPUs        string `json:"cpusetCpus,omitempty"`
	CPUSetMems        string `json:"cpusetMems,omitempty"`
	PidsLimit         *int64 `json:"pidsLimit,omitempty"`
	BlkioWeight       uint16 `json:"blkioWeight,omitempty"`
}

// HealthConfig is a container health check.
type HealthConfig struct {
	Test        []string      `json:"Test,omitempty"`
	Interval    time.Duration `json:"Interval,omitempty"`
	Timeout     time.Duration `json:"Timeout,omitempty"`
	StartPeriod time.Duration `json:"StartPeriod,omitempty"`
	Retries     int           `json:"Retries,omitempty"`
}

// ContainerCreateOptions is everything create and run accept. The CLI fills
// it from flags, the compat API from Docker's create body; the engine merges
// it with the image config and containers.conf.
type ContainerCreateOptions struct {
	Name  string `json:"name,omitempty"`
	Image string `json:"image"`
	// Command replaces the image's Cmd when set.
	Command []string `json:"command,omitempty"`
	// Entrypoint replaces the image's Entrypoint when non-nil ([] clears it).
	Entrypoint  *[]string         `json:"entrypoint,omitempty"`
	Env         map[string]string `json:"env,omitempty"`
	EnvHost     bool              `json:"envHost,omitempty"`
	UnsetEnv    []string          `json:"unsetenv,omitempty"`
	UnsetEnvAll bool              `json:"unsetenvAll,omitempty"`
	WorkDir     string            `json:"workDir,omitempty"`
	User        string            `json:"user,omitempty"`
	GroupAdd    []string          `json:"groupAdd,omitempty"`
	Hostname    string            `json:"hostname,omitempty"`
	Timezone    string            `json:"timezone,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Init        bool              `json:"init,omitempty"`
	InitPath    string            `json:"initPath,omitempty"`

	// I/O
	Stdin      bool              `json:"stdin,omitempty"`
	Terminal   bool              `json:"terminal,omitempty"`
	LogDriver  string            `json:"logDriver,omitempty"`
	LogOptions map[string]string `json:"logOptions,omitempty"`

	// Security
	Privileged        bool     `json:"privileged,omitempty"`
	CapAdd            []string `json:"capAdd,omitempty"`
	CapDrop           []string `json:"capDrop,omitempty"`
	SecurityOpt       []string `json:"securityOpt,omitempty"`
	ReadOnly          bool     `json:"readOnly,omitempty"`
	ReadOnlyTmpfs     *bool    `json:"readOnlyTmpfs,omitempty"`
	Devices           []string `json:"devices,omitempty"`
	DeviceCgroupRules []string `json:"deviceCgroupRules,omitempty"`

	// Resources
	Resources   Resources `json:"resources"`
	ShmSize     *int64    `json:"shmSize,omitempty"`
	Ulimits     []Ulimit  `json:"ulimits,omitempty"`
	OOMScoreAdj *int      `json:"oomScoreAdj,omitempty"`

	// Lifecycle
	Remove         bool          `json:"remove,omitempty"`
	RestartPolicy  string        `json:"restartPolicy,omitempty"` // no, on-failure, always, unless-stopped
	RestartRetries uint          `json:"restartRetries,omitempty"`
	StopSignal     string        `json:"stopSignal,omitempty"`
	StopTimeout    *uint         `json:"stopTimeout,omitempty"`
	PullPolicy     string        `json:"pullPolicy,omitempty"` // always, missing, never, newer
	Replace        bool          `json:"replace,omitempty"`
	RemoveImage    bool          `json:"rmi,omitempty"`
	Timeout        uint          `json:"timeout,omitempty"`
	HealthConfig   *HealthConfig `json:"healthConfig,omitempty"`
	// PreserveFDs passes the caller's fds 3..3+N-1 to the process (run only).
	PreserveFDs uint `json:"preserveFds,omitempty"`

	// Storage
	Mounts      []Mount  `json:"mounts,omitempty"`
	VolumesFrom []string `json:"volumesFrom,omitempty"`
	ImageVolume string   `json:"imageVolume,omitempty"` // bind, tmpfs, ignore
	Rootfs      string   `json:"rootfs,omitempty"`

	// Namespaces and network
	Network      string            `json:"network,omitempty"` // none, host, private, bridge, container:ID, ns:PATH, name
	Networks     []string          `json:"networks,omitempty"`
	PortMappings []PortMapping     `json:"portMappings,omitempty"`
	PublishAll   bool              `json:"publishAll,omitempty"`
	Expose       []string          `json:"expose,omitempty"`
	DNSServers   []string          `json:"dnsServers,omitempty"`
	DNSSearch    []string          `json:"dnsSearch,omitempty"`
	DNSOptions   []string          `json:"dnsOptions,omitempty"`
	AddHosts     []string          `json:"addHosts,omitempty"`
	NoHosts      bool              `json:"noHosts,omitempty"`
	HostsFile    string            `json:"hostsFile,omitempty"` // base of /etc/hosts: host path, "image", "none"; "" = base_hosts_file
	IPCMode      string            `json:"ipc,omitempty"`
	PIDMode      string            `json:"pid,omitempty"`
	UTSMode      string            `json:"uts,omitempty"`
	UserNS       string            `json:"userns,omitempty"`
	CgroupNS     string            `json:"cgroupns,omitempty"`
	Pod          string            `json:"pod,omitempty"`
	Sysctls      map[string]string `json:"sysctls,omitempty"`

	// UIDMap/GIDMap are --uidmap/--gidmap "container:host:size" triples
	// (rootless: IDs of the user's namespace); SubUIDName/SubGIDName take
	// the ranges of /etc/subuid and /etc/subgid for that name.
	UIDMap     []string `json:"uidmap,omitempty"`
	GIDMap     []string `json:"gidmap,omitempty"`
	SubUIDName string   `json:"subuidname,omitempty"`
	SubGIDName string   `json:"subgidname,omitempty"`

	// Platform selects the image variant when pulling.
	Platform string `json:"platform,omitempty"`
	// CreateCommand is the command line that created the container (inspect's Config.CreateCommand).
	CreateCommand []string `json:"createCommand,omitempty"`
	// CIDFile is --cidfile: the file the ID is written to (inspect's HostConfig.ContainerIDFile).
	CIDFile string `json:"cidFile,omitempty"`
	// PullProgress receives pull output when the image must be pulled.
	PullProgress io.Writer `json:"-"`
}

// ContainerCreateReport is the result of a create.
type ContainerCreateReport struct {
	ID       string   `json:"Id"`
	Warnings []string `json:"Warnings"`
}

// ContainerStartOptions controls start.
type ContainerStartOptions struct {
	// Attach, when set, connects the streams before the process starts.
	Attach *Streams `json:"-"`
}

// ContainerStopOptions controls stop and restart.
type ContainerStopOptions struct {
	// Timeout in seconds before SIGKILL; nil means the container's stop timeout.
	Timeout *uint `json:"timeout,omitempty"`
	// Ignore makes an unknown container not an error.
	Ignore bool `json:"ignore,omitempty"`
}

// ContainerKillOptions controls kill.
type ContainerKillOptions struct {
	Signal string `json:"signal,omitempty"` // default SIGKILL
}

// ContainerRemoveOptions controls rm.
type ContainerRemoveOptions struct {
	Force   bool  `json:"force,omitempty"`
	Volumes bool  `json:"volumes,omitempty"`
	Depend  bool  `json:"depend,omitempty"`
	Ignore  bool  `json:"ignore,omitempty"`
	Timeout *uint `json:"timeout,omitempty"`
}

// ContainerRemoveReport lists what rm removed (more than one with Depend).
type ContainerRemoveReport struct {
	Removed []string `json:"removed"`
}

// ContainerListOptions controls ps.
type ContainerListOptions struct {
	All     bool                `json:"all,omitempty"`
	Filters map[string][]string `json:"filters,omitempty"`
	Last    int                 `json:"last,omitempty"`
	Latest  bool                `json:"latest,omitempty"`
	Size    bool                `json:"size,omitempty"`
	// External adds containers of other tools (Buildah) found in storage.
	External bool `json:"external,omitempty"`
}

// ContainerSummary is one ps row; JSON names follow Podman's `ps --format json`.
type ContainerSummary struct {
	AutoRemove bool              `json:"AutoRemove"`
	Command    []string          `json:"Command"`
	Created    time.Time         `json:"Created"`
	CreatedAt  string            `json:"CreatedAt"`
	Exited     bool              `json:"Exited"`
	ExitedAt   int64             `json:"ExitedAt"`
	ExitCode   int32             `json:"ExitCode"`
	ID         string            `json:"Id"`
	Image      string            `json:"Image"`
	ImageID    string            `json:"ImageID"`
	IsInfra    bool              `json:"IsInfra"`
	Labels     map[string]string `json:"Labels"`
	Mounts     []string          `json:"Mounts"`
	Names      []string          `json:"Names"`
	Networks   []string          `json:"Networks"`
	Pid        int               `json:"Pid"`
	Pod        string            `json:"Pod"`
	PodName    string            `json:"PodName"`
	Ports      []PortMapping     `json:"Ports"`
	Size       *ContainerSize    `json:"Size"`
	StartedAt  int64             `json:"StartedAt"`
	State      string            `json:"State"`
	Status     string            `json:"Status"`
}

// ContainerSize is ps --size.
type ContainerSize struct {
	RootFsSize int64 `json:"rootFsSize"`
	RwSize     int64 `json:"rwSize"`
}

// ContainerInspectOptions controls inspect.
type ContainerInspectOptions struct {
	Size bool `json:"size,omitempty"`
}

// ContainerExistsOptions controls container exists.
type ContainerExistsOptions struct {
	External bool `json:"external,omitempty"`
}

// ContainerWaitOptions controls wait.
type ContainerWaitOptions struct {
	// Conditions are states to wait for (default: stopped/exited).
	Conditions []string      `json:"conditions,omitempty"`
	Interval   time.Duration `json:"interval,omitempty"`
	// NextExit waits for the container's next exit (Docker's "next-exit"):
	// a created or exited container is waited for until it has been
	// started and has exited again. Without it a container that is not
	// running answers at once, as Podman's wait does.
	NextExit bool `json:"nextExit,omitempty"`
}

// ContainerAttachOptions controls attach.
type ContainerAttachOptions struct {
	Streams
	// NoStdin does not connect stdin even if the container has one.
	NoStdin bool `json:"noStdin,omitempty"`
	// SigProxy forwards received signals to the container.
	SigProxy bool `json:"sigProxy,omitempty"`
	// Logs replays the existing log before streaming (the API's logs=1).
	Logs bool `json:"logs,omitempty"`
}

// ContainerLogsOptions controls logs.
type ContainerLogsOptions struct {
	Follow     bool      `json:"follow,omitempty"`
	Since      time.Time `json:"since,omitempty"`
	Until      time.Time `json:"until,omitempty"`
	Tail       int       `json:"tail"` // -1 = all
	Timestamps bool      `json:"timestamps,omitempty"`
	// Names prefixes each line with the container name.
	Names  bool      `json:"names,omitempty"`
	Stdout io.Writer `json:"-"`
	Stderr io.Writer `json:"-"`
}

// ContainerUpdateOptions controls update.
type ContainerUpdateOptions struct {
	Resources      Resources `json:"resources"`
	RestartPolicy  string    `json:"restartPolicy,omitempty"`
	RestartRetries *uint     `json:"restartRetries,omitempty"`
}

// ContainerCommitOptions controls commit.
type ContainerCommitOptions struct {
	Image    string    `json:"image,omitempty"`
	Author   string    `json:"author,omitempty"`
	Message  string    `json:"message,omitempty"`
	Changes  []string  `json:"changes,omitempty"`
	Format   string    `json:"format,omitempty"` // oci or docker
	Pause    bool      `json:"pause,omitempty"`
	Squash   bool      `json:"squash,omitempty"`
	Quiet    bool      `json:"quiet,omitempty"`
	Progress io.Writer `json:"-"`
}

// ContainerCleanupOptions controls cleanup.
type ContainerCleanupOptions struct {
	Remove      bool `json:"remove,omitempty"`
	RemoveImage bool `json:"rmi,omitempty"`
	// Exec is the exec session that ended, when cleanup is for an exec.
	Exec string `json:"exec,omitempty"`
}

// FileChange is one diff entry.
type FileChange struct {
	Path string `json:"Path"`
	Kind int    `json:"Kind"` // 0 modified, 1 added, 2 deleted (Docker's numbering)
}

// ContainerStats is one stats sample; names follow Podman's stats JSON.
type ContainerStats struct {
	ContainerID   string        `json:"ContainerID"`
	Name          string        `json:"Name"`
	PerCPU        []uint64      `json:"PerCPU"`
	CPU           float64       `json:"CPU"`
	CPUNano       uint64        `json:"CPUNano"`
	CPUSystemNano uint64        `json:"CPUSystemNano"`
	SystemNano    uint64        `json:"SystemNano"`
	MemUsage      uint64        `json:"MemUsage"`
	MemLimit      uint64        `json:"MemLimit"`
	MemPerc       float64       `json:"MemPerc"`
	NetInput      uint64        `json:"NetInput"`
	NetOutput     uint64        `json:"NetOutput"`
	BlockInput    uint64        `json:"BlockInput"`
	BlockOutput   uint64        `json:"BlockOutput"`
	PIDs          uint64        `json:"PIDs"`
	UpTime        time.Duration `json:"UpTime"`
	Duration      uint64        `json:"Duration"`
}

// ExecCreateOptions describes an exec session.
type ExecCreateOptions struct {
	Command     []string          `json:"command"`
	Env         map[string]string `json:"env,omitempty"`
	User        string            `json:"user,omitempty"`
	WorkDir     string            `json:"workDir,omitempty"`
	Terminal    bool              `json:"terminal,omitempty"`
	AttachStdin bool              `json:"attachStdin,omitempty"`
	Privileged  bool              `json:"privileged,omitempty"`
	PreserveFDs uint              `json:"preserveFds,omitempty"`
	DetachKeys  string            `json:"detachKeys,omitempty"`
}

// ExecStartOptions runs a session.
type ExecStartOptions struct {
	Streams
	Detach bool `json:"detach,omitempty"`
}

// ExecInspect describes an exec session (Docker's exec inspect fields).
type ExecInspect struct {
	ID            string `json:"ID"`
	ContainerID   string `json:"ContainerID"`
	Running       bool   `json:"Running"`
	ExitCode      int    `json:"ExitCode"`
	Pid           int    `json:"Pid"`
	OpenStdin     bool   `json:"OpenStdin"`
	OpenStdout    bool   `json:"OpenStdout"`
	OpenStderr    bool   `json:"OpenStderr"`
	ProcessConfig struct {
		Tty        bool     `json:"tty"`
		Entrypoint string   `json:"entrypoint"`
		Arguments  []string `json:"arguments"`
		User       string   `json:"user"`
		Privileged bool     `json:"privileged"`
	} `json:"ProcessConfig"`
	DetachKeys string `json:"DetachKeys"`
}
