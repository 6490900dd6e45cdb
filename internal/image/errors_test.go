package image

import (
	"errors"
	"io"
	"testing"

	"github.com/selkie-containers/selkie/engine"
)

func TestErrorf(t *testing.T) {
	err := Errorf(engine.ErrNoSuchImage, "%s: image not known", "x")
	if err.Error() != "x: image not known" || !errors.Is(err, engine.ErrNoSuchImage) || errors.Is(err, engine.ErrInvalidArg) {
		t.Fatalf("kind error: %q", err)
	}
	wrapped := Errorf(engine.ErrInvalidArg, "reading: %w", io.ErrUnexpectedEOF)
	if !errors.Is(wrapped, io.ErrUnexpectedEOF) || !errors.Is(wrapped, engine.ErrInvalidArg) || wrapped.Error() != "reading: unexpected EOF" {
		t.Fatalf("wrapped kind error: %q", wrapped)
	}
}
