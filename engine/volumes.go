package engine

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrVolumeInUse: a volume that containers use cannot be removed without force.
var ErrVolumeInUse = errors.New("volume is being used")

// ErrVolumeExists: volume create of a name that is taken (without Ignore).
var ErrVolumeExists = errors.New("volume already exists")

// Volumes manages named volumes. Every method acts on one volume.
type Volumes interface {
	// VolumeCreate makes a volume (a directory under the volume path, or a
	// mount description for --opt type=/device=/o=). With o.Ignore an
	// existing volume of that name is returned unchanged.
	VolumeCreate(ctx context.Context, o VolumeCreateOptions) (*Volume, error)
	// VolumeList returns the volumes matching o.Filters, sorted by name.
	VolumeList(ctx context.Context, o VolumeListOptions) ([]*Volume, error)
	// VolumeInspect returns one volume by name.
	VolumeInspect(ctx context.Context, name string) (*Volume, error)
	// VolumeRemove deletes a volume. A volume in use is refused
	// (ErrVolumeInUse) unless o.Force, which first removes its users.
	VolumeRemove(ctx context.Context, name string, o VolumeRemoveOptions) error
	// VolumePrune removes every unused volume matching o.Filters.
	VolumePrune(ctx context.Context, o VolumePruneOptions) ([]VolumePruneReport, error)
	// VolumeExists reports whether name names a volume.
	VolumeExists(ctx context.Context, name string) (bool, error)
	// VolumeExport writes the volume's content as a tar stream.
	VolumeExport(ctx context.Context, name string, w io.Writer) error
	// VolumeImport extracts a tar stream (possibly compressed) into the
	// volume; entries are confined to the volume.
	VolumeImport(ctx context.Context, name string, r io.Reader) error
	// VolumeMount mounts the volume (a no-op for plain directories) and
	// returns its host path.
	VolumeMount(ctx context.Context, name string) (string, error)
	// VolumeUnmount undoes one VolumeMount.
	VolumeUnmount(ctx context.Context, name string) error
}

// Volume is a named volume; its JSON is Podman's `volume inspect`.
type Volume struct {
	Name       string            `json:"Name"`
	Driver     string            `json:"Driver"`
	Mountpoint string            `json:"Mountpoint"`
	CreatedAt  time.Time         `json:"CreatedAt"`
	Status     map[string]any    `json:"Status,omitempty"`
	Labels     map[string]string `json:"Labels"`
	Scope      string            `json:"Scope"`
	Options    map[string]string `json:"Options"`
	UID        int               `json:"UID,omitempty"`
	GID        int               `json:"GID,omitempty"`
	Anonymous  bool              `json:"Anonymous,omitempty"`
	MountCount uint              `json:"MountCount"`
	// NeedsCopyUp: the volume is still to be populated from the image
	// content at its mount point (cleared before the first copy-up).
	NeedsCopyUp bool `json:"NeedsCopyUp,omitempty"`
	NeedsChown  bool `json:"NeedsChown,omitempty"`
}

// VolumeCreateOptions are the flags of `volume create`.
type VolumeCreateOptions struct {
	Name    string            `json:"Name,omitempty"`
	Driver  string            `json:"Driver,omitempty"`
	Labels  map[string]string `json:"Labels,omitempty"`
	Options map[string]string `json:"Options,omitempty"`
	Ignore  bool              `json:"IgnoreIfExists,omitempty"`
	// Anonymous marks a volume made for one container (-v /dst, image VOLUME).
	Anonymous bool `json:"Anonymous,omitempty"`
}

// VolumeListOptions controls `volume ls`: name, label, driver, dangling,
// scope, opt, until filters.
type VolumeListOptions struct {
	Filters map[string][]string `json:"filters,omitempty"`
}

// VolumeRemoveOptions controls `volume rm`.
type VolumeRemoveOptions struct {
	Force   bool  `json:"force,omitempty"`
	Timeout *uint `json:"timeout,omitempty"`
}

// VolumePruneOptions controls `volume prune`.
type VolumePruneOptions struct {
	Filters map[string][]string `json:"filters,omitempty"`
}

// VolumePruneReport is one pruned volume.
type VolumePruneReport struct {
	Name string `json:"Id"`
	Size uint64 `json:"Size"`
	Err  string `json:"Err,omitempty"`
}
