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
}

// StoreInfo describes the containers/storage store.
type StoreInfo struct {
	ConfigFile      string            `json:"configFile"`
	ContainerStore  CountInfo         `json:"containerStore"`
	GraphDriverName string            `json:"graphDriverName"`
	GraphOptions    map[string]any    `json:"graphOptions"`
	GraphRoot       string            `json:"graphRoot"`
	GraphStatus     map[string]string `json:"graphStatus"`
	ImageCopyTmpDir string            `json:"imageCopyTmpDir"`
	ImageStore      CountInfo         `json:"imageStore"`
	RunRoot         string            `json:"runRoot"`
	VolumePath      string            `json:"volumePath"`
}

// CountInfo counts objects in a store.
type CountInfo struct {
	Number  int `json:"number"`
	Paused  int `json:"paused,omitempty"`
	Running int `json:"running,omitempty"`
	Stopped int `json:"stopped,omitempty"`
}
