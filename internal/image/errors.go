package image

import "fmt"

// kindError is an error that errors.Is matches against an engine sentinel
// (its kind) without the sentinel's text in the message, so users read
// Podman's wording ("x: image not known") while callers and the REST layer
// still see engine.ErrNoSuchImage.
type kindError struct{ err, kind error }

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.err, e.kind} }

// Errorf formats an error of the given kind (an engine sentinel). %w in
// format wraps as in fmt.Errorf.
func Errorf(kind error, format string, args ...any) error {
	return &kindError{err: fmt.Errorf(format, args...), kind: kind}
}
