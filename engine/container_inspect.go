package engine

import "time"

// ContainerInspect is `selkie inspect` for a container. Field names and JSON
// keys follow Podman's InspectContainerData so templates written for Podman work.
type ContainerInspect struct {
	ID              string          `json:"Id"`
	Created         time.Time       `json:"Created"`
	Path            string          `json:"Path"`
	Args            []string        `json:"Args"`
	State           ContainerState  `json:"State"`
	Image           string          `json:"Image"`
	ImageDigest     string          `json:"ImageDigest"`
	ImageName       string          `json:"ImageName"`
	Rootfs          string          `json:"Rootfs"`
	Pod             string          `json:"Pod"`
	ResolvConfPath  string          `json:"ResolvConfPath"`
	HostnamePath    string          `json:"HostnamePath"`
	HostsPath       string          `json:"HostsPath"`
	StaticDir       string          `json:"StaticDir"`
	OCIConfigPath   string          `json:"OCIConfigPath,omitempty"`
	OCIRuntime      string          `json:"OCIRuntime,omitempty"`
	ConmonPidFile   string          `json:"ConmonPidFile"`
	PidFile         string          `json:"PidFile"`
	Name            string          `json:"Name"`
	RestartCount    int32           `json:"RestartCount"`
	Driver          string          `json:"Driver"`
	MountLabel      string          `json:"MountLabel"`
	ProcessLabel    string          `json:"ProcessLabel"`
	AppArmorProfile string          `json:"AppArmorProfile"`
	EffectiveCaps   []string        `json:"EffectiveCaps"`
	BoundingCaps    []string        `json:"BoundingCaps"`
	ExecIDs         []string        `json:"ExecIDs"`
	GraphDriver     GraphDriverData `json:"GraphDriver"`
	SizeRw          *int64          `json:"SizeRw,omitempty"`
	SizeRootFs      int64           `json:"SizeRootFs,omitempty"`
	Mounts          []Mount         `json:"Mounts"`
	Dependencies    []string        `json:"Dependencies"`
	NetworkSettings NetworkSettings `json:"NetworkSettings"`
	Namespace       string          `json:"Namespace"`
	IsInfra         bool            `json:"IsInfra"`
	IsService       bool            `json:"IsService"`
	Config          ContainerConfig `json:"Config"`
	HostConfig      HostConfig      `json:"HostConfig"`
}

// ContainerState is the State block of inspect.
type ContainerState struct {
	OciVersion     string        `json:"OciVersion"`
	Status         string        `json:"Status"` // created, running, paused, stopped, exited, removing
	Running        bool          `json:"Running"`
	Paused         bool          `json:"Paused"`
	Restarting     bool          `json:"Restarting"`
	OOMKilled      bool          `json:"OOMKilled"`
	Dead           bool          `json:"Dead"`
	Pid            int           `json:"Pid"`
	ConmonPid      int           `json:"ConmonPid,omitempty"`
	ExitCode       int32         `json:"ExitCode"`
	Error          string        `json:"Error"`
	StartedAt      time.Time     `json:"StartedAt"`
	FinishedAt     time.Time     `json:"FinishedAt"`
	Health         *HealthStatus `json:"Health,omitempty"`
	CgroupPath     string        `json:"CgroupPath,omitempty"`
	CheckpointedAt time.Time     `json:"CheckpointedAt,omitempty"`
	RestoredAt     time.Time     `json:"RestoredAt,omitempty"`
}

// HealthStatus is the health check state.
type HealthStatus struct {
	Status        string `json:"Status"`
	FailingStreak int    `json:"FailingStreak"`
	Log           []struct {
		Start    string `json:"Start"`
		End      string `json:"End"`
		ExitCode int    `json:"ExitCode"`
		Output   string `json:"Output"`
	} `json:"Log"`
}

// GraphDriverData names the storage driver and its paths.
type GraphDriverData struct {
	Name string            `json:"Name"`
	Data map[string]string `json:"Data"`
}

// NetworkSettings is the network block of inspect.
type NetworkSettings struct {
	EndpointID             string                       `json:"EndpointID"`
	Gateway                string                       `json:"Gateway"`
	IPAddress              string                       `json:"IPAddress"`
	IPPrefixLen            int                          `json:"IPPrefixLen"`
	IPv6Gateway            string                       `json:"IPv6Gateway"`
	GlobalIPv6Address      string                       `json:"GlobalIPv6Address"`
	GlobalIPv6PrefixLen    int                          `json:"GlobalIPv6PrefixLen"`
	MacAddress             string                       `json:"MacAddress"`
	Bridge                 string                       `json:"Bridge"`
	SandboxID              string                       `json:"SandboxID"`
	HairpinMode            bool                         `json:"HairpinMode"`
	LinkLocalIPv6Address   string                       `json:"LinkLocalIPv6Address"`
	LinkLocalIPv6PrefixLen int                          `json:"LinkLocalIPv6PrefixLen"`
	Ports                  map[string][]InspectHostPort `json:"Ports"`
	SandboxKey             string                       `json:"SandboxKey"`
	Networks               map[string]*NetworkEndpoint  `json:"Networks,omitempty"`
}

// InspectHostPort is one host binding of a container port.
type InspectHostPort struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// NetworkEndpoint is a container's attachment to one network.
type NetworkEndpoint struct {
	EndpointID          string            `json:"EndpointID"`
	Gateway             string            `json:"Gateway"`
	IPAddress           string            `json:"IPAddress"`
	IPPrefixLen         int               `json:"IPPrefixLen"`
	IPv6Gateway         string            `json:"IPv6Gateway"`
	GlobalIPv6Address   string            `json:"GlobalIPv6Address"`
	GlobalIPv6PrefixLen int               `json:"GlobalIPv6PrefixLen"`
	MacAddress          string            `json:"MacAddress"`
	NetworkID           string            `json:"NetworkID"`
	DriverOpts          map[string]string `json:"DriverOpts"`
	IPAMConfig          map[string]string `json:"IPAMConfig"`
	Links               []string          `json:"Links"`
	Aliases             []string          `json:"Aliases"`
}

// ContainerConfig is the Config block of inspect.
type ContainerConfig struct {
	Hostname     string              `json:"Hostname"`
	Domainname   string              `json:"Domainname"`
	User         string              `json:"User"`
	AttachStdin  bool                `json:"AttachStdin"`
	AttachStdout bool                `json:"AttachStdout"`
	AttachStderr bool                `json:"AttachStderr"`
	Tty          bool                `json:"Tty"`
	OpenStdin    bool                `json:"OpenStdin"`
	StdinOnce    bool                `json:"StdinOnce"`
	Env          []string            `json:"Env"`
	Cmd          []string            `json:"Cmd"`
	Image        string              `json:"Image"`
	Volumes      map[string]struct{} `json:"Volumes"`
	WorkingDir   string              `json:"WorkingDir"`
	// Entrypoint is the entrypoint joined with spaces, as Podman 4.3 prints it.
	Entrypoint  string            `json:"Entrypoint"`
	OnBuild     []string          `json:"OnBuild"`
	Labels      map[string]string `json:"Labels"`
	Annotations map[string]string `json:"Annotations"`
	// StopSignal is the signal number, as Podman 4.3 prints it.
	StopSignal                 uint                `json:"StopSignal"`
	Healthcheck                *HealthConfig       `json:"Healthcheck,omitempty"`
	HealthcheckOnFailureAction string              `json:"HealthcheckOnFailureAction,omitempty"`
	CreateCommand              []string            `json:"CreateCommand,omitempty"`
	Timezone                   string              `json:"Timezone,omitempty"`
	Umask                      string              `json:"Umask,omitempty"`
	Timeout                    uint                `json:"Timeout"`
	StopTimeout                uint                `json:"StopTimeout"`
	Passwd                     *bool               `json:"Passwd,omitempty"`
	SdNotifyMode               string              `json:"sdNotifyMode,omitempty"`
	ExposedPorts               map[string]struct{} `json:"ExposedPorts,omitempty"`
}

// HostConfig is the HostConfig block of inspect (Docker-shaped, as Podman's).
type HostConfig struct {
	Binds           []string                     `json:"Binds"`
	CgroupManager   string                       `json:"CgroupManager,omitempty"`
	CgroupMode      string                       `json:"CgroupMode"`
	ContainerIDFile string                       `json:"ContainerIDFile"`
	LogConfig       LogConfig                    `json:"LogConfig"`
	NetworkMode     string                       `json:"NetworkMode"`
	PortBindings    map[string][]InspectHostPort `json:"PortBindings"`
	RestartPolicy   RestartPolicy                `json:"RestartPolicy"`
	AutoRemove      bool                         `json:"AutoRemove"`
	VolumeDriver    string                       `json:"VolumeDriver"`
	VolumesFrom     []string                     `json:"VolumesFrom"`
	CapAdd          []string                     `json:"CapAdd"`
	CapDrop         []string                     `json:"CapDrop"`
	Dns             []string                     `json:"Dns"`
	DnsOptions      []string                     `json:"DnsOptions"`
	DnsSearch       []string                     `json:"DnsSearch"`
	ExtraHosts      []string                     `json:"ExtraHosts"`
	GroupAdd        []string                     `json:"GroupAdd"`
	IpcMode         string                       `json:"IpcMode"`
	Cgroup          string                       `json:"Cgroup"`
	Cgroups         string                       `json:"Cgroups"`
	Links           []string                     `json:"Links"`
	OomScoreAdj     int                          `json:"OomScoreAdj"`
	PidMode         string                       `json:"PidMode"`
	Privileged      bool                         `json:"Privileged"`
	PublishAllPorts bool                         `json:"PublishAllPorts"`
	ReadonlyRootfs  bool                         `json:"ReadonlyRootfs"`
	SecurityOpt     []string                     `json:"SecurityOpt"`
	Tmpfs           map[string]string            `json:"Tmpfs"`
	UTSMode         string                       `json:"UTSMode"`
	UsernsMode      string                       `json:"UsernsMode"`
	ShmSize         int64                        `json:"ShmSize"`
	Runtime         string                       `json:"Runtime"`
	ConsoleSize     []uint                       `json:"ConsoleSize"`
	Isolation       string                       `json:"Isolation"`
	CpuShares       uint64                       `json:"CpuShares"`
	Memory          int64                        `json:"Memory"`
	NanoCpus        int64                        `json:"NanoCpus"`
	CgroupParent    string                       `json:"CgroupParent"`
	BlkioWeight     uint16                       `json:"BlkioWeight"`
	// The Blkio* device lists, CgroupConf and the Cpu*/IO*/DiskQuota/KernelMemory
	// numbers are Podman's fields for flags Selkie does not take (null / 0 as Podman shows them unset).
	BlkioWeightDevice    []string          `json:"BlkioWeightDevice"`
	BlkioDeviceReadBps   []string          `json:"BlkioDeviceReadBps"`
	BlkioDeviceWriteBps  []string          `json:"BlkioDeviceWriteBps"`
	BlkioDeviceReadIOps  []string          `json:"BlkioDeviceReadIOps"`
	BlkioDeviceWriteIOps []string          `json:"BlkioDeviceWriteIOps"`
	CpuPeriod            uint64            `json:"CpuPeriod"`
	CpuQuota             int64             `json:"CpuQuota"`
	CpuRealtimePeriod    uint64            `json:"CpuRealtimePeriod"`
	CpuRealtimeRuntime   int64             `json:"CpuRealtimeRuntime"`
	CpusetCpus           string            `json:"CpusetCpus"`
	CpusetMems           string            `json:"CpusetMems"`
	Devices              []DeviceMapping   `json:"Devices"`
	DeviceCgroupRules    []string          `json:"DeviceCgroupRules"`
	DiskQuota            uint64            `json:"DiskQuota"`
	KernelMemory         int64             `json:"KernelMemory"`
	MemoryReservation    int64             `json:"MemoryReservation"`
	MemorySwap           int64             `json:"MemorySwap"`
	MemorySwappiness     int64             `json:"MemorySwappiness"`
	OomKillDisable       bool              `json:"OomKillDisable"`
	PidsLimit            int64             `json:"PidsLimit"`
	Ulimits              []Ulimit          `json:"Ulimits"`
	CpuCount             uint64            `json:"CpuCount"`
	CpuPercent           uint64            `json:"CpuPercent"`
	IOMaximumIOps        uint64            `json:"IOMaximumIOps"`
	IOMaximumBandwidth   uint64            `json:"IOMaximumBandwidth"`
	CgroupConf           map[string]string `json:"CgroupConf"`
	CookieIDs            []string          `json:"CookieIDs,omitempty"`
	Init                 bool              `json:"Init"`
}

// LogConfig is the log driver and its options.
type LogConfig struct {
	Type   string            `json:"Type"`
	Config map[string]string `json:"Config"`
	Path   string            `json:"Path"`
	Tag    string            `json:"Tag"`
	Size   string            `json:"Size"`
}

// RestartPolicy is --restart.
type RestartPolicy struct {
	Name              string `json:"Name"`
	MaximumRetryCount uint   `json:"MaximumRetryCount"`
}

// DeviceMapping is one --device.
type DeviceMapping struct {
	PathOnHost        string `json:"PathOnHost"`
	PathInContainer   string `json:"PathInContainer"`
	CgroupPermissions string `json:"CgroupPermissions"`
}
