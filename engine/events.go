package engine

import (
	"context"
	"time"
)

// Event types, as Podman names them.
const (
	EventTypeContainer = "container"
	EventTypeImage     = "image"
	EventTypeNetwork   = "network"
	EventTypePod       = "pod"
	EventTypeSystem    = "system"
	EventTypeVolume    = "volume"
)

// Event is one line of the events log; its JSON is Podman's file-backend
// format (and `podman events --format json`).
type Event struct {
	ContainerExitCode int               `json:"ContainerExitCode,omitempty"`
	ID                string            `json:"ID,omitempty"`
	Image             string            `json:"Image,omitempty"`
	Name              string            `json:"Name,omitempty"`
	Network           string            `json:"Network,omitempty"`
	Status            string            `json:"Status"`
	Time              time.Time         `json:"Time"`
	Type              string            `json:"Type"`
	PodID             string            `json:"PodID,omitempty"`
	Attributes        map[string]string `json:"Attributes"`
}

// EventsOptions selects events. Filters are "key=value" (type, container,
// image, event/status, label, pod, volume, network); values of one key are
// ORed, keys are ANDed. Since and Until are timestamps or durations ("10m").
// Without Stream the log is read to its end; with it the call follows the log
// until ctx ends or Until passes.
type EventsOptions struct {
	Filters []string `json:"filters,omitempty"`
	Since   string   `json:"since,omitempty"`
	Until   string   `json:"until,omitempty"`
	Stream  bool     `json:"stream"`
}

// EventsReader reads the engine's event log.
type EventsReader interface {
	// Events calls fn for each selected event, oldest first; an error from
	// fn ends the call with that error.
	Events(ctx context.Context, opts EventsOptions, fn func(Event) error) error
}
