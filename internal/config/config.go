// Package config loads containers.conf in Podman's order (built-in defaults,
// /usr/share, /etc, $HOME, each with .d drop-ins, then CONTAINERS_CONF and
// CONTAINERS_CONF_OVERRIDE) and resolves the paths Selkie uses, root or rootless.
package config

// Config is the merged containers.conf plus the resolved paths. Only keys
// Selkie acts on are listed; unknown keys are ignored, as Podman does.
type Config struct {
	Containers ContainersConfig `toml:"containers"`
	Engine     EngineConfig     `toml:"engine"`
	Network    NetworkConfig    `toml:"network"`

	// Storage settings; empty means "use storage.conf" (containers/storage defaults).
	GraphRoot     string   `toml:"-"`
	RunRoot       string   `toml:"-"`
	StorageDriver string   `toml:"-"`
	StorageOpts   []string `toml:"-"`
	// RegistriesConf overrides the registries.conf path (--registries-conf).
	RegistriesConf string `toml:"-"`
	// LogLevel is the --log-level flag.
	LogLevel string `toml:"-"`
	// Rootless is true when the caller is not root.
	Rootless bool `toml:"-"`
	// Home is the user's home directory (rootless paths).
	Home string `toml:"-"`
	// RuntimeDir is $XDG_RUNTIME_DIR or its rootless fallback; empty as root.
	RuntimeDir string `toml:"-"`
	// Files lists the containers.conf files that were read, in order.
	Files []string `toml:"-"`
}

// ContainersConfig is the [containers] table.
type ContainersConfig struct {
	Annotations         []string `toml:"annotations"`
	BaseHostsFile       string   `toml:"base_hosts_file"`
	CgroupNS            string   `toml:"cgroupns"`
	Cgroups             string   `toml:"cgroups"`
	DefaultCapabilities []string `toml:"default_capabilities"`
	DefaultSysctls      []string `toml:"default_sysctls"`
	DefaultUlimits      []string `toml:"default_ulimits"`
	Devices             []string `toml:"devices"`
	DNSOptions          []string `toml:"dns_options"`
	DNSSearches         []string `toml:"dns_searches"`
	DNSServers          []string `toml:"dns_servers"`
	Env                 []string `toml:"env"`
	EnvHost             bool     `toml:"env_host"`
	HTTPProxy           bool     `toml:"http_proxy"`
	Init                bool     `toml:"init"`
	InitPath            string   `toml:"init_path"`
	IPCNS               string   `toml:"ipcns"`
	LogDriver           string   `toml:"log_driver"`
	LogSizeMax          int64    `toml:"log_size_max"`
	LogTag              string   `toml:"log_tag"`
	NetNS               string   `toml:"netns"`
	NoHosts             bool     `toml:"no_hosts"`
	PidsLimit           int64    `toml:"pids_limit"`
	PidNS               string   `toml:"pidns"`
	ReadOnly            bool     `toml:"read_only"`
	SeccompProfile      string   `toml:"seccomp_profile"`
	ShmSize             string   `toml:"shm_size"`
	TZ                  string   `toml:"tz"`
	Umask               string   `toml:"umask"`
	UserNS              string   `toml:"userns"`
	UTSNS               string   `toml:"utsns"`
}

// EngineConfig is the [engine] table.
type EngineConfig struct {
	CgroupManager         string              `toml:"cgroup_manager"`
	ConmonPath            []string            `toml:"conmon_path"`
	Env                   []string            `toml:"env"`
	EventsLogger          string              `toml:"events_logger"`
	HelperBinariesDir     []string            `toml:"helper_binaries_dir"`
	ImageDefaultTransport string              `toml:"image_default_transport"`
	InfraCommand          string              `toml:"infra_command"`
	InfraImage            string              `toml:"infra_image"`
	NumLocks              int                 `toml:"num_locks"`
	PullPolicy            string              `toml:"pull_policy"`
	Retry                 int                 `toml:"retry"`
	RetryDelay            string              `toml:"retry_delay"`
	Runtime               string              `toml:"runtime"`
	Runtimes              map[string][]string `toml:"runtimes"`
	StaticDir             string              `toml:"static_dir"`
	StopTimeout           uint                `toml:"stop_timeout"`
	TmpDir                string              `toml:"tmp_dir"`
	VolumePath            string              `toml:"volume_path"`
}

// NetworkConfig is the [network] table.
type NetworkConfig struct {
	DefaultNetwork            string   `toml:"default_network"`
	DefaultSubnet             string   `toml:"default_subnet"`
	DefaultRootlessNetworkCmd string   `toml:"default_rootless_network_cmd"`
	NetavarkPluginDirs        []string `toml:"netavark_plugin_dirs"`
	NetworkBackend            string   `toml:"network_backend"`
	NetworkConfigDir          string   `toml:"network_config_dir"`
}

// Default returns the built-in defaults, Podman's where Podman has one.
func Default() *Config {
	return &Config{
		Containers: ContainersConfig{
			CgroupNS: "private",
			Cgroups:  "enabled",
			DefaultCapabilities: []string{
				"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE",
				"SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
			},
			DefaultSysctls: []string{"net.ipv4.ping_group_range=0 0"},
			Env:            []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			InitPath:       "/usr/libexec/podman/catatonit",
			IPCNS:          "shareable",
			LogDriver:      "k8s-file",
			LogSizeMax:     -1,
			NetNS:          "private",
			PidsLimit:      2048,
			PidNS:          "private",
			SeccompProfile: "",
			ShmSize:        "65536k",
			UserNS:         "host",
			UTSNS:          "private",
		},
		Engine: EngineConfig{
			CgroupManager: "cgroupfs",
			ConmonPath: []string{
				"/usr/libexec/podman/conmon", "/usr/local/libexec/podman/conmon",
				"/usr/local/lib/podman/conmon", "/usr/bin/conmon", "/usr/sbin/conmon",
				"/usr/local/bin/conmon", "/usr/local/sbin/conmon",
			},
			EventsLogger:          "file",
			HelperBinariesDir:     []string{"/usr/local/libexec/podman", "/usr/local/lib/podman", "/usr/libexec/podman", "/usr/lib/podman"},
			ImageDefaultTransport: "docker://",
			InfraCommand:          "",
			NumLocks:              2048,
			PullPolicy:            "missing",
			Retry:                 3,
			Runtime:               "",
			Runtimes: map[string][]string{
				"crun": {"/usr/bin/crun", "/usr/sbin/crun", "/usr/local/bin/crun", "/usr/local/sbin/crun", "/sbin/crun", "/bin/crun", "/run/current-system/sw/bin/crun"},
				"runc": {"/usr/bin/runc", "/usr/sbin/runc", "/usr/local/bin/runc", "/usr/local/sbin/runc", "/sbin/runc", "/bin/runc", "/usr/lib/cri-o-runc/sbin/runc"},
			},
			StopTimeout: 10,
		},
		Network: NetworkConfig{
			DefaultNetwork:            "podman",
			DefaultSubnet:             "10.88.0.0/16",
			DefaultRootlessNetworkCmd: "pasta",
			NetavarkPluginDirs:        []string{"/usr/local/libexec/netavark", "/usr/libexec/netavark", "/usr/local/lib/netavark", "/usr/lib/netavark"},
			NetworkBackend:            "netavark",
		},
	}
}
