package libpod

import (
	"io"
	"net/http"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/build"
)

// build takes the context as the request body. The body is spooled to a
// temporary file first, so the build's output can stream while nothing is
// left to read from the request.
func (s *routes) build(h handle) {
	h("POST /libpod/build", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.BuildOptions
		if err := wire.DecodeQueryJSON(r, "options", &o); err != nil {
			return err
		}
		o.IIDFile = ""
		if build.RemoteKind(o.ContextDir) == "" {
			// Never a path on the server: the context is the body.
			ctxFile, cleanup, err := wire.Spool(r.Body)
			if err != nil {
				return err
			}
			defer cleanup()
			o.ContextArchive, o.ContextDir = ctxFile, ""
		}
		return stream(w, func(out, errw io.Writer) (any, error) {
			o.Out, o.Err = out, errw
			return s.eng.Build(r.Context(), o)
		})
	})
}
