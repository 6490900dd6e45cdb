package engine

import (
	"context"
	"io"
	"time"
)

// Pods is the pod part of the engine: groups of containers sharing
// namespaces through an infra container. Every method acts on one pod;
// loops over names, --all and --filter live in the caller.
type Pods interface {
	// PodCreate records a pod and (unless o.NoInfra) creates its infra container.
	PodCreate(ctx context.Context, o PodCreateOptions) (string, error)
	// PodStart starts the infra container, then the members.
	PodStart(ctx context.Context, nameOrID string) (PodActionReport, error)
	// PodStop stops the members, then the infra container.
	PodStop(ctx context.Context, nameOrID string, o ContainerStopOptions) (PodActionReport, error)
	// PodRestart stops then starts the pod.
	PodRestart(ctx context.Context, nameOrID string) (PodActionReport, error)
	// PodKill signals every running container of the pod.
	PodKill(ctx context.Context, nameOrID string, signal string) (PodActionReport, error)
	PodPause(ctx context.Context, nameOrID string) (PodActionReport, error)
	PodUnpause(ctx context.Context, nameOrID string) (PodActionReport, error)
	// PodRemove removes the pod; members only with o.Force (refused otherwise
	// while the pod has members other than infra, or runs).
	PodRemove(ctx context.Context, nameOrID string, o PodRemoveOptions) (PodRemoveReport, error)
	// PodList lists pods matching o.Filters.
	PodList(ctx context.Context, o PodListOptions) ([]PodSummary, error)
	// PodInspect returns Podman's pod inspect document.
	PodInspect(ctx context.Context, nameOrID string) (*PodInspect, error)
	// PodExists reports whether nameOrID names a pod (no error for "no").
	PodExists(ctx context.Context, nameOrID string) (bool, error)
	// PodClone creates a pod with the same configuration and copies of its
	// containers, and returns the new pod's ID.
	PodClone(ctx context.Context, nameOrID string, o PodCloneOptions) (string, error)
}

// PodCloneOptions controls pod clone.
type PodCloneOptions struct {
	// Name of the new pod; default "<name>-clone".
	Name string `json:"name,omitempty"`
	// Destroy removes the original pod after cloning.
	Destroy bool `json:"destroy,omitempty"`
	// Start starts the clone.
	Start bool `json:"start,omitempty"`
	// Create holds pod create settings that replace the original's in the
	// clone: the host name, infra name and command, --shm-size and the
	// cgroup limits when set; labels and sysctls are merged over the
	// original's; mounts are added.
	Create PodCreateOptions `json:"create,omitempty"`
}

// PodCreateOptions are `pod create`'s flags.
type PodCreateOptions struct {
	Name   string            `json:"name,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	// NoInfra creates a pod without an infra container (--infra=false).
	NoInfra      bool     `json:"noInfra,omitempty"`
	InfraImage   string   `json:"infraImage,omitempty"`
	InfraCommand []string `json:"infraCommand,omitempty"`
	InfraName    string   `json:"infraName,omitempty"`
	// Share lists the namespaces members share: net, ipc, uts, pid, cgroup
	// (empty with Share set to []string{} means none).
	Share       []string `json:"share,omitempty"`
	ShareParent *bool    `json:"shareParent,omitempty"`
	// Resources are the pod cgroup's limits (--cpus, --memory, --cpuset-cpus,
	// --cpu-shares); members' cgroups are created under it.
	Resources Resources `json:"resources,omitempty"`
	// UserNS is the infra container's user namespace mode (--userns);
	// members join that namespace unless it is the host's.
	UserNS string `json:"userns,omitempty"`
	// UIDMap/GIDMap/SubUIDName/SubGIDName give the infra container (and so
	// the members, which join its user namespace) explicit mappings, as
	// the container flags of the same names.
	UIDMap     []string `json:"uidmap,omitempty"`
	GIDMap     []string `json:"gidmap,omitempty"`
	SubUIDName string   `json:"subuidname,omitempty"`
	SubGIDName string   `json:"subgidname,omitempty"`
	// Infra container settings (network, ports, names).
	Network      string        `json:"network,omitempty"`
	Networks     []string      `json:"networks,omitempty"`
	PortMappings []PortMapping `json:"portMappings,omitempty"`
	Hostname     string        `json:"hostname,omitempty"`
	AddHosts     []string      `json:"addHosts,omitempty"`
	DNSServers   []string      `json:"dnsServers,omitempty"`
	DNSSearch    []string      `json:"dnsSearch,omitempty"`
	DNSOptions   []string      `json:"dnsOptions,omitempty"`
	NoHosts      bool          `json:"noHosts,omitempty"`
	// Mounts are added to every member (-v on pod create).
	Mounts []Mount `json:"mounts,omitempty"`
	// ShmSize is the size in bytes of the /dev/shm the infra container
	// holds for the members sharing its IPC namespace (--shm-size).
	ShmSize *int64 `json:"shmSize,omitempty"`
	// Sysctls are set in the infra container, whose namespaces the
	// members share (--sysctl).
	Sysctls map[string]string `json:"sysctls,omitempty"`
	// Devices are host devices added to the infra container and inherited
	// by every member (--device), as Podman's InfraInherit.
	Devices []string `json:"devices,omitempty"`
	// SecurityOpt are the infra's security options (--security-opt),
	// inherited by members that do not set the same option themselves.
	SecurityOpt []string `json:"securityOpt,omitempty"`
	// VolumesFrom mounts the named containers' volumes into the infra and
	// every member (--volumes-from); stored as container IDs.
	VolumesFrom []string `json:"volumesFrom,omitempty"`
	// PIDMode and UTSMode are the infra's PID and UTS namespace modes
	// (--pid, --uts: host, private, ns:PATH); members sharing that
	// namespace join it.
	PIDMode string `json:"pid,omitempty"`
	UTSMode string `json:"uts,omitempty"`
	// BlkioWeightDevice ("PATH:WEIGHT"), DeviceReadBps and DeviceWriteBps
	// ("PATH:RATE") are per-device I/O limits of the pod cgroup.
	BlkioWeightDevice []string `json:"blkioWeightDevice,omitempty"`
	DeviceReadBps     []string `json:"deviceReadBps,omitempty"`
	DeviceWriteBps    []string `json:"deviceWriteBps,omitempty"`
	// CgroupParent is the cgroupfs parent of the pod's cgroup
	// (--cgroup-parent; default /libpod_parent).
	CgroupParent string `json:"cgroupParent,omitempty"`
	// InfraConmonPidFile receives the PID of the infra's conmon each time
	// the pod starts it (--infra-conmon-pidfile).
	InfraConmonPidFile string `json:"infraConmonPidFile,omitempty"`
	// ExitPolicy is continue (default) or stop.
	ExitPolicy    string `json:"exitPolicy,omitempty"`
	RestartPolicy string `json:"restartPolicy,omitempty"`
	// Replace removes an existing pod of the same name first.
	Replace       bool      `json:"replace,omitempty"`
	CreateCommand []string  `json:"createCommand,omitempty"`
	PullProgress  io.Writer `json:"-"`
}

// PodActionReport lists the containers an action failed on (ID → error).
type PodActionReport struct {
	ID     string            `json:"Id"`
	Errors map[string]string `json:"Errs,omitempty"`
}

// PodRemoveOptions controls pod rm.
type PodRemoveOptions struct {
	Force   bool  `json:"force,omitempty"`
	Ignore  bool  `json:"ignore,omitempty"`
	Timeout *uint `json:"timeout,omitempty"`
}

// PodRemoveReport lists the removed containers.
type PodRemoveReport struct {
	ID         string   `json:"Id"`
	Containers []string `json:"RemovedCtrs"`
}

// PodListOptions controls pod ps.
type PodListOptions struct {
	Filters map[string][]string `json:"filters,omitempty"`
}

// PodSummary is one pod ps row; JSON as Podman's `pod ps --format json`.
type PodSummary struct {
	Cgroup     string             `json:"Cgroup"`
	Containers []PodContainerInfo `json:"Containers"`
	Created    time.Time          `json:"Created"`
	ID         string             `json:"Id"`
	InfraID    string             `json:"InfraId"`
	Name       string             `json:"Name"`
	Namespace  string             `json:"Namespace"`
	Networks   []string           `json:"Networks"`
	Status     string             `json:"Status"`
	Labels     map[string]string  `json:"Labels"`
}

// PodContainerInfo is one member in pod ps.
type PodContainerInfo struct {
	ID     string `json:"Id"`
	Names  string `json:"Names"`
	Status string `json:"Status"`
}

// PodInspect is Podman's InspectPodData.
type PodInspect struct {
	ID               string                 `json:"Id"`
	Name             string                 `json:"Name"`
	Namespace        string                 `json:"Namespace,omitempty"`
	Created          time.Time              `json:"Created"`
	CreateCommand    []string               `json:"CreateCommand,omitempty"`
	ExitPolicy       string                 `json:"ExitPolicy"`
	State            string                 `json:"State"`
	Hostname         string                 `json:"Hostname"`
	Labels           map[string]string      `json:"Labels,omitempty"`
	CreateCgroup     bool                   `json:"CreateCgroup"`
	CgroupParent     string                 `json:"CgroupParent,omitempty"`
	CgroupPath       string                 `json:"CgroupPath,omitempty"`
	CreateInfra      bool                   `json:"CreateInfra"`
	InfraContainerID string                 `json:"InfraContainerID,omitempty"`
	InfraConfig      *PodInspectInfraConfig `json:"InfraConfig,omitempty"`
	SharedNamespaces []string               `json:"SharedNamespaces,omitempty"`
	NumContainers    uint                   `json:"NumContainers"`
	Containers       []PodInspectContainer  `json:"Containers,omitempty"`
	CPUPeriod        uint64                 `json:"cpu_period,omitempty"`
	CPUQuota         int64                  `json:"cpu_quota,omitempty"`
	CPUShares        uint64                 `json:"cpu_shares,omitempty"`
	CPUSetCPUs       string                 `json:"cpuset_cpus,omitempty"`
	CPUSetMems       string                 `json:"cpuset_mems,omitempty"`
	Mounts           []Mount                `json:"mounts,omitempty"`
	MemoryLimit      uint64                 `json:"memory_limit,omitempty"`
	MemorySwap       uint64                 `json:"memory_swap,omitempty"`
	// As Podman's InspectPodData: the pod cgroup's I/O limits and what
	// the infra passes on to the members.
	BlkioWeight       uint64                   `json:"blkio_weight,omitempty"`
	BlkioWeightDevice []PodInspectWeightDevice `json:"blkio_weight_device,omitempty"`
	DeviceReadBps     []PodInspectRateDevice   `json:"device_read_bps,omitempty"`
	DeviceWriteBps    []PodInspectRateDevice   `json:"device_write_bps,omitempty"`
	Devices           []DeviceMapping          `json:"devices,omitempty"`
	SecurityOpts      []string                 `json:"security_opt,omitempty"`
	VolumesFrom       []string                 `json:"volumes_from,omitempty"`
}

// PodInspectWeightDevice is one --blkio-weight-device in pod inspect.
type PodInspectWeightDevice struct {
	Path   string `json:"Path"`
	Weight uint16 `json:"Weight"`
}

// PodInspectRateDevice is one --device-read-bps/--device-write-bps.
type PodInspectRateDevice struct {
	Path string `json:"Path"`
	Rate uint64 `json:"Rate"`
}

// PodInspectInfraConfig is the infra block of pod inspect.
type PodInspectInfraConfig struct {
	PortBindings       map[string][]InspectHostPort `json:"PortBindings"`
	HostNetwork        bool                         `json:"HostNetwork"`
	StaticIP           string                       `json:"StaticIP"`
	StaticMAC          string                       `json:"StaticMAC"`
	NoManageResolvConf bool                         `json:"NoManageResolvConf"`
	DNSServer          []string                     `json:"DNSServer"`
	DNSSearch          []string                     `json:"DNSSearch"`
	DNSOption          []string                     `json:"DNSOption"`
	NoManageHosts      bool                         `json:"NoManageHosts"`
	HostAdd            []string                     `json:"HostAdd"`
	Networks           []string                     `json:"Networks,omitempty"`
	NetworkOptions     map[string][]string          `json:"NetworkOptions"`
	CPUPeriod          uint64                       `json:"cpu_period,omitempty"`
	CPUQuota           int64                        `json:"cpu_quota,omitempty"`
	CPUSetCPUs         string                       `json:"cpuset_cpus,omitempty"`
	PidNS              string                       `json:"pid_ns,omitempty"`
	UserNS             string                       `json:"userns,omitempty"`
	UtsNS              string                       `json:"uts_ns,omitempty"`
}

// PodInspectContainer is one member in pod inspect.
type PodInspectContainer struct {
	ID    string `json:"Id"`
	Name  string `json:"Name"`
	State string `json:"State"`
}
