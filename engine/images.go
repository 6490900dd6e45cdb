package engine

import (
	"context"
	"io"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Images is the image part of the engine (issue #2). Every method acts on one
// image (or, for save, on the one archive it writes); loops over many names
// live in the caller. Progress is written to the progress writer as the
// line-based messages Podman prints ("Copying blob …"); nil means silent.
type Images interface {
	// ImagePull copies an image (every tag with o.AllTags) into local
	// storage and returns the IDs of the images pulled. A reference without
	// a transport is a registry reference; short names are resolved through
	// registries.conf.
	ImagePull(ctx context.Context, ref string, o ImagePullOptions, progress io.Writer) (ImagePullReport, error)
	// ImagePush copies a local image to destination (a reference with or
	// without a transport; empty means the image's own name on its registry).
	ImagePush(ctx context.Context, source, destination string, o ImagePushOptions, progress io.Writer) error
	// ImageList lists the images in local storage matching o.Filters.
	ImageList(ctx context.Context, o ImageListOptions) ([]ImageSummary, error)
	// ImageInspect returns Podman's inspect document for one local image.
	ImageInspect(ctx context.Context, nameOrID string) (*ImageInspect, error)
	// ImageExists reports whether nameOrID names a local image (no error for "no").
	ImageExists(ctx context.Context, nameOrID string) (bool, error)
	// ImageRemove removes one image (or, if nameOrID is one of several names
	// of the image, only that name). Containers using it make it fail with
	// ErrImageInUse unless o.Force, which removes them first.
	ImageRemove(ctx context.Context, nameOrID string, o ImageRemoveOptions) (ImageRemoveReport, error)
	// ImageTag adds newName to the image.
	ImageTag(ctx context.Context, nameOrID, newName string) error
	// ImageUntag removes name from the image; an empty name removes every name.
	ImageUntag(ctx context.Context, nameOrID, name string) error
	// ImagePrune removes dangling images (every unused image with o.All).
	ImagePrune(ctx context.Context, o ImagePruneOptions) ([]ImagePruneReport, error)
	// ImageHistory lists the image's history, newest first.
	ImageHistory(ctx context.Context, nameOrID string) ([]ImageHistoryEntry, error)
	// ImageTree renders the image's layer tree as `podman image tree`
	// prints it (text, as Podman's libpod API returns it).
	ImageTree(ctx context.Context, nameOrID string, o ImageTreeOptions) (string, error)
	// ImageSave writes the images to o.Output, or to w when o.Output is empty
	// (archive formats only).
	ImageSave(ctx context.Context, names []string, o ImageSaveOptions, w io.Writer) error
	// ImageLoad loads the images of an archive (o.Input, or r when empty) into
	// local storage and returns their names (or IDs when unnamed).
	ImageLoad(ctx context.Context, r io.Reader, o ImageLoadOptions, progress io.Writer) (ImageLoadReport, error)
	// ImageImport makes a one-layer image from a tarball of a filesystem
	// (o.Source: a path, a URL, or "-" for r) and returns its ID.
	ImageImport(ctx context.Context, r io.Reader, o ImageImportOptions, progress io.Writer) (string, error)
	// Login checks the credentials against the registry and stores them in
	// the auth file.
	Login(ctx context.Context, registry string, o LoginOptions) error
	// Logout removes stored credentials for registry (every one with o.All).
	Logout(ctx context.Context, registry string, o LogoutOptions) error
}

// Pull policies, as in Podman's --pull and containers.conf pull_policy.
const (
	PullPolicyAlways  = "always"
	PullPolicyMissing = "missing"
	PullPolicyNever   = "never"
	PullPolicyNewer   = "newer"
)

// RegistryOptions are the registry access settings shared by pull, push and login.
type RegistryOptions struct {
	// AuthFile is the auth.json path (default: REGISTRY_AUTH_FILE, then
	// ${XDG_RUNTIME_DIR}/containers/auth.json).
	AuthFile string `json:"authfile,omitempty"`
	// Creds is "user[:password]".
	Creds string `json:"creds,omitempty"`
	// Username and Password are used when Creds is empty.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	CertDir  string `json:"certdir,omitempty"`
	// TLSVerify: nil keeps registries.conf's setting.
	TLSVerify *bool `json:"tlsverify,omitempty"`
	// SignaturePolicy is a policy.json path (default /etc/containers/policy.json).
	SignaturePolicy string `json:"signaturepolicy,omitempty"`
	// Retry is the number of retries (nil: containers.conf's retry, 3).
	Retry *uint `json:"retry,omitempty"`
	// RetryDelay is the delay between retries ("" : exponential from 1s).
	RetryDelay string `json:"retrydelay,omitempty"`
}

// ImagePullOptions controls pull.
type ImagePullOptions struct {
	RegistryOptions
	AllTags bool `json:"alltags,omitempty"`
	// Platform selects an image from a manifest list.
	OS      string `json:"os,omitempty"`
	Arch    string `json:"arch,omitempty"`
	Variant string `json:"variant,omitempty"`
	// Policy is the pull policy (default always for pull).
	Policy string `json:"policy,omitempty"`
	// Quiet suppresses the progress messages.
	Quiet bool `json:"quiet,omitempty"`
}

// ImagePullReport lists the IDs of the pulled images.
type ImagePullReport struct {
	Images []string `json:"images"`
}

// ImagePushOptions controls push.
type ImagePushOptions struct {
	RegistryOptions
	// Format forces the manifest type: oci, v2s2 or v2s1.
	Format           string `json:"format,omitempty"`
	RemoveSignatures bool   `json:"removesignatures,omitempty"`
	Compress         bool   `json:"compress,omitempty"`
	Quiet            bool   `json:"quiet,omitempty"`
	// DigestFile receives the digest of the pushed manifest.
	DigestFile string `json:"digestfile,omitempty"`
}

// ImageListOptions controls images.
type ImageListOptions struct {
	All     bool     `json:"all,omitempty"`
	Filters []string `json:"filters,omitempty"` // key=value, as on the command line
}

// ImageSummary is one image as `images --format json` prints it.
type ImageSummary struct {
	ID           string            `json:"Id"`
	ParentID     string            `json:"ParentId"`
	RepoTags     []string          `json:"RepoTags"`
	RepoDigests  []string          `json:"RepoDigests"`
	Size         int64             `json:"Size"`
	SharedSize   int64             `json:"SharedSize"`
	VirtualSize  int64             `json:"VirtualSize"`
	Labels       map[string]string `json:"Labels"`
	Containers   int               `json:"Containers"`
	ReadOnly     bool              `json:"ReadOnly,omitempty"`
	Dangling     bool              `json:"Dangling,omitempty"`
	Names        []string          `json:"Names,omitempty"`
	Digest       string            `json:"Digest,omitempty"`
	ConfigDigest string            `json:"ConfigDigest,omitempty"`
	History      []string          `json:"History,omitempty"`
	Created      int64             `json:"Created"`
	CreatedAt    time.Time         `json:"CreatedAt"`
}

// ImageInspect is Podman's ImageData: the `image inspect` document.
type ImageInspect struct {
	ID           string             `json:"Id"`
	Digest       string             `json:"Digest"`
	RepoTags     []string           `json:"RepoTags"`
	RepoDigests  []string           `json:"RepoDigests"`
	Parent       string             `json:"Parent"`
	Comment      string             `json:"Comment"`
	Created      *time.Time         `json:"Created"`
	Config       *v1.ImageConfig    `json:"Config"`
	Version      string             `json:"Version"`
	Author       string             `json:"Author"`
	Architecture string             `json:"Architecture"`
	Os           string             `json:"Os"`
	Size         int64              `json:"Size"`
	VirtualSize  int64              `json:"VirtualSize"`
	GraphDriver  *ImageGraphDriver  `json:"GraphDriver"`
	RootFS       *ImageRootFS       `json:"RootFS"`
	Labels       map[string]string  `json:"Labels"`
	Annotations  map[string]string  `json:"Annotations"`
	ManifestType string             `json:"ManifestType"`
	User         string             `json:"User"`
	History      []v1.History       `json:"History"`
	NamesHistory []string           `json:"NamesHistory"`
	HealthCheck  *ImageHealthConfig `json:"Healthcheck,omitempty"`
}

// ImageGraphDriver names the storage driver and its paths for the image's top layer.
type ImageGraphDriver struct {
	Name string            `json:"Name"`
	Data map[string]string `json:"Data"`
}

// ImageRootFS lists the image's layer diff IDs.
type ImageRootFS struct {
	Type   string   `json:"Type"`
	Layers []string `json:"Layers"`
}

// ImageHealthConfig is the Docker-format image healthcheck.
type ImageHealthConfig struct {
	Test        []string      `json:"Test,omitempty"`
	StartPeriod time.Duration `json:"StartPeriod,omitempty"`
	Interval    time.Duration `json:"Interval,omitempty"`
	Timeout     time.Duration `json:"Timeout,omitempty"`
	Retries     int           `json:"Retries,omitempty"`
}

// ImageRemoveOptions controls rmi.
type ImageRemoveOptions struct {
	// Force removes containers using the image, and the image even when it
	// has several names.
	Force bool `json:"force,omitempty"`
	// AllNames removes the image with all its names even when it has several
	// and was named by ID (rmi --all); containers still need Force.
	AllNames bool `json:"allnames,omitempty"`
}

// ImageRemoveReport says what rmi did: names removed, images deleted.
type ImageRemoveReport struct {
	Untagged []string `json:"Untagged,omitempty"`
	Deleted  []string `json:"Deleted,omitempty"`
	// RemovedContainers lists containers removed because of Force.
	RemovedContainers []string `json:"RemovedContainers,omitempty"`
}

// ImagePruneOptions controls image prune.
type ImagePruneOptions struct {
	All     bool     `json:"all,omitempty"`
	Filters []string `json:"filters,omitempty"`
}

// ImagePruneReport is one image removed by prune.
type ImagePruneReport struct {
	ID   string `json:"Id"`
	Size int64  `json:"Size"`
}

// ImageHistoryEntry is one history line; names follow Podman's JSON.
type ImageHistoryEntry struct {
	ID        string    `json:"id"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"createdBy"`
	Size      int64     `json:"size"`
	Comment   string    `json:"comment"`
	Tags      []string  `json:"tags"`
}

// Save formats.
const (
	SaveFormatDockerArchive = "docker-archive"
	SaveFormatOCIArchive    = "oci-archive"
	SaveFormatOCIDir        = "oci-dir"
	SaveFormatDockerDir     = "docker-dir"
)

// ImageSaveOptions controls save.
type ImageSaveOptions struct {
	// Format is one of the SaveFormat constants (default docker-archive).
	Format string `json:"format,omitempty"`
	// Output is a file (archives) or a directory (dir formats); empty: w.
	Output string `json:"output,omitempty"`
	// Compress compresses layers (dir formats).
	Compress bool `json:"compress,omitempty"`
	// MultiImageArchive allows several images in one oci-archive (docker
	// archives always allow it).
	MultiImageArchive bool `json:"multiimagearchive,omitempty"`
	Quiet             bool `json:"quiet,omitempty"`
	// Progress receives copy progress (bars on a terminal), as Podman
	// shows when saving to a file from a terminal; nil: none. Local only.
	Progress io.Writer `json:"-"`
}

// ImageTreeOptions controls image tree.
type ImageTreeOptions struct {
	// WhatRequires shows the layers and images built on the image instead
	// of the image's own layers.
	WhatRequires bool `json:"whatrequires,omitempty"`
}

// ImageLoadOptions controls load.
type ImageLoadOptions struct {
	// Input is the archive path; empty reads the reader.
	Input string `json:"input,omitempty"`
	// SignaturePolicy is a policy.json path.
	SignaturePolicy string `json:"signaturepolicy,omitempty"`
	Quiet           bool   `json:"quiet,omitempty"`
}

// ImageLoadReport lists the names (or IDs) of the loaded images.
type ImageLoadReport struct {
	Names []string `json:"Names"`
}

// ImageImportOptions controls import.
type ImageImportOptions struct {
	// Source is a tarball path, an http(s) URL, or "-" for the reader.
	Source string `json:"source"`
	// Reference names the new image (optional).
	Reference string `json:"reference,omitempty"`
	// Changes are Dockerfile instructions (CMD, ENTRYPOINT, ENV, EXPOSE,
	// LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL, ONBUILD).
	Changes []string `json:"changes,omitempty"`
	Message string   `json:"message,omitempty"`
	OS      string   `json:"os,omitempty"`
	Arch    string   `json:"arch,omitempty"`
	Variant string   `json:"variant,omitempty"`
	// SignaturePolicy is a policy.json path.
	SignaturePolicy string `json:"signaturepolicy,omitempty"`
	Quiet           bool   `json:"quiet,omitempty"`
}

// LoginOptions controls login.
type LoginOptions struct {
	AuthFile string `json:"authfile,omitempty"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	CertDir  string `json:"certdir,omitempty"`
	// TLSVerify: nil keeps registries.conf's setting.
	TLSVerify *bool `json:"tlsverify,omitempty"`
}

// LogoutOptions controls logout.
type LogoutOptions struct {
	AuthFile string `json:"authfile,omitempty"`
	All      bool   `json:"all,omitempty"`
}
