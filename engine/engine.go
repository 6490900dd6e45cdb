// Package engine is Selkie's one contract: the Engine interface and the plain
// option, report and error types that the CLI, the REST server and the remote
// client share. It imports nothing of Selkie's own and no storage or HTTP types.
package engine

import "context"

// Engine is everything Selkie can do. local.New implements it on this host;
// remote.New implements it over the libpod REST API.
type Engine interface {
	Images
	Builder
	Containers
	Pods
	ContainerCopier
	Volumes
	ImageMounter
	Networks
	System
	// Close releases the store, the state database and any locks held.
	Close() error
}

// System covers engine-wide information.
type System interface {
	// Info reports the host, the store, the registries and the runtime.
	Info(ctx context.Context) (*InfoReport, error)
	EventsReader
	DiskUsager
	ImageSearcher
}
