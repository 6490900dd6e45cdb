package engine

import (
	"context"
	"io"
)

// Builder builds images from Containerfiles (issue #8).
type Builder interface {
	// Build runs the Containerfile(s) in o against the context and returns
	// the final image. Step output (STEP n/m, RUN output, COMMIT, --> id)
	// goes to o.Out unless o.Quiet.
	Build(ctx context.Context, o BuildOptions) (*BuildReport, error)
}

// BuildOptions is everything `build` accepts.
type BuildOptions struct {
	// ContextDir is the build context directory. When ContextArchive is set
	// it is extracted (confined) into a temporary directory instead.
	ContextDir     string    `json:"contextDir,omitempty"`
	ContextArchive io.Reader `json:"-"`
	// Containerfiles are paths (relative ones are taken in the context);
	// empty means Containerfile, then Dockerfile, in the context.
	Containerfiles []string `json:"containerfiles,omitempty"`
	// ContainerfileData, when set, is the Containerfile itself (-f -).
	ContainerfileData []byte `json:"containerfileData,omitempty"`
	// BuildContexts are --build-context NAME=VALUE: a directory, a URL
	// (as a context), docker-image://REF or container-image://REF; COPY
	// --from, RUN --mount from= and FROM take NAME before a stage or image.
	BuildContexts map[string]string `json:"buildContexts,omitempty"`
	// IgnoreFile replaces <context>/.containerignore and .dockerignore.
	IgnoreFile string `json:"ignoreFile,omitempty"`

	Tags        []string          `json:"tags,omitempty"`
	BuildArgs   map[string]string `json:"buildArgs,omitempty"`
	Target      string            `json:"target,omitempty"`
	Labels      []string          `json:"labels,omitempty"`      // KEY=VALUE
	Annotations []string          `json:"annotations,omitempty"` // KEY=VALUE
	Env         []string          `json:"env,omitempty"`         // KEY=VALUE or KEY (from the caller's environment, resolved by the caller)
	// Layers keeps an intermediate image per step and uses them as a cache.
	Layers     bool   `json:"layers"`
	NoCache    bool   `json:"noCache,omitempty"`
	PullPolicy string `json:"pullPolicy,omitempty"` // always, missing, never, newer
	// Registry holds the options of base image pulls (--tls-verify,
	// --authfile, --creds, --cert-dir, --retry, --retry-delay).
	Registry  RegistryOptions `json:"registry"`
	Squash    bool            `json:"squash,omitempty"`
	SquashAll bool            `json:"squashAll,omitempty"`
	Format    string          `json:"format,omitempty"` // oci (default) or docker
	IIDFile   string          `json:"iidFile,omitempty"`
	Quiet     bool            `json:"quiet,omitempty"`
	// Platform is --platform: only the native OS/ARCH is supported.
	Platform string `json:"platform,omitempty"`
	// From replaces the image of the first FROM.
	From string `json:"from,omitempty"`
	// Timestamp, when set, is the creation time (Unix seconds) of the image and its history.
	Timestamp *int64 `json:"timestamp,omitempty"`
	// Remove removes intermediate containers after a successful build, ForceRemove after a failed one too.
	Remove      bool `json:"rm"`
	ForceRemove bool `json:"forceRm,omitempty"`
	// AllStages builds every stage up to the target, also those it does
	// not need (--skip-unused-stages=false).
	AllStages bool `json:"allStages,omitempty"`
	// OmitHistory leaves the final image without history entries.
	OmitHistory bool `json:"omitHistory,omitempty"`
	// Output exports the final image's rootfs too: type=local,dest=DIR,
	// type=tar,dest=FILE, or DIR alone.
	Output string `json:"output,omitempty"`
	// UnsetEnv are variables removed from the final image's config.
	UnsetEnv []string `json:"unsetEnv,omitempty"`
	// Jobs is how many independent stages run at once (1 as Podman; 0 = no limit).
	Jobs int `json:"jobs"`

	// RUN settings.
	Network string   `json:"network,omitempty"`
	Volumes []string `json:"volumes,omitempty"`
	CapAdd  []string `json:"capAdd,omitempty"`
	CapDrop []string `json:"capDrop,omitempty"`
	NoHosts bool     `json:"noHosts,omitempty"`
	// Secrets are id=ID,src=PATH (or env=NAME) for RUN --mount=type=secret.
	Secrets []string `json:"secrets,omitempty"`
	// ProxyEnv are the caller's proxy variables (KEY=VALUE) given to
	// every RUN (--http-proxy), never stored in the image or its history.
	ProxyEnv []string `json:"proxyEnv,omitempty"`
	// Run holds the container settings of every RUN.
	Run BuildRunOptions `json:"run"`
	// SSH are --ssh values for RUN --mount=type=ssh: default, ID, or
	// ID=SOCKET|KEY[,KEY…]; SSHAuthSock is the caller's SSH_AUTH_SOCK.
	SSH         []string `json:"ssh,omitempty"`
	SSHAuthSock string   `json:"sshAuthSock,omitempty"`

	// Stdin, when set, is the standard input of RUN steps (--stdin).
	Stdin io.Reader `json:"-"`
	// Out receives the build's progress; Err the warnings.
	Out io.Writer `json:"-"`
	Err io.Writer `json:"-"`
}

// BuildReport is the result of a build.
type BuildReport struct {
	ID    string   `json:"Id"`
	Names []string `json:"Names,omitempty"`
}

// BuildRunOptions are container settings for every RUN step, from
// Podman's build flags of the same names.
type BuildRunOptions struct {
	AddHosts    []string  `json:"addHosts,omitempty"`
	DNSServers  []string  `json:"dnsServers,omitempty"`
	DNSSearch   []string  `json:"dnsSearch,omitempty"`
	DNSOptions  []string  `json:"dnsOptions,omitempty"`
	SecurityOpt []string  `json:"securityOpt,omitempty"`
	Devices     []string  `json:"devices,omitempty"`
	Resources   Resources `json:"resources"`
	ShmSize     *int64    `json:"shmSize,omitempty"`
	Ulimits     []Ulimit  `json:"ulimits,omitempty"`
	IPCMode     string    `json:"ipc,omitempty"`
	PIDMode     string    `json:"pid,omitempty"`
	UTSMode     string    `json:"uts,omitempty"`
	CgroupNS    string    `json:"cgroupns,omitempty"`
	UserNS      string    `json:"userns,omitempty"`
}
