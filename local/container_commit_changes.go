package local

import (
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/internal/image"
)

// applyCommitChanges applies commit's --change instructions; the parser is
// shared with import in internal/image. ONBUILD triggers are returned.
func applyCommitChanges(cc *v1.ImageConfig, changes []string) ([]string, error) {
	return image.ApplyChanges(cc, changes)
}

// addPort exposes p (default protocol tcp) in the image config.
func addPort(cc *v1.ImageConfig, p string) { image.AddExposedPort(cc, p) }
