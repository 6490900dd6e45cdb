package libpod

import (
	"io"
	"net/http"
	"strings"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

func (s *routes) containers(h handle) {
	h("POST /libpod/containers/create", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ContainerCreateOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		return stream(w, func(out, _ io.Writer) (any, error) {
			o.PullProgress = out
			return s.eng.ContainerCreate(r.Context(), o)
		})
	})
	h("GET /libpod/containers/json", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ContainerListOptions
		if err := wire.DecodeQueryJSON(r, "options", &o); err != nil {
			return err
		}
		l, err := s.eng.ContainerList(r.Context(), o)
		if err != nil {
			return err
		}
		if l == nil {
			l = []engine.ContainerSummary{}
		}
		return ok(w, l)
	})
	h("GET /libpod/containers/{id}/json", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ContainerInspectOptions
		if err := wire.DecodeQueryJSON(r, "options", &o); err != nil {
			return err
		}
		v, err := s.eng.ContainerInspect(r.Context(), r.PathValue("id"), o)
		if err != nil {
			return err
		}
		return ok(w, v)
	})
	h("GET /libpod/containers/{id}/exists", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ContainerExistsOptions
		if err := wire.DecodeQueryJSON(r, "options", &o); err != nil {
			return err
		}
		v, err := s.eng.ContainerExists(r.Context(), r.PathValue("id"), o)
		if err != nil {
			return err
		}
		return ok(w, wire.ExistsResponse{Exists: v})
	})
	h("POST /libpod/containers/{id}/init", func(w http.ResponseWriter, r *http.Request) error {
		return s.eng.ContainerInit(r.Context(), r.PathValue("id"))
	})
	h("POST /libpod/containers/{id}/start", func(w http.ResponseWriter, r *http.Request) error {
		var req wire.StartRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		if !upgrade(r) {
			return s.eng.ContainerStart(r.Context(), r.PathValue("id"), engine.ContainerStartOptions{})
		}
		return hijack(w, r, req.Streams, req.DetachKeys, func(st engine.Streams) (any, error) {
			return nil, s.eng.ContainerStart(r.Context(), r.PathValue("id"), engine.ContainerStartOptions{Attach: &st})
		})
	})
	h("POST /libpod/containers/{id}/stop", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ContainerStopOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		return s.eng.ContainerStop(r.Context(), r.PathValue("id"), o)
	})
	h("POST /libpod/containers/{id}/restart", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ContainerStopOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		return s.eng.ContainerRestart(r.Context(), r.PathValue("id"), o)
	})
	h("POST /libpod/containers/{id}/kill", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ContainerKillOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		return s.eng.ContainerKill(r.Context(), r.PathValue("id"), o)
	})
	h("POST /libpod/containers/{id}/remove", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ContainerRemoveOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		v, err := s.eng.ContainerRemove(r.Context(), r.PathValue("id"), o)
		if err != nil {
			return err
		}
		return ok(w, v)
	})
	h("POST /libpod/containers/{id}/wait", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ContainerWaitOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		code, err := s.eng.ContainerWait(r.Context(), r.PathValue("id"), o)
		if err != nil {
			return err
		}
		return ok(w, wire.ExitResponse{ExitCode: code})
	})
	h("POST /libpod/containers/{id}/attach", func(w http.ResponseWriter, r *http.Request) error {
		var req wire.AttachRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		return hijack(w, r, req.Streams, req.Options.DetachKeys, func(st engine.Streams) (any, error) {
			o := req.Options
			o.Streams = st
			return nil, s.eng.ContainerAttach(r.Context(), r.PathValue("id"), o)
		})
	})
	h("GET /libpod/containers/{id}/logs", func(w http.ResponseWriter, r *http.Request) error {
		var req wire.LogsRequest
		if err := wire.DecodeQueryJSON(r, "options", &req); err != nil {
			return err
		}
		return stream(w, func(out, errw io.Writer) (any, error) {
			o := req.Options
			if req.Streams.Stdout {
				o.Stdout = out
			}
			if req.Streams.Stderr {
				o.Stderr = errw
			}
			return nil, s.eng.ContainerLogs(r.Context(), r.PathValue("id"), o)
		})
	})
	h("POST /libpod/containers/{id}/resize", func(w http.ResponseWriter, r *http.Request) error {
		var sz engine.TerminalSize
		if err := decode(w, r, &sz); err != nil {
			return err
		}
		return s.eng.ContainerResize(r.Context(), r.PathValue("id"), sz)
	})
	h("POST /libpod/containers/{id}/pause", func(w http.ResponseWriter, r *http.Request) error {
		return s.eng.ContainerPause(r.Context(), r.PathValue("id"))
	})
	h("POST /libpod/containers/{id}/unpause", func(w http.ResponseWriter, r *http.Request) error {
		return s.eng.ContainerUnpause(r.Context(), r.PathValue("id"))
	})
	h("POST /libpod/containers/{id}/rename", func(w http.ResponseWriter, r *http.Request) error {
		return s.eng.ContainerRename(r.Context(), r.PathValue("id"), r.URL.Query().Get("name"))
	})
	h("GET /libpod/containers/{id}/top", func(w http.ResponseWriter, r *http.Request) error {
		var desc []string
		if ps := r.URL.Query().Get("ps_args"); ps != "" {
			desc = strings.Split(ps, ",")
		}
		v, err := s.eng.ContainerTop(r.Context(), r.PathValue("id"), desc)
		if err != nil {
			return err
		}
		return ok(w, v)
	})
	h("GET /libpod/containers/{id}/stats", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.eng.ContainerStats(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return ok(w, v)
	})
	h("POST /libpod/containers/{id}/update", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ContainerUpdateOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		return s.eng.ContainerUpdate(r.Context(), r.PathValue("id"), o)
	})
	h("POST /libpod/containers/{id}/mount", func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.eng.ContainerMount(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return ok(w, wire.MountResponse{Path: p})
	})
	h("POST /libpod/containers/{id}/unmount", func(w http.ResponseWriter, r *http.Request) error {
		return s.eng.ContainerUnmount(r.Context(), r.PathValue("id"), r.URL.Query().Get("force") == "true")
	})
	h("GET /libpod/containers/{id}/changes", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.eng.ContainerChanges(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		if v == nil {
			v = []engine.FileChange{}
		}
		return ok(w, v)
	})
	h("GET /libpod/containers/{id}/export", func(w http.ResponseWriter, r *http.Request) error {
		return stream(w, func(out, _ io.Writer) (any, error) {
			return nil, s.eng.ContainerExport(r.Context(), r.PathValue("id"), out)
		})
	})
	h("POST /libpod/containers/{id}/commit", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ContainerCommitOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		return stream(w, func(out, _ io.Writer) (any, error) {
			o.Progress = out
			id, err := s.eng.ContainerCommit(r.Context(), r.PathValue("id"), o)
			return wire.IDResponse{ID: id}, err
		})
	})
	h("POST /libpod/containers/{id}/cleanup", func(w http.ResponseWriter, r *http.Request) error {
		var o engine.ContainerCleanupOptions
		if err := decode(w, r, &o); err != nil {
			return err
		}
		return s.eng.ContainerCleanup(r.Context(), r.PathValue("id"), o)
	})
	h("GET /libpod/containers/{id}/port", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.eng.ContainerPort(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		if v == nil {
			v = []engine.PortMapping{}
		}
		return ok(w, v)
	})
}

func upgrade(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }
