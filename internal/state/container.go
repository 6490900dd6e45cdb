// Package state is Selkie's persistent record of containers (and later pods,
// volumes, networks and exec sessions) in SQLite, plus the runtime state that
// lives under the tmpfs run root.
package state

import (
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
)

// Status values, as Podman names them.
const (
	StatusConfigured = "configured" // recorded; not yet created in the runtime
	StatusCreated    = "created"    // created in the runtime, process not started
	StatusRunning    = "running"
	StatusPaused     = "paused"
	StatusStopped    = "stopped" // stopped by the engine, not yet cleaned up
	StatusExited     = "exited"
	StatusRemoving   = "removing"
)

// Container is one container's record. Config is fixed at create time;
// State changes over the container's life.
type Container struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// Options are the create options as the user gave them (after defaults).
	Options engine.ContainerCreateOptions `json:"options"`
	// CreateCommand is the command line that created the container.
	CreateCommand []string `json:"createCommand,omitempty"`

	// Image is the image as resolved at create time.
	ImageID     string    `json:"imageId"`
	ImageName   string    `json:"imageName"`
	ImageDigest string    `json:"imageDigest,omitempty"`
	ImageConfig *v1.Image `json:"imageConfig,omitempty"`

	// Storage: the containers/storage container backing the rootfs.
	StorageID string `json:"storageId"`
	// Runtime is the OCI runtime name chosen at create (runc, crun …).
	Runtime string `json:"runtime"`
	// Pod is the ID of the pod the container belongs to, if any.
	Pod string `json:"pod,omitempty"`

	State ContainerState `json:"state"`
}

// ContainerState is what changes as the container runs.
type ContainerState struct {
	Status     string    `json:"status"`
	Pid        int       `json:"pid,omitempty"`
	ConmonPid  int       `json:"conmonPid,omitempty"`
	ExitCode   int32     `json:"exitCode"`
	OOMKilled  bool      `json:"oomKilled,omitempty"`
	Error      string    `json:"error,omitempty"`
	StartedAt  time.Time `json:"startedAt,omitempty"`
	FinishedAt time.Time `json:"finishedAt,omitempty"`
	// Mountpoint is the rootfs path while mounted.
	Mountpoint   string `json:"mountpoint,omitempty"`
	RestartCount int32  `json:"restartCount,omitempty"`
	// StoppedByUser distinguishes `stop` from an exit (restart policies).
	StoppedByUser bool `json:"stoppedByUser,omitempty"`
	// BootID is the boot the runtime state belongs to; a different boot
	// means the run root was lost and the state must be refreshed.
	BootID string `json:"bootId,omitempty"`
	// Network is what network setup reported; nil when no network is attached.
	Network *NetworkStatus `json:"network,omitempty"`
}

// NetworkStatus is a running container's network attachment (local/network_hook.go).
type NetworkStatus struct {
	// Settings is inspect's NetworkSettings block.
	Settings engine.NetworkSettings `json:"settings"`
	// Ports are the published ports as set up (-P and host port 0 resolved).
	Ports []engine.PortMapping `json:"ports,omitempty"`
	// DNSServers and DNSSearch are aardvark-dns's, for resolv.conf.
	DNSServers []string `json:"dnsServers,omitempty"`
	DNSSearch  []string `json:"dnsSearch,omitempty"`
	// IPs are the container's addresses, for /etc/hosts.
	IPs []string `json:"ips,omitempty"`
	// HostIP is what host.containers.internal resolves to.
	HostIP string `json:"hostIp,omitempty"`
}
