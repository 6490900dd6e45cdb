package engine

// VersionReport is what `selkie version` prints.
type VersionReport struct {
	Version    string `json:"Version"`
	APIVersion string `json:"APIVersion"`
	GoVersion  string `json:"GoVersion"`
	GitCommit  string `json:"GitCommit"`
	BuiltTime  string `json:"BuiltTime"`
	Built      int64  `json:"Built"`
	OsArch     string `json:"OsArch"`
	Os         string `json:"Os"`
}

// InfoReport is what `selkie info` prints; field names follow Podman's.
type InfoReport struct {
	Host       HostInfo                  `json:"host"`
	Store      StoreInfo                 `json:"store"`
	Registries map[string]any            `json:"registries"`
	Plugins    map[string]any            `json:"plugins,omitempty"`
	Version    VersionReport             `json:"version"`
	Extra      map[string]map[string]any `json:"-"`
}

// HostInfo describes the machine and the chosen runtime.
type HostInfo struct {
	Arch           string       `json:"arch"`
	BuildahVersion string       `json:"buildahVersion,omitempty"`
	CgroupManager  string       `json:"cgroupManager"`
	CgroupVersion  string       `json:"cgroupVersion"`
	Conmon         ProgramInfo  `json:"conmon"`
	CPUs           int          `json:"cpus"`
	Distribution   DistInfo     `json:"distribution"`
	Hostname       string       `json:"hostname"`
	Kernel         string       `json:"kernel"`
	MemFree        int64        `json:"memFree"`
	MemTotal       int64        `json:"memTotal"`
	OCIRuntime     ProgramInfo  `json:"ociRuntime"`
	OS             string       `json:"os"`
	Rootless       bool         `json:"rootless"`
	Uptime         string       `json:"uptime"`
	LogDriver      string       `json:"logDriver"`
	NetworkBackend string       `json:"networkBackend"`
	Security       SecurityInfo `json:"security"`

	CgroupControllers []string      `json:"cgroupControllers"`
	EventLogger       string        `json:"eventLogger"`
	IDMappings        IDMappings    `json:"idMappings"`
	Linkmode          string        `json:"linkmode"`
	RemoteSocket      *RemoteSocket `json:"remoteSocket,omitempty"`
	ServiceIsRemote   bool          `json:"serviceIsRemote"`
	Slirp4NetNS       SlirpInfo     `json:"slirp4netns"`
	SwapFree          int64         `json:"swapFree"`
	SwapTotal         int64         `json:"swapTotal"`
}

// SlirpInfo describes the slirp4netns binary rootless networking would use.
type SlirpInfo struct {
	Executable string `json:"executable"`
	Package    string `json:"package"`
	Version    string `json:"version"`
}

// IDMappings are the user namespace mappings of a rootless engine (null as root).
type IDMappings struct {
	GIDMap []IDMap `json:"gidmap"`
	UIDMap []IDMap `json:"uidmap"`
}

// IDMap is one uid or gid range.
type IDMap struct {
	ContainerID int `json:"container_id"`
	HostID      int `json:"host_id"`
	Size        int `json:"size"`
}

// RemoteSocket is the API socket a service would listen on.
type RemoteSocket struct {
	Path   string `json:"path"`
	Exists bool   `json:"exists,omitempty"`
}

// ProgramInfo names a helper binary and its version.
type ProgramInfo struct {
	Name    string `json:"name,omitempty"`
	Package string `json:"package"`
	Path    string `json:"path"`
	Version string `json:"version"`
}

// DistInfo is the host distribution.
type DistInfo struct {
	Distribution string `json:"distribution"`
	Version      string `json:"version"`
	Codename     string `json:"codename,omitempty"`
}

// SecurityInfo summarises host security features.
type SecurityInfo struct {
	Rootless            bool   `json:"rootless"`
	SECCOMPEnabled      bool   `json:"seccompEnabled"`
	SELinuxEnabled      bool   `json:"selinuxEnabled"`
	AppArmorEnabled     bool   `json:"apparmorEnabled"`
	DefaultCapabilities string `json:"capabilities"`
	SECCOMPProfilePath  string `json:"seccompProfilePath"`
}

// StoreInfo describes the containers/storage store.
type StoreInfo struct {
	ConfigFile         string             `json:"configFile"`
	ContainerStore     ContainerCountInfo `json:"containerStore"`
	GraphDriverName    string             `json:"graphDriverName"`
	GraphOptions       map[string]any     `json:"graphOptions"`
	GraphRoot          string             `json:"graphRoot"`
	GraphRootAllocated uint64             `json:"graphRootAllocated"`
	GraphRootUsed      uint64             `json:"graphRootUsed"`
	GraphStatus        map[string]string  `json:"graphStatus"`
	ImageCopyTmpDir    string             `json:"imageCopyTmpDir"`
	ImageStore         CountInfo          `json:"imageStore"`
	RunRoot            string             `json:"runRoot"`
	VolumePath         string             `json:"volumePath"`
}

// ContainerCountInfo counts containers by state (every field is printed).
type ContainerCountInfo struct {
	Number  int `json:"number"`
	Paused  int `json:"paused"`
	Running int `json:"running"`
	Stopped int `json:"stopped"`
}

// CountInfo counts objects in a store.
type CountInfo struct {
	Number  int `json:"number"`
	Paused  int `json:"paused,omitempty"`
	Running int `json:"running,omitempty"`
	Stopped int `json:"stopped,omitempty"`
}
