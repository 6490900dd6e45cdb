package local

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
)

// loadPod resolves ref and reads the pod and its members (observed exits
// applied), infra first, then the others oldest first.
func (e *Engine) loadPod(ctx context.Context, ref string) (*state.Pod, []*state.Container, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, nil, err
	}
	var p *state.Pod
	var members []*state.Container
	err = db.View(ctx, func(tx *state.Tx) error {
		id, err := tx.ResolvePod(ref)
		if err != nil {
			return err
		}
		if p, err = tx.Pod(id); err != nil {
			return err
		}
		members, err = tx.PodMembers(id)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	e.observeMembers(p, members)
	return p, members, nil
}

func (e *Engine) observeMembers(p *state.Pod, members []*state.Container) {
	exitDir, _ := e.exitDir()
	for _, m := range members {
		observeExit(m, exitDir)
	}
	slices.SortStableFunc(members, func(a, b *state.Container) int {
		switch {
		case a.ID == p.InfraID:
			return -1
		case b.ID == p.InfraID:
			return 1
		}
		return 0
	})
}

func runningOrPaused(c *state.Container) bool {
	return c.State.Status == state.StatusRunning || c.State.Status == state.StatusPaused
}

// podEach runs fn on each member in order and collects the failures.
func podEach(p *state.Pod, members []*state.Container, fn func(c *state.Container) error) engine.PodActionReport {
	rep := engine.PodActionReport{ID: p.ID}
	for _, c := range members {
		if err := fn(c); err != nil {
			if rep.Errors == nil {
				rep.Errors = map[string]string{}
			}
			rep.Errors[c.ID] = err.Error()
		}
	}
	return rep
}

// podErr turns a report with failures into an error (the report still lists them).
func podErr(rep engine.PodActionReport, what string) error {
	if len(rep.Errors) == 0 {
		return nil
	}
	return fmt.Errorf("%s pod %s: %d container(s) failed: %w", what, rep.ID, len(rep.Errors), engine.ErrCtrStateInvalid)
}

// podEvent records a pod event (type pod, as Podman) when the action
// succeeded on every member, and returns err unchanged.
func (e *Engine) podEvent(ctx context.Context, p *state.Pod, status string, err error) error {
	if err == nil {
		e.event(ctx, engine.EventTypePod, status, p.ID, p.Name, "", nil)
	}
	return err
}

// PodStart starts the infra container, then the members in creation order.
func (e *Engine) PodStart(ctx context.Context, ref string) (engine.PodActionReport, error) {
	p, members, err := e.loadPod(ctx, ref)
	if err != nil {
		return engine.PodActionReport{}, err
	}
	infraFailed := false
	rep := podEach(p, members, func(c *state.Container) error {
		if c.ID != p.InfraID && infraFailed {
			return fmt.Errorf("starting container %s: a dependency of container %s failed to start: %w", c.ID, c.ID, engine.ErrCtrStateInvalid)
		}
		if c.State.Status == state.StatusRunning {
			return nil
		}
		if err := e.ContainerStart(ctx, c.ID, engine.ContainerStartOptions{}); err != nil {
			if c.ID == p.InfraID {
				infraFailed = true
			}
			return fmt.Errorf("starting container %s: %w", c.ID, err)
		}
		return nil
	})
	return rep, e.podEvent(ctx, p, "start", podErr(rep, "starting"))
}

// PodStop stops the members, then the infra container.
func (e *Engine) PodStop(ctx context.Context, ref string, o engine.ContainerStopOptions) (engine.PodActionReport, error) {
	p, members, err := e.loadPod(ctx, ref)
	if err != nil {
		if o.Ignore && errors.Is(err, engine.ErrNoSuchPod) {
			return engine.PodActionReport{}, nil
		}
		return engine.PodActionReport{}, err
	}
	slices.Reverse(members) // infra last
	rep := podEach(p, members, func(c *state.Container) error {
		if !runningOrPaused(c) && c.State.Status != state.StatusCreated {
			return nil
		}
		return e.ContainerStop(ctx, c.ID, engine.ContainerStopOptions{Timeout: o.Timeout, Ignore: true})
	})
	return rep, e.podEvent(ctx, p, "stop", podErr(rep, "stopping"))
}

// PodRestart stops then starts every container of the pod.
func (e *Engine) PodRestart(ctx context.Context, ref string) (engine.PodActionReport, error) {
	if rep, err := e.PodStop(ctx, ref, engine.ContainerStopOptions{}); err != nil {
		return rep, err
	}
	return e.PodStart(ctx, ref)
}

// PodKill signals the running containers of the pod.
func (e *Engine) PodKill(ctx context.Context, ref, signal string) (engine.PodActionReport, error) {
	if signal != "" {
		if _, err := parseSignal(signal); err != nil {
			return engine.PodActionReport{}, err
		}
	}
	p, members, err := e.loadPod(ctx, ref)
	if err != nil {
		return engine.PodActionReport{}, err
	}
	running := 0
	slices.Reverse(members)
	rep := podEach(p, members, func(c *state.Container) error {
		if c.State.Status != state.StatusRunning {
			return nil
		}
		running++
		return e.ContainerKill(ctx, c.ID, engine.ContainerKillOptions{Signal: signal})
	})
	if running == 0 {
		return rep, fmt.Errorf("no containers in pod %s are running: %w", p.ID, engine.ErrCtrStateInvalid)
	}
	return rep, e.podEvent(ctx, p, "kill", podErr(rep, "killing"))
}

// PodPause pauses the running containers.
func (e *Engine) PodPause(ctx context.Context, ref string) (engine.PodActionReport, error) {
	p, members, err := e.loadPod(ctx, ref)
	if err != nil {
		return engine.PodActionReport{}, err
	}
	rep := podEach(p, members, func(c *state.Container) error {
		if c.State.Status != state.StatusRunning {
			return nil
		}
		return e.ContainerPause(ctx, c.ID)
	})
	return rep, e.podEvent(ctx, p, "pause", podErr(rep, "pausing"))
}

// PodUnpause resumes the paused containers.
func (e *Engine) PodUnpause(ctx context.Context, ref string) (engine.PodActionReport, error) {
	p, members, err := e.loadPod(ctx, ref)
	if err != nil {
		return engine.PodActionReport{}, err
	}
	rep := podEach(p, members, func(c *state.Container) error {
		if c.State.Status != state.StatusPaused {
			return nil
		}
		return e.ContainerUnpause(ctx, c.ID)
	})
	return rep, e.podEvent(ctx, p, "unpause", podErr(rep, "unpausing"))
}

// PodRemove removes the pod and its containers. Without Force a running
// or paused container refuses the whole removal before anything is removed.
func (e *Engine) PodRemove(ctx context.Context, ref string, o engine.PodRemoveOptions) (engine.PodRemoveReport, error) {
	var rep engine.PodRemoveReport
	p, _, err := e.loadPod(ctx, ref)
	if err == nil {
		// Under the pod's lock no member can be added (see podJoin).
		var unlock func()
		if unlock, err = e.lockMgr.Pod(ctx, p.ID); err != nil {
			return rep, err
		}
		defer unlock()
	}
	var members []*state.Container
	if err == nil {
		p, members, err = e.loadPod(ctx, p.ID)
	}
	if err != nil {
		if o.Ignore && errors.Is(err, engine.ErrNoSuchPod) {
			return rep, nil
		}
		return rep, err
	}
	rep.ID = p.ID
	if !o.Force {
		// As Podman: a running infra container alone does not need -f.
		for _, c := range members {
			if runningOrPaused(c) && c.ID != p.InfraID {
				return rep, fmt.Errorf("pod %s has containers that are not ready to be removed: cannot remove container %s as it is %s - running or paused containers cannot be removed without force: %w",
					p.ID, c.ID, c.State.Status, engine.ErrCtrStateInvalid)
			}
		}
	}
	// Members first, infra last: the infra container is their dependency.
	slices.Reverse(members)
	ctx = context.WithValue(ctx, podRemovalKey{}, p.ID)
	for _, c := range members {
		r, err := e.ContainerRemove(ctx, c.ID, engine.ContainerRemoveOptions{Force: true, Ignore: true, Timeout: o.Timeout, Volumes: true})
		if err != nil {
			return rep, fmt.Errorf("removing container %s from pod %s: %w", c.ID, p.ID, err)
		}
		rep.Containers = append(rep.Containers, r.Removed...)
	}
	db, err := e.db(ctx)
	if err != nil {
		return rep, err
	}
	// A member created while we removed would be orphaned: refuse then.
	err = db.Update(ctx, func(tx *state.Tx) error {
		left, err := tx.PodMembers(p.ID)
		if err != nil {
			return err
		}
		if len(left) > 0 {
			return fmt.Errorf("pod %s gained containers while being removed: %w", p.ID, engine.ErrCtrStateInvalid)
		}
		return tx.DeletePod(p.ID)
	})
	if err == nil {
		// Still holding the pod's lock: a waiter retries on a fresh file.
		_ = e.lockMgr.RemovePod(p.ID)
		if p.CgroupPath != "" {
			if cerr := removePodCgroup(p.CgroupPath); cerr != nil {
				e.log.Warn("pod cgroup not removed", "pod", p.ID, "err", cerr)
			}
		}
		e.event(ctx, engine.EventTypePod, "remove", p.ID, p.Name, "", nil)
	}
	return rep, err
}

// PodExists reports whether ref names a pod.
func (e *Engine) PodExists(ctx context.Context, ref string) (bool, error) {
	db, err := e.db(ctx)
	if err != nil {
		return false, err
	}
	err = db.View(ctx, func(tx *state.Tx) error { _, err := tx.ResolvePod(ref); return err })
	if errors.Is(err, engine.ErrNoSuchPod) {
		return false, nil
	}
	return err == nil, err
}

// podStatus is Podman's pod state from its containers' states.
func podStatus(members []*state.Container) string {
	var running, paused, stopped, created int
	for _, c := range members {
		switch c.State.Status {
		case state.StatusRunning:
			running++
		case state.StatusPaused:
			paused++
		case state.StatusExited, state.StatusStopped:
			stopped++
		default:
			created++
		}
	}
	n := len(members)
	switch {
	case running > 0:
		if running == n {
			return "Running"
		}
		return "Degraded"
	case n > 0 && paused == n:
		return "Paused"
	case n > 0 && stopped == n:
		return "Exited"
	case stopped > 0:
		return "Stopped"
	}
	return "Created"
}

// PodInspect returns Podman's pod inspect document.
func (e *Engine) PodInspect(ctx context.Context, ref string) (*engine.PodInspect, error) {
	p, members, err := e.loadPod(ctx, ref)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(members, func(a, b *state.Container) int { return strings.Compare(a.ID, b.ID) })
	o := p.Options
	in := &engine.PodInspect{
		ID:               p.ID,
		Name:             p.Name,
		Created:          p.Created,
		CreateCommand:    o.CreateCommand,
		ExitPolicy:       o.ExitPolicy,
		State:            podStatus(members),
		Hostname:         o.Hostname,
		Labels:           o.Labels,
		CreateCgroup:     p.CgroupPath != "",
		CgroupParent:     defaultStr(o.CgroupParent, podCgroupParent),
		CgroupPath:       p.CgroupPath,
		CreateInfra:      !o.NoInfra,
		InfraContainerID: p.InfraID,
		SharedNamespaces: p.Share,
		NumContainers:    uint(len(members)),
	}
	for _, m := range o.Mounts {
		m.Options = slices.Clone(m.Options)
		defaultMountOptions(&m) // as inspect shows them
		in.Mounts = append(in.Mounts, m)
	}
	podInspectResources(in, o.Resources)
	podInspectIO(in, o)
	in.SecurityOpts, in.VolumesFrom = o.SecurityOpt, o.VolumesFrom
	for _, d := range o.Devices {
		src, dst, perms := d, d, "rwm"
		if parts := strings.Split(d, ":"); len(parts) == 3 {
			src, dst, perms = parts[0], parts[1], parts[2]
		} else if len(parts) == 2 {
			src, dst = parts[0], parts[1]
			if strings.Trim(dst, "rwm") == "" {
				dst, perms = src, parts[1]
			}
		}
		in.Devices = append(in.Devices, engine.DeviceMapping{PathOnHost: src, PathInContainer: dst, CgroupPermissions: perms})
	}
	if !o.NoInfra {
		ic := &engine.PodInspectInfraConfig{
			PortBindings:  map[string][]engine.InspectHostPort{},
			HostNetwork:   o.Network == "host",
			DNSServer:     o.DNSServers,
			DNSSearch:     o.DNSSearch,
			DNSOption:     o.DNSOptions,
			NoManageHosts: o.NoHosts,
			HostAdd:       o.AddHosts,
			Networks:      e.podNetworks(p),
			PidNS:         nsModeOf(o.PIDMode),
			UserNS:        defaultStr(o.UserNS, "host"),
			UtsNS:         nsModeOf(o.UTSMode),
			CPUPeriod:     in.CPUPeriod,
			CPUQuota:      in.CPUQuota,
			CPUSetCPUs:    in.CPUSetCPUs,
		}
		for _, pm := range o.PortMappings {
			proto := pm.Protocol
			if proto == "" {
				proto = "tcp"
			}
			rng := max(pm.Range, 1)
			for i := uint16(0); i < rng; i++ {
				hp := ""
				if pm.HostPort != 0 {
					hp = strconv.Itoa(int(pm.HostPort + i))
				}
				k := fmt.Sprintf("%d/%s", pm.ContainerPort+i, proto)
				ic.PortBindings[k] = append(ic.PortBindings[k], engine.InspectHostPort{HostIP: pm.HostIP, HostPort: hp})
			}
		}
		in.InfraConfig = ic
	}
	for _, c := range members {
		in.Containers = append(in.Containers, engine.PodInspectContainer{ID: c.ID, Name: c.Name, State: publicStatus(c.State.Status)})
	}
	return in, nil
}

// PodList lists the pods matching o.Filters (all values of one key are
// ORed, keys are ANDed, as in Podman).
func (e *Engine) PodList(ctx context.Context, o engine.PodListOptions) ([]engine.PodSummary, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, err
	}
	var pods []*state.Pod
	members := map[string][]*state.Container{}
	err = db.View(ctx, func(tx *state.Tx) error {
		if pods, err = tx.Pods(); err != nil {
			return err
		}
		for _, p := range pods {
			if members[p.ID], err = tx.PodMembers(p.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	match, err := podFilter(o.Filters)
	if err != nil {
		return nil, err
	}
	out := []engine.PodSummary{}
	for _, p := range pods {
		ms := members[p.ID]
		e.observeMembers(p, ms)
		s := engine.PodSummary{
			Cgroup:     "/libpod_parent",
			Containers: []engine.PodContainerInfo{},
			Created:    p.Created,
			ID:         p.ID,
			InfraID:    p.InfraID,
			Name:       p.Name,
			Networks:   e.podNetworks(p),
			Status:     podStatus(ms),
			Labels:     p.Options.Labels,
		}
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		for _, c := range ms {
			s.Containers = append(s.Containers, engine.PodContainerInfo{ID: c.ID, Names: c.Name, Status: publicStatus(c.State.Status)})
		}
		if match(&s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func podFilter(filters map[string][]string) (func(*engine.PodSummary) bool, error) {
	var preds []func(*engine.PodSummary) bool
	anyOf := func(vals []string, f func(v string) bool) bool {
		for _, v := range vals {
			if f(v) {
				return true
			}
		}
		return false
	}
	for key, vals := range filters {
		vals := vals
		var p func(*engine.PodSummary) bool
		switch key {
		case "id":
			p = func(s *engine.PodSummary) bool {
				return anyOf(vals, func(v string) bool { return strings.HasPrefix(s.ID, v) || regexpMatch(v, s.ID) })
			}
		case "name":
			// As Podman: a regular expression (so a plain name matches
			// every pod whose name contains it; ^name$ only that one).
			p = func(s *engine.PodSummary) bool {
				return anyOf(vals, func(v string) bool { return s.Name == v || regexpMatch(v, s.Name) })
			}
		case "label":
			p = func(s *engine.PodSummary) bool {
				for _, v := range vals {
					k, want, hasVal := strings.Cut(v, "=")
					got, ok := s.Labels[k]
					if !ok || (hasVal && got != want) {
						return false
					}
				}
				return true
			}
		case "status":
			for _, v := range vals {
				switch v {
				case "stopped", "running", "paused", "exited", "dead", "created", "degraded":
				default:
					return nil, &textError{v + " is not a valid pod status", engine.ErrInvalidArg}
				}
			}
			p = func(s *engine.PodSummary) bool {
				return anyOf(vals, func(v string) bool { return strings.EqualFold(s.Status, v) })
			}
		case "network":
			p = func(s *engine.PodSummary) bool {
				return anyOf(vals, func(v string) bool { return slices.Contains(s.Networks, v) })
			}
		case "ctr-names", "ctr-ids", "ctr-status":
			p = func(s *engine.PodSummary) bool {
				return anyOf(vals, func(v string) bool {
					for _, c := range s.Containers {
						switch {
						case key == "ctr-names" && c.Names == v,
							key == "ctr-ids" && strings.HasPrefix(c.ID, v),
							key == "ctr-status" && c.Status == v:
							return true
						}
					}
					return false
				})
			}
		case "ctr-number":
			nums := make([]int, 0, len(vals))
			for _, v := range vals {
				n, err := strconv.Atoi(v)
				if err != nil {
					return nil, fmt.Errorf("invalid ctr-number %q: %w", v, engine.ErrInvalidArg)
				}
				nums = append(nums, n)
			}
			p = func(s *engine.PodSummary) bool { return slices.Contains(nums, len(s.Containers)) }
		default:
			return nil, fmt.Errorf("%s is an invalid filter: %w", key, engine.ErrInvalidArg)
		}
		preds = append(preds, p)
	}
	return func(s *engine.PodSummary) bool {
		for _, p := range preds {
			if !p(s) {
				return false
			}
		}
		return true
	}, nil
}

// podRemovalKey marks a context of PodRemove: only it may remove the pod's
// infra container.
type podRemovalKey struct{}

// infraRemoveGuard refuses to remove a pod's infra container outside pod
// rm, as Podman.
func (e *Engine) infraRemoveGuard(ctx context.Context, c *state.Container) error {
	if c.Pod == "" {
		return nil
	}
	if id, _ := ctx.Value(podRemovalKey{}).(string); id == c.Pod {
		return nil
	}
	db, err := e.db(ctx)
	if err != nil {
		return err
	}
	var p *state.Pod
	if err := db.View(ctx, func(tx *state.Tx) error { p, err = tx.Pod(c.Pod); return err }); err != nil || p.InfraID != c.ID {
		return nil
	}
	return &textError{fmt.Sprintf("container %s is the infra container of pod %s and cannot be removed without removing the pod", c.ID, p.ID), engine.ErrInvalidArg}
}

// podNetworks is the pod's network names for ps and inspect (the default
// network for bridge, without per-network options such as ip=).
func (e *Engine) podNetworks(p *state.Pod) []string {
	o := p.Options
	if o.NoInfra || !slices.Contains(p.Share, "net") {
		return []string{}
	}
	if len(o.Networks) == 0 {
		if o.Network == "" || o.Network == "bridge" || o.Network == "private" {
			return []string{e.cfg.Network.DefaultNetwork}
		}
		return []string{}
	}
	out := make([]string, 0, len(o.Networks))
	for _, n := range o.Networks {
		n, _, _ = strings.Cut(n, ":")
		if n == "bridge" {
			n = e.cfg.Network.DefaultNetwork
		}
		out = append(out, n)
	}
	return out
}

// regexpMatch reports whether regular expression re matches s (false
// when re does not compile).
func regexpMatch(re, s string) bool {
	m, err := regexp.MatchString(re, s)
	return err == nil && m
}

// nsModeOf is pod inspect's name for the infra's namespace mode: host or
// private (a joined path is not the host's).
func nsModeOf(mode string) string {
	if mode == "host" {
		return "host"
	}
	return "private"
}
