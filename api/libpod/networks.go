package libpod

import (
	"net/http"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

// networks serves the routes remote/networks.go calls.
func (s *routes) networks(h handle) {
	h("POST /libpod/networks/create", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.NetworkCreateOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		n, err := s.eng.NetworkCreate(r.Context(), o)
		if err != nil {
			return err
		}
		return ok(w, n)
	})
	h("GET /libpod/networks/json", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.NetworkListOptions
		if err := wire.DecodeQueryJSON(r, "options", &o); err != nil {
			return err
		}
		l, err := s.eng.NetworkList(r.Context(), o)
		if err != nil {
			return err
		}
		if l == nil {
			l = []engine.Network{}
		}
		return ok(w, l)
	})
	h("GET /libpod/networks/{name}/json", func(w http.ResponseWriter, r *http.Request) error {
		n, err := s.eng.NetworkInspect(r.Context(), r.PathValue("name"))
		if err != nil {
			return err
		}
		return ok(w, n)
	})
	h("GET /libpod/networks/{name}/exists", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.eng.NetworkExists(r.Context(), r.PathValue("name"))
		if err != nil {
			return err
		}
		return ok(w, v)
	})
	h("POST /libpod/networks/{name}/remove", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.NetworkRemoveOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		v, err := s.eng.NetworkRemove(r.Context(), r.PathValue("name"), o)
		if err != nil {
			return err
		}
		return ok(w, v)
	})
	h("POST /libpod/networks/prune", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.NetworkPruneOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		v, err := s.eng.NetworkPrune(r.Context(), o)
		if err != nil {
			return err
		}
		if v == nil {
			v = []string{}
		}
		return ok(w, v)
	})
	h("POST /libpod/networks/{name}/connect", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.NetworkConnectOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		return s.eng.NetworkConnect(r.Context(), r.PathValue("name"), o)
	})
	h("POST /libpod/networks/{name}/disconnect", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.NetworkDisconnectOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		return s.eng.NetworkDisconnect(r.Context(), r.PathValue("name"), o)
	})
	h("POST /libpod/containers/{id}/network-reload", func(w http.ResponseWriter, r *http.Request) error {
		id, err := s.eng.NetworkReload(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return ok(w, id)
	})
}
