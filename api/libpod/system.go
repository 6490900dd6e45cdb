package libpod

import (
	"net/http"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

func (s *routes) system(h handle) {
	h("GET /libpod/info", func(w http.ResponseWriter, r *http.Request) error {
		info, err := s.eng.Info(r.Context())
		if err != nil {
			return err
		}
		return ok(w, info)
	})
	h("GET /libpod/_ping", func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, err := w.Write([]byte("OK"))
		return err
	})
}

// events streams the events log as newline-separated JSON messages in
// Docker's shape (Podman's libpod /events); query since, until, stream
// (default true) and filters ({"key":["value"]}).
func (s *routes) events(h handle) {
	h("GET /libpod/events", func(w http.ResponseWriter, r *http.Request) error {
		return wire.ServeEvents(w, r, s.eng, false)
	})
	h("GET /libpod/images/search", func(w http.ResponseWriter, r *http.Request) error {
		term, o, err := wire.SearchOptions(r)
		if err != nil {
			return err
		}
		res, err := s.eng.ImageSearch(r.Context(), term, o)
		if err != nil {
			return err
		}
		if res == nil {
			res = []engine.ImageSearchResult{}
		}
		return ok(w, res)
	})
	h("GET /libpod/system/df", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.eng.SystemDf(r.Context())
		if err != nil {
			return err
		}
		return ok(w, v)
	})
}
