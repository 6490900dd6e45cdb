package libpod

import (
	"net/http"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

func (s *routes) exec(h handle) {
	h("POST /libpod/containers/{id}/exec", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ExecCreateOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		id, err := s.eng.ExecCreate(r.Context(), r.PathValue("id"), o)
		if err != nil {
			return err
		}
		return wire.WriteJSON(w, http.StatusCreated, wire.IDResponse{ID: id})
	})
	h("POST /libpod/exec/{id}/start", func(w http.ResponseWriter, r *http.Request) error {
		var req wire.ExecStartRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		run := func(st engine.Streams) (any, error) {
			o := req.Options
			o.Streams = st
			code, err := s.eng.ExecStart(r.Context(), r.PathValue("id"), o)
			return wire.ExitResponse{ExitCode: int32(code)}, err
		}
		if !upgrade(r) {
			v, err := run(engine.Streams{DetachKeys: req.Options.DetachKeys})
			if err != nil {
				return err
			}
			return ok(w, v)
		}
		return hijack(w, r, req.Streams, req.Options.DetachKeys, run)
	})
	h("GET /libpod/exec/{id}/json", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.eng.ExecInspect(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return ok(w, v)
	})
	h("POST /libpod/exec/{id}/resize", func(w http.ResponseWriter, r *http.Request) error {
		var sz engine.TerminalSize
		if err := decode(w, r, &sz); err != nil {
			return err
		}
		return s.eng.ExecResize(r.Context(), r.PathValue("id"), sz)
	})
}
