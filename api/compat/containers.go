package compat

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

func (s *routes) containers(h handle) {
	h("GET /containers/json", s.containerList)
	h("POST /containers/create", func(w http.ResponseWriter, r *http.Request) error {
		var req container.CreateRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		o, err := createOptions(r.URL.Query().Get("name"), &req)
		if err != nil {
			return err
		}
		rep, err := s.eng.ContainerCreate(r.Context(), o)
		if err != nil {
			return imageErr(err, o.Image)
		}
		if rep.Warnings == nil {
			rep.Warnings = []string{}
		}
		s.rememberNetworks(rep.ID, o)
		s.rememberConsole(rep.ID, &req)
		return writeJSON(w, http.StatusCreated, rep)
	})
	h("GET /containers/{id}/json", func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.eng.ContainerInspect(r.Context(), r.PathValue("id"), engine.ContainerInspectOptions{Size: boolQuery(r, "size", false)})
		if err != nil {
			return err
		}
		out := toContainerJSON(c)
		if len(c.NetworkSettings.Networks) == 0 {
			out.NetworkSettings.Networks = dockerNetworks(c, s.createdNetworks(c.ID))
		}
		return writeJSON(w, http.StatusOK, out)
	})
	h("POST /containers/{id}/start", s.containerStart)
	h("POST /containers/{id}/stop", func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.eng.ContainerInspect(r.Context(), r.PathValue("id"), engine.ContainerInspectOptions{})
		if err != nil {
			return err
		}
		if !c.State.Running && !c.State.Paused {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		o, err := stopOptions(r)
		if err != nil {
			return err
		}
		if err := s.eng.ContainerStop(r.Context(), c.ID, o); err != nil {
			return err
		}
		return noContent(w)
	})
	h("POST /containers/{id}/restart", func(w http.ResponseWriter, r *http.Request) error {
		o, err := stopOptions(r)
		if err != nil {
			return err
		}
		if err := s.eng.ContainerRestart(r.Context(), r.PathValue("id"), o); err != nil {
			return err
		}
		return noContent(w)
	})
	h("POST /containers/{id}/kill", func(w http.ResponseWriter, r *http.Request) error {
		sig := r.URL.Query().Get("signal")
		if sig == "" {
			sig = "SIGKILL"
		}
		if err := s.eng.ContainerKill(r.Context(), r.PathValue("id"), engine.ContainerKillOptions{Signal: sig}); err != nil {
			return err
		}
		return noContent(w)
	})
	h("POST /containers/{id}/pause", func(w http.ResponseWriter, r *http.Request) error {
		if err := s.eng.ContainerPause(r.Context(), r.PathValue("id")); err != nil {
			return err
		}
		return noContent(w)
	})
	h("POST /containers/{id}/unpause", func(w http.ResponseWriter, r *http.Request) error {
		if err := s.eng.ContainerUnpause(r.Context(), r.PathValue("id")); err != nil {
			return err
		}
		return noContent(w)
	})
	h("POST /containers/{id}/wait", s.containerWait)
	h("DELETE /containers/{id}", func(w http.ResponseWriter, r *http.Request) error {
		o := engine.ContainerRemoveOptions{Force: boolQuery(r, "force", false), Volumes: boolQuery(r, "v", false)}
		rep, err := s.eng.ContainerRemove(r.Context(), r.PathValue("id"), o)
		if err != nil {
			return err
		}
		for _, id := range rep.Removed {
			s.forgetNetworks(id)
		}
		return noContent(w)
	})
	h("GET /containers/{id}/logs", s.containerLogs)
	h("POST /containers/{id}/attach", s.containerAttach)
	h("GET /containers/{id}/attach/ws", s.containerAttachWS)
	h("POST /containers/{id}/resize", func(w http.ResponseWriter, r *http.Request) error {
		sz, err := termSize(r)
		if err != nil {
			return err
		}
		if err := s.eng.ContainerResize(r.Context(), r.PathValue("id"), sz); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, struct{}{})
	})
	h("GET /containers/{id}/top", func(w http.ResponseWriter, r *http.Request) error {
		var desc []string
		if a := r.URL.Query().Get("ps_args"); a != "" && !strings.HasPrefix(a, "-") && a != "aux" && a != "ef" {
			desc = strings.FieldsFunc(a, func(r rune) bool { return r == ',' || r == ' ' })
		}
		rows, err := s.eng.ContainerTop(r.Context(), r.PathValue("id"), desc)
		if err != nil {
			return err
		}
		resp := struct {
			Titles    []string   `json:"Titles"`
			Processes [][]string `json:"Processes"`
		}{Titles: []string{}, Processes: [][]string{}}
		if len(rows) > 0 {
			resp.Titles, resp.Processes = rows[0], rows[1:]
		}
		return writeJSON(w, http.StatusOK, resp)
	})
	h("GET /containers/{id}/stats", s.containerStats)
	h("GET /containers/{id}/changes", func(w http.ResponseWriter, r *http.Request) error {
		ch, err := s.eng.ContainerChanges(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		if ch == nil {
			ch = []engine.FileChange{}
		}
		return writeJSON(w, http.StatusOK, ch)
	})
	h("GET /containers/{id}/export", func(w http.ResponseWriter, r *http.Request) error {
		if _, err := s.eng.ContainerInspect(r.Context(), r.PathValue("id"), engine.ContainerInspectOptions{}); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/x-tar")
		return s.eng.ContainerExport(r.Context(), r.PathValue("id"), w)
	})
	h("POST /containers/{id}/rename", func(w http.ResponseWriter, r *http.Request) error {
		name := r.URL.Query().Get("name")
		if name == "" {
			return wire.BadRequest(fmt.Errorf("name is required"))
		}
		if err := s.eng.ContainerRename(r.Context(), r.PathValue("id"), name); err != nil {
			return err
		}
		return noContent(w)
	})
	h("POST /containers/{id}/update", func(w http.ResponseWriter, r *http.Request) error {
		var u container.UpdateConfig
		if err := decode(w, r, &u); err != nil {
			return err
		}
		o := engine.ContainerUpdateOptions{Resources: resources(u.Resources)}
		if u.RestartPolicy.Name != "" {
			o.RestartPolicy = string(u.RestartPolicy.Name)
			n := uint(max(u.RestartPolicy.MaximumRetryCount, 0))
			o.RestartRetries = &n
		}
		if err := s.eng.ContainerUpdate(r.Context(), r.PathValue("id"), o); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string][]string{"Warnings": {}})
	})
	h("POST /containers/prune", func(w http.ResponseWriter, r *http.Request) error {
		f, err := filters(r)
		if err != nil {
			return err
		}
		f["status"] = []string{"exited", "created"}
		l, err := s.eng.ContainerList(r.Context(), engine.ContainerListOptions{All: true, Filters: f})
		if err != nil {
			return err
		}
		resp := struct {
			ContainersDeleted []string `json:"ContainersDeleted"`
			SpaceReclaimed    uint64   `json:"SpaceReclaimed"`
		}{ContainersDeleted: []string{}}
		for _, c := range l {
			if _, err := s.eng.ContainerRemove(r.Context(), c.ID, engine.ContainerRemoveOptions{}); err == nil {
				resp.ContainersDeleted = append(resp.ContainersDeleted, c.ID)
			}
		}
		return writeJSON(w, http.StatusOK, resp)
	})
}

func stopOptions(r *http.Request) (engine.ContainerStopOptions, error) {
	var o engine.ContainerStopOptions
	v := r.URL.Query().Get("t")
	if v == "" {
		v = r.URL.Query().Get("timeout")
	}
	if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return o, wire.BadRequest(fmt.Errorf("invalid timeout %q", v))
		}
		t := uint(max(n, 0))
		o.Timeout = &t
	}
	return o, nil
}

func termSize(r *http.Request) (engine.TerminalSize, error) {
	hgt, err := intQuery(r, "h", 0)
	if err != nil {
		return engine.TerminalSize{}, err
	}
	wid, err := intQuery(r, "w", 0)
	if err != nil {
		return engine.TerminalSize{}, err
	}
	if hgt < 0 || wid < 0 || hgt > 65535 || wid > 65535 {
		return engine.TerminalSize{}, wire.BadRequest(fmt.Errorf("invalid terminal size %dx%d", wid, hgt))
	}
	return engine.TerminalSize{Width: uint16(wid), Height: uint16(hgt)}, nil
}

func (s *routes) containerList(w http.ResponseWriter, r *http.Request) error {
	f, err := filters(r)
	if err != nil {
		return err
	}
	limit, err := intQuery(r, "limit", 0)
	if err != nil {
		return err
	}
	o := engine.ContainerListOptions{All: boolQuery(r, "all", false), Filters: f, Size: boolQuery(r, "size", false)}
	if limit > 0 {
		o.Last = limit
		o.All = true
	}
	l, err := s.eng.ContainerList(r.Context(), o)
	if err != nil {
		return err
	}
	now := time.Now()
	out := make([]containerSummary, 0, len(l))
	for _, c := range l {
		out = append(out, toContainerSummary(c, now))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *routes) containerStart(w http.ResponseWriter, r *http.Request) error {
	c, err := s.eng.ContainerInspect(r.Context(), r.PathValue("id"), engine.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	if c.State.Running {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if p := s.takeAttach(c.ID); p != nil {
		reply := make(chan error, 1)
		select {
		case p.start <- reply:
			if err := <-reply; err != nil {
				return err
			}
			return noContent(w)
		case <-p.gone:
			// the attach went away; start plainly
		}
	}
	if err := s.eng.ContainerStart(r.Context(), c.ID, engine.ContainerStartOptions{}); err != nil {
		return err
	}
	return noContent(w)
}

// containerWait answers with headers at once (clients wait before they
// start) and the exit code when the condition holds.
func (s *routes) containerWait(w http.ResponseWriter, r *http.Request) error {
	c, err := s.eng.ContainerInspect(r.Context(), r.PathValue("id"), engine.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	cond := r.URL.Query().Get("condition")
	switch cond {
	case "", "not-running", "next-exit", "removed":
	default:
		return wire.BadRequest(fmt.Errorf("invalid condition %q", cond))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = http.NewResponseController(w).Flush()
	type waitErr struct {
		Message string `json:"Message"`
	}
	resp := struct {
		StatusCode int32    `json:"StatusCode"`
		Error      *waitErr `json:"Error"`
	}{}
	// A short interval: docker waits before it starts, and an auto-removed
	// container must be seen running (then its exit file answers) before
	// its cleanup removes it.
	code, err := s.waitExit(r.Context(), c)
	if err != nil {
		resp.StatusCode = -1
		resp.Error = &waitErr{Message: err.Error()}
	} else {
		resp.StatusCode = code
		if cond == "removed" {
			s.waitRemoved(r.Context(), c)
		}
	}
	return wire.WriteJSONBody(w, resp)
}

// waitExit waits for the container's next exit. A container not started yet
// is first watched until it runs (docker waits before it starts), so that
// its exit code comes from the exit file even when --rm removes it at once.
func (s *routes) waitExit(ctx context.Context, c *engine.ContainerInspect) (int32, error) {
	poll := 5 * time.Millisecond
	for dockerStatus(c.State.Status) == "created" {
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(poll):
		}
		var err error
		if c, err = s.eng.ContainerInspect(ctx, c.ID, engine.ContainerInspectOptions{}); err != nil {
			return -1, err
		}
	}
	return s.eng.ContainerWait(ctx, c.ID, engine.ContainerWaitOptions{Interval: poll})
}

// waitRemoved returns once an auto-removed container is gone. Like `selkie
// run --rm`, it removes the container itself rather than wait for conmon's
// cleanup process, which may come later (or never, if conmon was killed).
func (s *routes) waitRemoved(ctx context.Context, c *engine.ContainerInspect) {
	if c.HostConfig.AutoRemove {
		_, _ = s.eng.ContainerRemove(ctx, c.ID, engine.ContainerRemoveOptions{Force: true, Ignore: true})
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ok, err := s.eng.ContainerExists(ctx, c.ID, engine.ContainerExistsOptions{})
		if err != nil || !ok {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *routes) containerLogs(w http.ResponseWriter, r *http.Request) error {
	c, err := s.eng.ContainerInspect(r.Context(), r.PathValue("id"), engine.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	stdout, stderr := boolQuery(r, "stdout", false), boolQuery(r, "stderr", false)
	if !stdout && !stderr {
		return wire.BadRequest(fmt.Errorf("you must choose at least one stream"))
	}
	o := engine.ContainerLogsOptions{Follow: boolQuery(r, "follow", false), Timestamps: boolQuery(r, "timestamps", false), Tail: -1}
	if t := r.URL.Query().Get("tail"); t != "" && t != "all" {
		n, err := strconv.Atoi(t)
		if err != nil {
			return wire.BadRequest(fmt.Errorf("invalid tail %q", t))
		}
		o.Tail = n
	}
	if o.Since, err = unixQuery(r, "since"); err != nil {
		return err
	}
	if o.Until, err = unixQuery(r, "until"); err != nil {
		return err
	}
	ct := "application/vnd.docker.multiplexed-stream"
	if c.Config.Tty {
		ct = "application/vnd.docker.raw-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	_ = http.NewResponseController(w).Flush()
	out, errw := outputs(w, c.Config.Tty)
	if stdout {
		o.Stdout = out
	}
	if stderr {
		o.Stderr = errw
	}
	ctx := r.Context()
	if o.Follow {
		// Follow ends when the container exits; a watchdog makes sure it
		// does even if the log reader misses the exit (its exit file can be
		// gone once cleanup ran), after a grace period for the last lines.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			if _, err := s.eng.ContainerWait(ctx, c.ID, engine.ContainerWaitOptions{Interval: 50 * time.Millisecond}); err == nil {
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
					cancel()
				}
			}
		}()
	}
	if err := s.eng.ContainerLogs(ctx, c.ID, o); err != nil && ctx.Err() == nil {
		_, _ = errw.Write([]byte("Error: " + err.Error() + "\n"))
	}
	return nil
}

func unixQuery(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" || v == "0" {
		return time.Time{}, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return time.Time{}, wire.BadRequest(fmt.Errorf("invalid %s %q", name, v))
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
}
