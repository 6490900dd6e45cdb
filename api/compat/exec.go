package compat

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

func (s *routes) exec(h handle) {
	h("POST /containers/{id}/exec", func(w http.ResponseWriter, r *http.Request) error {
		var req container.ExecCreateRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		if len(req.Cmd) == 0 {
			return wire.BadRequest(fmt.Errorf("no exec command specified"))
		}
		o := engine.ExecCreateOptions{
			Command: req.Cmd, User: req.User, WorkDir: req.WorkingDir, Terminal: req.Tty,
			AttachStdin: req.AttachStdin, Privileged: req.Privileged, DetachKeys: req.DetachKeys,
		}
		for _, kv := range req.Env {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			if o.Env == nil {
				o.Env = map[string]string{}
			}
			o.Env[k] = v
		}
		id, err := s.eng.ExecCreate(r.Context(), r.PathValue("id"), o)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, map[string]string{"Id": id})
	})
	h("POST /exec/{id}/start", func(w http.ResponseWriter, r *http.Request) error {
		var req container.ExecStartRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		id := r.PathValue("id")
		ei, err := s.eng.ExecInspect(r.Context(), id)
		if err != nil {
			return err
		}
		if req.Detach {
			if _, err := s.eng.ExecStart(r.Context(), id, engine.ExecStartOptions{Detach: true}); err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, struct{}{})
		}
		tty := ei.ProcessConfig.Tty
		ct := "application/vnd.docker.multiplexed-stream"
		if tty {
			ct = "application/vnd.docker.raw-stream"
		}
		hj, err := wire.Hijack(w, r, ct)
		if err != nil {
			return err
		}
		defer hj.Close()
		out, errw := outputs(hj, tty)
		o := engine.ExecStartOptions{Streams: engine.Streams{Stdout: out, Stderr: errw, DetachKeys: ei.DetachKeys}}
		if cs := req.ConsoleSize; tty && cs != nil && cs[0] > 0 && cs[1] > 0 && cs[0] <= 0xffff && cs[1] <= 0xffff {
			// the PTY has the size before the process starts (docker exec
			// -it resizes only once its start is answered)
			o.Resize = wire.StreamSet{TTYSize: &engine.TerminalSize{Height: uint16(cs[0]), Width: uint16(cs[1])}}.Resize()
		}
		if ei.OpenStdin {
			in, done, err := wire.StdinPipe(hj)
			if err != nil {
				return err
			}
			defer done()
			o.Stdin = in
		}
		if _, err := s.eng.ExecStart(r.Context(), id, o); err != nil {
			_, _ = errw.Write([]byte("Error: " + err.Error() + "\n"))
		}
		_ = hj.CloseWrite()
		return nil
	})
	h("POST /exec/{id}/resize", func(w http.ResponseWriter, r *http.Request) error {
		sz, err := termSize(r)
		if err != nil {
			return err
		}
		if err := s.eng.ExecResize(r.Context(), r.PathValue("id"), sz); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, struct{}{})
	})
	h("GET /exec/{id}/json", func(w http.ResponseWriter, r *http.Request) error {
		ei, err := s.eng.ExecInspect(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, ei)
	})
}
