// Package wire is the protocol shared by Selkie's REST server (api/...) and
// its client (remote/): the one table that maps engine sentinels to HTTP
// statuses, the JSON error body, the 8-byte stream frames and hijacking.
// Keeping both directions here makes the round trip testable in one place.
package wire

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/selkie-containers/selkie/engine"
)

// kinds is the only place a sentinel meets an HTTP status. The cause string
// travels on the wire; the client maps it back to the same sentinel.
var kinds = []struct {
	err    error
	status int
	cause  string
}{
	{engine.ErrNoSuchContainer, http.StatusNotFound, "no such container"},
	{engine.ErrNoSuchImage, http.StatusNotFound, "no such image"},
	{engine.ErrNoSuchPod, http.StatusNotFound, "no such pod"},
	{engine.ErrNoSuchVolume, http.StatusNotFound, "no such volume"},
	{engine.ErrNoSuchNetwork, http.StatusNotFound, "no such network"},
	{engine.ErrNoSuchExec, http.StatusNotFound, "no such exec session"},
	{engine.ErrNoSuchPath, http.StatusNotFound, "no such file or directory"},
	{engine.ErrNameInUse, http.StatusConflict, "name is in use"},
	{engine.ErrVolumeInUse, http.StatusConflict, "volume is being used"},
	{engine.ErrVolumeExists, http.StatusConflict, "volume already exists"},
	{engine.ErrCtrStateInvalid, http.StatusConflict, "container state improper"},
	{engine.ErrImageInUse, http.StatusConflict, "image is in use by a container"},
	{engine.ErrNetworkInUse, http.StatusConflict, "network is being used"},
	{engine.ErrAmbiguous, http.StatusConflict, "more than one result"},
	{engine.ErrInvalidArg, http.StatusBadRequest, "invalid argument"},
	{engine.ErrNotImplemented, http.StatusNotImplemented, "not implemented"},
	{engine.ErrNoLogs, http.StatusInternalServerError, "this container is not logging output"},
	{engine.ErrCanceled, http.StatusInternalServerError, "canceled"},
	{context.Canceled, http.StatusInternalServerError, "context canceled"},
	{context.DeadlineExceeded, http.StatusInternalServerError, "context deadline exceeded"},
}

// Error is the JSON error body of every failed request, Docker's and
// Podman's shape: Docker clients print "message".
type Error struct {
	Cause   string `json:"cause"`
	Message string `json:"message"`
	Status  int    `json:"response"`
	// ExitCode carries an *engine.ExitCodeError (a container's own exit code).
	ExitCode *int `json:"exitCode,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Is matches the sentinel the cause names, so errors.Is works after the wire.
func (e *Error) Is(target error) bool {
	s := SentinelFor(e.Cause)
	return s != nil && s == target
}

// Unwrap exposes the exit code error, so errors.As(err, **engine.ExitCodeError) holds.
func (e *Error) Unwrap() error {
	if e.ExitCode != nil {
		return &engine.ExitCodeError{Code: *e.ExitCode}
	}
	return nil
}

// SentinelFor maps a cause back to its sentinel (nil if unknown).
func SentinelFor(cause string) error {
	for _, k := range kinds {
		if k.cause == cause {
			return k.err
		}
	}
	return nil
}

// FromError builds the wire error for err: status and cause from the table
// (500 and the error text when no sentinel matches).
func FromError(err error) *Error {
	var we *Error
	if errors.As(err, &we) && SentinelFor(we.Cause) == nil && we.Status != 0 {
		// already a wire error with a custom status (e.g. 404 unknown route)
		return &Error{Cause: we.Cause, Message: err.Error(), Status: we.Status, ExitCode: we.ExitCode}
	}
	e := &Error{Message: err.Error(), Status: http.StatusInternalServerError, Cause: err.Error()}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			e.Status, e.Cause = k.status, k.cause
			break
		}
	}
	var ee *engine.ExitCodeError
	if errors.As(err, &ee) {
		c := ee.Code
		e.ExitCode = &c
	}
	return e
}

// Status returns the HTTP status for err.
func Status(err error) int { return FromError(err).Status }

// WriteError writes err as the JSON error body with its status.
func WriteError(w http.ResponseWriter, err error) {
	e := FromError(err)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(e)
}

// ReadError decodes an error response body; a body that is not JSON still
// yields an error carrying the status and the text.
func ReadError(status int, body []byte) error {
	e := &Error{}
	if json.Unmarshal(body, e) != nil || e.Message == "" {
		e = &Error{Message: http.StatusText(status), Status: status}
		if len(body) > 0 {
			e.Message = string(body)
		}
	}
	if e.Status == 0 {
		e.Status = status
	}
	return e
}

// StatusError is an error with an explicit status and no sentinel (unknown
// routes, bad versions).
func StatusError(status int, msg string) error {
	return &Error{Status: status, Message: msg, Cause: msg}
}
