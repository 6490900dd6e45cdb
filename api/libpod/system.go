package libpod

import (
	"net/http"
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
