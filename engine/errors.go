package engine

import "errors"

// Sentinel errors. Every error the engine returns that a caller may act on
// wraps one of these, so errors.Is works on both sides of the REST API.
var (
	ErrNoSuchContainer = errors.New("no such container")
	ErrNoSuchImage     = errors.New("no such image")
	ErrNoSuchPod       = errors.New("no such pod")
	ErrNoSuchVolume    = errors.New("no such volume")
	ErrNoSuchNetwork   = errors.New("no such network")
	ErrNoSuchExec      = errors.New("no such exec session")
	ErrNameInUse       = errors.New("name is in use")
	ErrInvalidArg      = errors.New("invalid argument")
	ErrCtrStateInvalid = errors.New("container state improper")
	ErrImageInUse      = errors.New("image is in use by a container")
	ErrAmbiguous       = errors.New("more than one result")
	ErrNotImplemented  = errors.New("not implemented")
	// ErrCanceled is returned when the user or a signal interrupted the work.
	ErrCanceled = errors.New("canceled")
	// ErrOCIRuntimeNotFound: the container's command does not exist (exit 127).
	ErrOCIRuntimeNotFound = errors.New("OCI runtime attempted to invoke a command that was not found")
	// ErrOCIRuntimePermissionDenied: the command is not executable (exit 126).
	ErrOCIRuntimePermissionDenied = errors.New("OCI runtime permission denied error")
	// ErrDetach is returned by an attached call when the user typed the detach keys.
	ErrDetach = errors.New("detached from container")
	// ErrOCIRuntime is any other failure of the OCI runtime.
	ErrOCIRuntime = errors.New("OCI runtime error")
	// ErrNoLogs: logs of a container whose log driver keeps none (Podman's define.ErrNoLogs).
	ErrNoLogs = errors.New("this container is not logging output")
)

// ExitCodeError carries the exit code of a container process (run, start -a,
// wait, exec) up to main, which turns it into the process exit status.
type ExitCodeError struct{ Code int }

func (e *ExitCodeError) Error() string { return "container exited with a non-zero code" }
