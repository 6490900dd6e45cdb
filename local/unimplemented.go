package local

import (
	"fmt"

	"github.com/selkie-containers/selkie/engine"
)

// Methods below are not written yet. Each returns an error wrapping
// engine.ErrNotImplemented; a method is deleted from this file when its real
// implementation lands in its own file.

func notImplemented(what string) error {
	return fmt.Errorf("%s: %w", what, engine.ErrNotImplemented)
}
