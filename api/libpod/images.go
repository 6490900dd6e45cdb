package libpod

import (
	"io"
	"net/http"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

// Image names contain '/', so they travel in the query (?name=), never in
// the path.
func (s *routes) images(h handle) {
	h("POST /libpod/images/pull", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ImagePullOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		ref := r.URL.Query().Get("reference")
		return stream(w, func(out, _ io.Writer) (any, error) {
			return s.eng.ImagePull(r.Context(), ref, o, out)
		})
	})
	h("POST /libpod/images/push", func(w http.ResponseWriter, r *http.Request) error {
		var req wire.PushRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		return stream(w, func(out, _ io.Writer) (any, error) {
			return nil, s.eng.ImagePush(r.Context(), req.Source, req.Destination, req.Options, out)
		})
	})
	h("GET /libpod/images/json", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ImageListOptions
		if err := wire.DecodeQueryJSON(r, "options", &o); err != nil {
			return err
		}
		l, err := s.eng.ImageList(r.Context(), o)
		if err != nil {
			return err
		}
		if l == nil {
			l = []engine.ImageSummary{}
		}
		return ok(w, l)
	})
	h("GET /libpod/images/inspect", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.eng.ImageInspect(r.Context(), r.URL.Query().Get("name"))
		if err != nil {
			return err
		}
		return ok(w, v)
	})
	h("GET /libpod/images/exists", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.eng.ImageExists(r.Context(), r.URL.Query().Get("name"))
		if err != nil {
			return err
		}
		return ok(w, wire.ExistsResponse{Exists: v})
	})
	h("POST /libpod/images/remove", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ImageRemoveOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		v, err := s.eng.ImageRemove(r.Context(), r.URL.Query().Get("name"), o)
		if err != nil {
			return err
		}
		return ok(w, v)
	})
	h("POST /libpod/images/tag", func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		return s.eng.ImageTag(r.Context(), q.Get("name"), q.Get("tag"))
	})
	h("POST /libpod/images/untag", func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		return s.eng.ImageUntag(r.Context(), q.Get("name"), q.Get("tag"))
	})
	h("POST /libpod/images/prune", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ImagePruneOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		v, err := s.eng.ImagePrune(r.Context(), o)
		if err != nil {
			return err
		}
		if v == nil {
			v = []engine.ImagePruneReport{}
		}
		return ok(w, v)
	})
	h("GET /libpod/images/history", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.eng.ImageHistory(r.Context(), r.URL.Query().Get("name"))
		if err != nil {
			return err
		}
		if v == nil {
			v = []engine.ImageHistoryEntry{}
		}
		return ok(w, v)
	})
	h("GET /libpod/images/tree", func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		v, err := s.eng.ImageTree(r.Context(), q.Get("name"), engine.ImageTreeOptions{WhatRequires: q.Get("whatrequires") == "true"})
		if err != nil {
			return err
		}
		return ok(w, v)
	})
	h("POST /libpod/images/save", func(w http.ResponseWriter, r *http.Request) error {
		var req wire.SaveRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		return stream(w, func(out, _ io.Writer) (any, error) {
			return nil, s.eng.ImageSave(r.Context(), req.Names, req.Options, out)
		})
	})
	// load and import: the request body is the archive; options in the query.
	h("POST /libpod/images/load", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ImageLoadOptions
		if err := wire.DecodeQueryJSON(r, "options", &o); err != nil {
			return err
		}
		return streamAfterBody(w, func(out io.Writer) (any, error) {
			return s.eng.ImageLoad(r.Context(), r.Body, o, out)
		})
	})
	h("POST /libpod/images/import", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ImageImportOptions
		if err := wire.DecodeQueryJSON(r, "options", &o); err != nil {
			return err
		}
		return streamAfterBody(w, func(out io.Writer) (any, error) {
			id, err := s.eng.ImageImport(r.Context(), r.Body, o, out)
			return wire.IDResponse{ID: id}, err
		})
	})
	h("POST /libpod/auth/login", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.LoginOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		return s.eng.Login(r.Context(), r.URL.Query().Get("registry"), o)
	})
	h("POST /libpod/auth/logout", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.LogoutOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		return s.eng.Logout(r.Context(), r.URL.Query().Get("registry"), o)
	})
}
