package wire

import "github.com/selkie-containers/selkie/engine"

// Request bodies of the libpod routes that need more than one engine option
// type. Everything else on those routes is an engine type as is.

// StreamSet says which of the caller's streams are connected.
type StreamSet struct {
	Stdin  bool `json:"stdin,omitempty"`
	Stdout bool `json:"stdout,omitempty"`
	Stderr bool `json:"stderr,omitempty"`
	// TTYSize is the caller's terminal size when the request was made: the
	// service hands it to the engine as the first queued resize, so a PTY
	// has it before the process starts. (A separate resize request would
	// race with the start the upgrade response precedes.)
	TTYSize *engine.TerminalSize `json:"ttySize,omitempty"`
}

// Set returns which of st's streams are non-nil.
func Set(st engine.Streams) StreamSet {
	return StreamSet{Stdin: st.Stdin != nil, Stdout: st.Stdout != nil, Stderr: st.Stderr != nil}
}

// SetTakingSize is Set, plus the size queued first on st.Resize if any (it
// is taken off the channel: the request carries it instead).
func SetTakingSize(st engine.Streams) StreamSet {
	set := Set(st)
	if st.Resize != nil {
		select {
		case sz, ok := <-st.Resize:
			if ok && sz.Width > 0 && sz.Height > 0 {
				set.TTYSize = &sz
			}
		default:
		}
	}
	return set
}

// Resize returns a closed channel holding set's TTYSize, for
// engine.Streams.Resize; nil without one.
func (set StreamSet) Resize() <-chan engine.TerminalSize {
	if set.TTYSize == nil {
		return nil
	}
	ch := make(chan engine.TerminalSize, 1)
	ch <- *set.TTYSize
	close(ch)
	return ch
}

// AttachRequest is POST /libpod/containers/{id}/attach.
type AttachRequest struct {
	Options engine.ContainerAttachOptions `json:"options"`
	Streams StreamSet                     `json:"streams"`
}

// StartRequest is POST /libpod/containers/{id}/start with attached streams.
type StartRequest struct {
	Streams    StreamSet `json:"streams"`
	DetachKeys string    `json:"detachKeys,omitempty"`
}

// ExecStartRequest is POST /libpod/exec/{id}/start.
type ExecStartRequest struct {
	Options engine.ExecStartOptions `json:"options"`
	Streams StreamSet               `json:"streams"`
}

// LogsRequest is the options query of GET /libpod/containers/{id}/logs.
type LogsRequest struct {
	Options engine.ContainerLogsOptions `json:"options"`
	Streams StreamSet                   `json:"streams"`
}

// PushRequest is POST /libpod/images/push.
type PushRequest struct {
	Source      string                  `json:"source"`
	Destination string                  `json:"destination,omitempty"`
	Options     engine.ImagePushOptions `json:"options"`
}

// SaveRequest is POST /libpod/images/save.
type SaveRequest struct {
	Names   []string                `json:"names"`
	Options engine.ImageSaveOptions `json:"options"`
}

// IDResponse carries one ID.
type IDResponse struct {
	ID string `json:"Id"`
}

// ExistsResponse answers the exists routes.
type ExistsResponse struct {
	Exists bool `json:"exists"`
}

// ExitResponse carries an exit code.
type ExitResponse struct {
	ExitCode int32 `json:"exitCode"`
}

// MountResponse carries a mount point.
type MountResponse struct {
	Path string `json:"path"`
}

// ContentType of Selkie's libpod streams (frames ending with a Result).
const ContentType = "application/vnd.selkie.multiplexed-stream"
