package libpod

import (
	"net/http"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

// pods serves the routes remote/pods.go calls, and image mount.
func (s *routes) pods(h handle) {
	h("POST /libpod/pods/create", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.PodCreateOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		id, err := s.eng.PodCreate(r.Context(), o)
		if err != nil {
			return err
		}
		return ok(w, wire.IDResponse{ID: id})
	})
	action := func(verb string, fn func(r *http.Request, id string) (engine.PodActionReport, error)) {
		h("POST /libpod/pods/{id}/"+verb, func(w http.ResponseWriter, r *http.Request) error {
			rep, err := fn(r, r.PathValue("id"))
			if err != nil {
				return err
			}
			return ok(w, rep)
		})
	}
	action("start", func(r *http.Request, id string) (engine.PodActionReport, error) {
		return s.eng.PodStart(r.Context(), id)
	})
	action("restart", func(r *http.Request, id string) (engine.PodActionReport, error) {
		return s.eng.PodRestart(r.Context(), id)
	})
	action("pause", func(r *http.Request, id string) (engine.PodActionReport, error) {
		return s.eng.PodPause(r.Context(), id)
	})
	action("unpause", func(r *http.Request, id string) (engine.PodActionReport, error) {
		return s.eng.PodUnpause(r.Context(), id)
	})
	action("kill", func(r *http.Request, id string) (engine.PodActionReport, error) {
		return s.eng.PodKill(r.Context(), id, r.URL.Query().Get("signal"))
	})
	action("stop", func(r *http.Request, id string) (engine.PodActionReport, error) {
		var o engine.ContainerStopOptions
		if err := wire.DecodeQueryJSON(r, "options", &o); err != nil {
			return engine.PodActionReport{}, err
		}
		return s.eng.PodStop(r.Context(), id, o)
	})
	h("DELETE /libpod/pods/{id}", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.PodRemoveOptions
		if err := wire.DecodeQueryJSON(r, "options", &o); err != nil {
			return err
		}
		rep, err := s.eng.PodRemove(r.Context(), r.PathValue("id"), o)
		if err != nil {
			return err
		}
		return ok(w, rep)
	})
	h("GET /libpod/pods/json", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.PodListOptions
		if err := wire.DecodeQueryJSON(r, "options", &o); err != nil {
			return err
		}
		l, err := s.eng.PodList(r.Context(), o)
		if err != nil {
			return err
		}
		if l == nil {
			l = []engine.PodSummary{}
		}
		return ok(w, l)
	})
	h("GET /libpod/pods/{id}/json", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.eng.PodInspect(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return ok(w, v)
	})
	h("GET /libpod/pods/{id}/exists", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.eng.PodExists(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return ok(w, wire.ExistsResponse{Exists: v})
	})
	h("POST /libpod/pods/{id}/clone", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.PodCloneOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		id, err := s.eng.PodClone(r.Context(), r.PathValue("id"), o)
		if err != nil {
			return err
		}
		return ok(w, wire.IDResponse{ID: id})
	})
	h("POST /libpod/images/{name}/mount", func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.eng.ImageMount(r.Context(), r.PathValue("name"))
		if err != nil {
			return err
		}
		return ok(w, p)
	})
	h("POST /libpod/images/{name}/unmount", func(w http.ResponseWriter, r *http.Request) error {
		return s.eng.ImageUnmount(r.Context(), r.PathValue("name"), r.URL.Query().Get("force") == "true")
	})
}
