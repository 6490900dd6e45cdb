package libpod

import (
	"io"
	"net/http"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

// volumes serves the routes remote/volumes.go calls, and the container
// archive (cp) routes.
func (s *routes) volumes(h handle) {
	h("POST /libpod/volumes/create", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.VolumeCreateOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		v, err := s.eng.VolumeCreate(r.Context(), o)
		if err != nil {
			return err
		}
		return ok(w, v)
	})
	h("GET /libpod/volumes/json", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.VolumeListOptions
		if err := wire.DecodeQueryJSON(r, "options", &o); err != nil {
			return err
		}
		l, err := s.eng.VolumeList(r.Context(), o)
		if err != nil {
			return err
		}
		if l == nil {
			l = []*engine.Volume{}
		}
		return ok(w, l)
	})
	h("GET /libpod/volumes/{name}/json", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.eng.VolumeInspect(r.Context(), r.PathValue("name"))
		if err != nil {
			return err
		}
		return ok(w, v)
	})
	h("GET /libpod/volumes/{name}/exists", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.eng.VolumeExists(r.Context(), r.PathValue("name"))
		if err != nil {
			return err
		}
		return ok(w, v)
	})
	h("POST /libpod/volumes/{name}/remove", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.VolumeRemoveOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		return s.eng.VolumeRemove(r.Context(), r.PathValue("name"), o)
	})
	h("POST /libpod/volumes/prune", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.VolumePruneOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		v, err := s.eng.VolumePrune(r.Context(), o)
		if err != nil {
			return err
		}
		if v == nil {
			v = []engine.VolumePruneReport{}
		}
		return ok(w, v)
	})
	h("GET /libpod/volumes/{name}/export", func(w http.ResponseWriter, r *http.Request) error {
		return stream(w, func(out, _ io.Writer) (any, error) {
			return nil, s.eng.VolumeExport(r.Context(), r.PathValue("name"), out)
		})
	})
	h("POST /libpod/volumes/{name}/import", func(w http.ResponseWriter, r *http.Request) error {
		return streamAfterBody(w, func(io.Writer) (any, error) {
			return nil, s.eng.VolumeImport(r.Context(), r.PathValue("name"), r.Body)
		})
	})
	h("POST /libpod/volumes/{name}/mount", func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.eng.VolumeMount(r.Context(), r.PathValue("name"))
		if err != nil {
			return err
		}
		return ok(w, p)
	})
	h("POST /libpod/volumes/{name}/unmount", func(w http.ResponseWriter, r *http.Request) error {
		return s.eng.VolumeUnmount(r.Context(), r.PathValue("name"))
	})

	h("GET /libpod/containers/{id}/stat", func(w http.ResponseWriter, r *http.Request) error {
		st, err := s.eng.ContainerStat(r.Context(), r.PathValue("id"), r.URL.Query().Get("path"))
		if err != nil {
			return err
		}
		return ok(w, st)
	})
	h("GET /libpod/containers/{id}/archive", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ArchiveGetOptions
		if err := wire.DecodeQueryJSON(r, "options", &o); err != nil {
			return err
		}
		return stream(w, func(out, _ io.Writer) (any, error) {
			return s.eng.ContainerArchiveGet(r.Context(), r.PathValue("id"), r.URL.Query().Get("path"), out, o)
		})
	})
	h("PUT /libpod/containers/{id}/archive", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ArchivePutOptions
		if err := wire.DecodeQueryJSON(r, "options", &o); err != nil {
			return err
		}
		return streamAfterBody(w, func(io.Writer) (any, error) {
			return nil, s.eng.ContainerArchivePut(r.Context(), r.PathValue("id"), r.URL.Query().Get("path"), r.Body, o)
		})
	})
}
