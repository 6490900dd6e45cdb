package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/network"
	"github.com/selkie-containers/selkie/internal/state"
	cstorage "go.podman.io/storage"
)

// ContainerList is ps: one read of the state DB, no runtime calls, and no
// storage access unless o.Size or o.External ask for it.
func (e *Engine) ContainerList(ctx context.Context, o engine.ContainerListOptions) ([]engine.ContainerSummary, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, err
	}
	all := o.All || o.Last > 0 || o.Latest || len(o.Filters["status"]) > 0
	var cs []*state.Container
	if all || len(o.Filters["before"]) > 0 || len(o.Filters["since"]) > 0 {
		cs, err = db.ContainersForList(ctx)
	} else {
		// plain `ps`: only what the DB says runs (an exit file may still
		// turn some of those into exited below)
		cs, err = db.RunningForList(ctx)
	}
	if err != nil {
		return nil, err
	}
	exits, _ := e.exitDir()
	for _, c := range cs {
		observeExit(c, exits)
	}
	match, err := compileFilters(e.podFilterIDs(ctx, db, o.Filters), cs, e.psNetworks)
	if err != nil {
		return nil, err
	}
	// As Podman: -n, -l and a status filter imply --all; other filters do not.
	var out []*state.Container
	for _, c := range cs {
		if !all && !isRunning(c.State.Status) {
			continue
		}
		if !match(c) {
			continue
		}
		out = append(out, c)
	}
	if o.Latest && len(out) > 1 {
		out = out[len(out)-1:]
	}
	if o.Last > 0 && len(out) > o.Last {
		out = out[len(out)-o.Last:]
	}
	now := time.Now()
	res := make([]engine.ContainerSummary, 0, len(out)+1)
	for _, c := range out {
		s := summarize(c, now)
		s.Networks = e.psNetworks(c)
		res = append(res, s)
	}
	e.fillPodNames(ctx, db, res)
	if o.Size {
		if err := e.fillSizes(res); err != nil {
			return nil, err
		}
	}
	if o.External {
		ext, err := e.externalContainers(cs)
		if err != nil {
			return nil, err
		}
		res = append(res, ext...)
	}
	return res, nil
}

func isRunning(status string) bool {
	return status == state.StatusRunning || status == state.StatusPaused
}

// exitDir is where conmon writes each container's exit code, one file named
// after the container ID (<runroot>/selkie/exits). The monitor passes it to
// conmon's --exit-dir; ps reads it to notice a process that died before its
// cleanup ran.
func (e *Engine) exitDir() (string, error) {
	run, err := e.runDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(run, "exits"), nil
}

// observeExit updates c in memory (not in the DB) when its record says
// running but conmon has already written the exit file.
func observeExit(c *state.Container, exitDir string) {
	if exitDir == "" || !isRunning(c.State.Status) {
		return
	}
	p := filepath.Join(exitDir, c.ID)
	data, err := os.ReadFile(p)
	if err != nil {
		// No exit file: if conmon and the process are both gone (conmon
		// killed with -9), the container is dead; cleanup will record 137.
		if c.State.ConmonPid > 0 && conmonGone(c) {
			c.State.Status = state.StatusExited
			c.State.ExitCode = 137
			c.State.FinishedAt = time.Now()
			c.State.Pid = 0
		}
		return
	}
	c.State.Status = state.StatusExited
	if code, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
		c.State.ExitCode = int32(code)
	}
	if fi, err := os.Stat(p); err == nil {
		c.State.FinishedAt = fi.ModTime()
	}
	c.State.Pid = 0
}

// publicStatus is the state name Podman shows: its "configured" reads "created".
func publicStatus(s string) string {
	switch s {
	case state.StatusConfigured, "":
		return "created"
	case state.StatusCreated: // created in the runtime (init): Podman's "initialized"
		return "initialized"
	}
	return s
}

// statusText is ps's STATUS column, as Podman 4.3 prints it.
func statusText(c *state.Container, now time.Time) string {
	s := publicStatus(c.State.Status)
	switch s {
	case state.StatusRunning:
		return "Up " + units.HumanDuration(now.Sub(c.State.StartedAt)) + " ago"
	case state.StatusExited, state.StatusStopped:
		return fmt.Sprintf("Exited (%d) %s ago", c.State.ExitCode, units.HumanDuration(now.Sub(c.State.FinishedAt)))
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func containerCommand(c *state.Container) []string {
	var ep, cmd []string
	if c.ImageConfig != nil {
		ep, cmd = c.ImageConfig.Config.Entrypoint, c.ImageConfig.Config.Cmd
	}
	if c.Options.Entrypoint != nil {
		ep = *c.Options.Entrypoint
		if len(c.Options.Command) == 0 {
			cmd = nil
		}
	}
	if len(c.Options.Command) > 0 {
		cmd = c.Options.Command
	}
	return append(append([]string{}, ep...), cmd...)
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return time.Time{}.Unix()
	}
	return t.Unix()
}

func summarize(c *state.Container, now time.Time) engine.ContainerSummary {
	st := publicStatus(c.State.Status)
	s := engine.ContainerSummary{
		AutoRemove: c.Options.Remove,
		Command:    containerCommand(c),
		Created:    c.Created,
		CreatedAt:  units.HumanDuration(now.Sub(c.Created)) + " ago",
		Exited:     st == state.StatusExited || st == state.StatusStopped,
		ExitedAt:   unixOrZero(c.State.FinishedAt),
		ExitCode:   c.State.ExitCode,
		ID:         c.ID,
		Image:      c.ImageName,
		ImageID:    c.ImageID,
		Labels:     c.Options.Labels,
		Mounts:     []string{},
		Names:      []string{c.Name},
		Networks:   containerNetworks(c),
		Pid:        c.State.Pid,
		Pod:        c.Pod,
		Ports:      containerPorts(c),
		StartedAt:  unixOrZero(c.State.StartedAt),
		State:      st,
		Status:     statusText(c, now),
	}
	for _, m := range c.Options.Mounts {
		s.Mounts = append(s.Mounts, m.Destination)
	}
	return s
}

// psNetworks are the networks a container joins, as ps lists them: the
// bridge networks (the default one when none was named), none otherwise.
func (e *Engine) psNetworks(c *state.Container) []string {
	m, err := e.containerMode(c)
	if err != nil || m.Kind != network.ModeBridge {
		return []string{}
	}
	return append([]string{}, m.Names...)
}

// containerNetworks is psNetworks without the engine's configuration (named
// networks only).
func containerNetworks(c *state.Container) []string {
	if len(c.Options.Networks) > 0 {
		return c.Options.Networks
	}
	switch n := c.Options.Network; {
	case n == "", n == "bridge", n == "private":
		return []string{}
	case n == "none", n == "host", strings.HasPrefix(n, "container:"), strings.HasPrefix(n, "ns:"):
		return []string{}
	default:
		return []string{n}
	}
}

// fillSizes adds ps --size figures from storage (slow: walks the rw layers).
func (e *Engine) fillSizes(res []engine.ContainerSummary) error {
	st, err := e.Store()
	if err != nil {
		return err
	}
	for i := range res {
		sz := &engine.ContainerSize{}
		if ctr, err := st.Container(res[i].ID); err == nil {
			if n, err := st.DiffSize("", ctr.LayerID); err == nil {
				sz.RwSize = n
			}
			if n, err := rootFsSize(st, ctr.LayerID); err == nil {
				sz.RootFsSize = n
			}
		}
		res[i].Size = sz
	}
	return nil
}

// rootFsSize is Podman's "virtual" size: the diff sizes of the layers below
// the container's read-write layer (file contents, not the image's tar size).
func rootFsSize(st cstorage.Store, rwLayer string) (int64, error) {
	l, err := st.Layer(rwLayer)
	if err != nil {
		return 0, err
	}
	var size int64
	for id, n := l.Parent, 0; id != "" && n < 1000; n++ {
		layer, err := st.Layer(id)
		if err != nil {
			return 0, err
		}
		d, err := st.DiffSize(layer.Parent, layer.ID)
		if err != nil {
			return 0, err
		}
		size += d
		id = layer.Parent
	}
	return size, nil
}

// externalContainers lists storage containers without a Selkie record
// (Buildah's working containers, or leftovers of a crash).
func (e *Engine) externalContainers(known []*state.Container) ([]engine.ContainerSummary, error) {
	st, err := e.Store()
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(known))
	for _, c := range known {
		ids[c.ID] = true
		ids[c.StorageID] = true
	}
	ctrs, err := st.Containers()
	if err != nil {
		return nil, fmt.Errorf("listing storage containers: %w", err)
	}
	var out []engine.ContainerSummary
	for _, sc := range ctrs {
		if ids[sc.ID] {
			continue
		}
		s := engine.ContainerSummary{
			ID:        sc.ID,
			Created:   sc.Created,
			CreatedAt: units.HumanDuration(time.Since(sc.Created)) + " ago",
			Names:     sc.Names,
			ImageID:   sc.ImageID,
			Mounts:    []string{},
			Networks:  []string{},
			State:     "storage",
			Status:    "Storage",
			Command:   []string{"storage"},
		}
		if img, err := st.Image(sc.ImageID); err == nil && len(img.Names) > 0 {
			s.Image = img.Names[0]
		} else {
			s.Image = sc.ImageID
		}
		out = append(out, s)
	}
	return out, nil
}

var knownStates = map[string]bool{
	"created": true, "running": true, "paused": true, "stopped": true,
	"exited": true, "unknown": true, "removing": true, "configured": true, "stopping": true, "initialized": true,
}

// compileFilters turns ps --filter into one predicate. Different keys are
// ANDed; values of one key are ORed, except label and label!, which are ANDed,
// as Podman does.
func compileFilters(filters map[string][]string, all []*state.Container, networks func(*state.Container) []string) (func(*state.Container) bool, error) {
	var preds []func(*state.Container) bool
	byRef := func(ref string) (*state.Container, error) {
		var prefix []*state.Container
		for _, c := range all {
			if c.ID == ref || c.Name == ref {
				return c, nil
			}
			if strings.HasPrefix(c.ID, ref) {
				prefix = append(prefix, c)
			}
		}
		if len(prefix) == 1 {
			return prefix[0], nil
		}
		if len(prefix) > 1 {
			return nil, fmt.Errorf("more than one result for container %q: %w", ref, engine.ErrAmbiguous)
		}
		return nil, fmt.Errorf("no container with name or ID %q found: %w", ref, engine.ErrNoSuchContainer)
	}
	keys := make([]string, 0, len(filters))
	for k := range filters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		vals := filters[key]
		if len(vals) == 0 {
			continue
		}
		var p func(*state.Container) bool
		switch key {
		case "id":
			p = func(c *state.Container) bool {
				for _, v := range vals {
					if strings.HasPrefix(c.ID, v) {
						return true
					}
				}
				return false
			}
		case "name":
			res := make([]*regexp.Regexp, 0, len(vals))
			for _, v := range vals {
				re, err := regexp.Compile(v)
				if err != nil {
					return nil, fmt.Errorf("invalid name filter %q: %w", v, engine.ErrInvalidArg)
				}
				res = append(res, re)
			}
			p = func(c *state.Container) bool {
				for _, re := range res {
					if re.MatchString(c.Name) {
						return true
					}
				}
				return false
			}
		case "label", "label!":
			neg := key == "label!"
			p = func(c *state.Container) bool {
				for _, v := range vals {
					k, want, hasVal := strings.Cut(v, "=")
					got, ok := c.Options.Labels[k]
					m := ok && (!hasVal || got == want)
					if m == neg {
						return false
					}
				}
				return true
			}
		case "status":
			for _, v := range vals {
				if !knownStates[v] {
					return nil, fmt.Errorf("unknown container state: %s: %w", v, engine.ErrInvalidArg)
				}
			}
			p = func(c *state.Container) bool {
				s := publicStatus(c.State.Status)
				for _, v := range vals {
					if v == s || (v == "configured" && c.State.Status == state.StatusConfigured) {
						return true
					}
				}
				return false
			}
		case "ancestor":
			p = func(c *state.Container) bool {
				for _, v := range vals {
					if strings.HasPrefix(c.ImageID, v) || c.ImageName == v ||
						strings.TrimPrefix(c.ImageName, "localhost/") == v ||
						strings.TrimSuffix(c.ImageName, ":latest") == v ||
						strings.TrimSuffix(strings.TrimPrefix(c.ImageName, "localhost/"), ":latest") == v {
						return true
					}
					if re, err := regexp.Compile(v); err == nil && re.MatchString(c.ImageName) {
						return true
					}
				}
				return false
			}
		case "exited":
			codes := make([]int32, 0, len(vals))
			for _, v := range vals {
				n, err := strconv.ParseInt(v, 10, 32)
				if err != nil {
					return nil, fmt.Errorf("exited code out of range %q: %w", v, engine.ErrInvalidArg)
				}
				codes = append(codes, int32(n))
			}
			p = func(c *state.Container) bool {
				if c.State.Status != state.StatusExited && c.State.Status != state.StatusStopped {
					return false
				}
				for _, n := range codes {
					if c.State.ExitCode == n {
						return true
					}
				}
				return false
			}
		case "before", "since":
			var ts []time.Time
			for _, v := range vals {
				ref, err := byRef(v)
				if err != nil {
					return nil, err
				}
				ts = append(ts, ref.Created)
			}
			before := key == "before"
			p = func(c *state.Container) bool {
				for _, t := range ts {
					if before && c.Created.Before(t) || !before && c.Created.After(t) {
						return true
					}
				}
				return false
			}
		case "volume":
			// Podman 4.3: volume=NAME-OR-SOURCE[:DESTINATION].
			p = func(c *state.Container) bool {
				for _, v := range vals {
					src, dest, _ := strings.Cut(v, ":")
					for _, m := range c.Options.Mounts {
						if (m.Name == src || (m.Name == "" && m.Source == src)) && (dest == "" || m.Destination == dest) {
							return true
						}
					}
				}
				return false
			}
		case "network":
			p = func(c *state.Container) bool {
				nets := networks(c)
				for _, v := range vals {
					// Podman matches networks only: none, host and
					// container: modes have none.
					for _, n := range nets {
						if n == v {
							return true
						}
					}
				}
				return false
			}
		case "pod":
			p = func(c *state.Container) bool {
				for _, v := range vals {
					if c.Pod != "" && strings.HasPrefix(c.Pod, v) {
						return true
					}
				}
				return false
			}
		case "health":
			for _, v := range vals {
				switch v {
				case "starting", "healthy", "unhealthy", "none":
				default:
					return nil, fmt.Errorf("%s is not a valid health status: %w", v, engine.ErrInvalidArg)
				}
			}
			p = func(c *state.Container) bool {
				// Without a healthcheck Podman 4.3 has no health status:
				// no value matches (not even "none").
				if c.Options.HealthConfig == nil || len(c.Options.HealthConfig.Test) == 0 {
					return false
				}
				h := "starting"
				for _, v := range vals {
					if v == h {
						return true
					}
				}
				return false
			}
		case "restart-policy":
			for _, v := range vals {
				switch v {
				case "always", "on-failure", "no", "unless-stopped", "none":
				default:
					return nil, fmt.Errorf("%s is an invalid restart policy: %w", v, engine.ErrInvalidArg)
				}
			}
			p = func(c *state.Container) bool {
				rp := c.Options.RestartPolicy
				if rp == "" {
					rp = "no"
				}
				for _, v := range vals {
					if v == rp || (v == "none" && rp == "no") {
						return true
					}
				}
				return false
			}
		case "is-task":
			// Selkie has no Kubernetes tasks: is-task=false matches all.
			p = func(*state.Container) bool {
				for _, v := range vals {
					if v == "false" {
						return true
					}
				}
				return false
			}
		case "until":
			var ts []time.Time
			for _, v := range vals {
				t, err := psUntil(v)
				if err != nil {
					return nil, err
				}
				ts = append(ts, t)
			}
			p = func(c *state.Container) bool {
				for _, t := range ts {
					if c.Created.Before(t) {
						return true
					}
				}
				return false
			}
		default:
			return nil, fmt.Errorf("%s is an invalid filter: %w", key, engine.ErrInvalidArg)
		}
		preds = append(preds, p)
	}
	return func(c *state.Container) bool {
		for _, p := range preds {
			if !p(c) {
				return false
			}
		}
		return true
	}, nil
}

// psUntil accepts a Unix timestamp, an RFC 3339 time or a Go duration
// (meaning that long ago), as Podman's until filter.
func psUntil(v string) (time.Time, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		return time.Now().Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid until filter %q: %w", v, engine.ErrInvalidArg)
}

// containerPorts are the published ports: as set up (random host ports
// resolved) while the container runs, else as requested.
func containerPorts(c *state.Container) []engine.PortMapping {
	if n := c.State.Network; n != nil && isRunning(c.State.Status) && len(n.Ports) > 0 {
		return n.Ports
	}
	return c.Options.PortMappings
}
