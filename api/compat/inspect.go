package compat

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/engine"
)

// containerJSON is Docker's GET /containers/{id}/json body. Podman's inspect
// blocks are Docker-shaped already, so most are passed through.
type containerJSON struct {
	ID              string                 `json:"Id"`
	Created         string                 `json:"Created"`
	Path            string                 `json:"Path"`
	Args            []string               `json:"Args"`
	State           dockerState            `json:"State"`
	Image           string                 `json:"Image"`
	ResolvConfPath  string                 `json:"ResolvConfPath"`
	HostnamePath    string                 `json:"HostnamePath"`
	HostsPath       string                 `json:"HostsPath"`
	LogPath         string                 `json:"LogPath"`
	Name            string                 `json:"Name"`
	RestartCount    int32                  `json:"RestartCount"`
	Driver          string                 `json:"Driver"`
	Platform        string                 `json:"Platform"`
	MountLabel      string                 `json:"MountLabel"`
	ProcessLabel    string                 `json:"ProcessLabel"`
	AppArmorProfile string                 `json:"AppArmorProfile"`
	ExecIDs         []string               `json:"ExecIDs"`
	HostConfig      engine.HostConfig      `json:"HostConfig"`
	GraphDriver     engine.GraphDriverData `json:"GraphDriver"`
	SizeRw          *int64                 `json:"SizeRw,omitempty"`
	SizeRootFs      *int64                 `json:"SizeRootFs,omitempty"`
	Mounts          []engine.Mount         `json:"Mounts"`
	Config          dockerConfig           `json:"Config"`
	NetworkSettings engine.NetworkSettings `json:"NetworkSettings"`
}

type dockerState struct {
	Status     string               `json:"Status"`
	Running    bool                 `json:"Running"`
	Paused     bool                 `json:"Paused"`
	Restarting bool                 `json:"Restarting"`
	OOMKilled  bool                 `json:"OOMKilled"`
	Dead       bool                 `json:"Dead"`
	Pid        int                  `json:"Pid"`
	ExitCode   int32                `json:"ExitCode"`
	Error      string               `json:"Error"`
	StartedAt  string               `json:"StartedAt"`
	FinishedAt string               `json:"FinishedAt"`
	Health     *engine.HealthStatus `json:"Health,omitempty"`
}

type dockerConfig struct {
	Hostname     string               `json:"Hostname"`
	Domainname   string               `json:"Domainname"`
	User         string               `json:"User"`
	AttachStdin  bool                 `json:"AttachStdin"`
	AttachStdout bool                 `json:"AttachStdout"`
	AttachStderr bool                 `json:"AttachStderr"`
	ExposedPorts map[string]struct{}  `json:"ExposedPorts,omitempty"`
	Tty          bool                 `json:"Tty"`
	OpenStdin    bool                 `json:"OpenStdin"`
	StdinOnce    bool                 `json:"StdinOnce"`
	Env          []string             `json:"Env"`
	Cmd          []string             `json:"Cmd"`
	Healthcheck  *engine.HealthConfig `json:"Healthcheck,omitempty"`
	Image        string               `json:"Image"`
	Volumes      map[string]struct{}  `json:"Volumes"`
	WorkingDir   string               `json:"WorkingDir"`
	Entrypoint   []string             `json:"Entrypoint"`
	OnBuild      []string             `json:"OnBuild"`
	Labels       map[string]string    `json:"Labels"`
	StopSignal   string               `json:"StopSignal,omitempty"`
	StopTimeout  *int                 `json:"StopTimeout,omitempty"`
}

// dockerStatus maps Podman's states to Docker's.
func dockerStatus(s string) string {
	switch s {
	case "stopped", "exited":
		return "exited"
	case "configured", "created", "initialized":
		return "created"
	case "stopping":
		return "running"
	}
	return s
}

func dockerTime(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func toContainerJSON(c *engine.ContainerInspect) containerJSON {
	st := c.State
	name := c.Name
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	stopTimeout := int(c.Config.StopTimeout)
	labels := c.Config.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	out := containerJSON{
		ID: c.ID, Created: dockerTime(c.Created), Path: c.Path, Args: nonNil(c.Args),
		State: dockerState{
			Status: dockerStatus(st.Status), Running: st.Running, Paused: st.Paused, Restarting: st.Restarting,
			OOMKilled: st.OOMKilled, Dead: st.Dead, Pid: st.Pid, ExitCode: st.ExitCode, Error: st.Error,
			StartedAt: dockerTime(st.StartedAt), FinishedAt: dockerTime(st.FinishedAt), Health: st.Health,
		},
		Image: sha(c.Image), ResolvConfPath: c.ResolvConfPath, HostnamePath: c.HostnamePath, HostsPath: c.HostsPath,
		LogPath: c.HostConfig.LogConfig.Path, Name: name, RestartCount: c.RestartCount, Driver: c.Driver, Platform: "linux",
		MountLabel: c.MountLabel, ProcessLabel: c.ProcessLabel, AppArmorProfile: c.AppArmorProfile, ExecIDs: c.ExecIDs,
		HostConfig: c.HostConfig, GraphDriver: c.GraphDriver, SizeRw: c.SizeRw, Mounts: c.Mounts, NetworkSettings: c.NetworkSettings,
		Config: dockerConfig{
			Hostname: c.Config.Hostname, Domainname: c.Config.Domainname, User: c.Config.User,
			AttachStdin: c.Config.AttachStdin, AttachStdout: c.Config.AttachStdout, AttachStderr: c.Config.AttachStderr,
			ExposedPorts: c.Config.ExposedPorts, Tty: c.Config.Tty, OpenStdin: c.Config.OpenStdin, StdinOnce: c.Config.StdinOnce,
			Env: nonNil(c.Config.Env), Cmd: c.Config.Cmd, Healthcheck: c.Config.Healthcheck, Image: c.ImageName,
			Volumes: c.Config.Volumes, WorkingDir: c.Config.WorkingDir, Entrypoint: strings.Fields(c.Config.Entrypoint), OnBuild: c.Config.OnBuild,
			Labels: labels, StopSignal: fmt.Sprint(c.Config.StopSignal), StopTimeout: &stopTimeout,
		},
	}
	if c.SizeRootFs > 0 {
		v := c.SizeRootFs
		out.SizeRootFs = &v
	}
	if out.Mounts == nil {
		out.Mounts = []engine.Mount{}
	}
	if t := out.HostConfig.LogConfig.Type; t == "k8s-file" || t == "" {
		// Docker clients (docker-py's run) only read logs of the drivers
		// they know; the logs route serves k8s-file the same way.
		out.HostConfig.LogConfig.Type = "json-file"
	}
	if out.HostConfig.NetworkMode == "" {
		out.HostConfig.NetworkMode = "default"
	}
	out.NetworkSettings.Networks = dockerNetworks(c, nil)
	return out
}

// dockerNetworks lists the container's networks as Docker does: also before
// it runs (requested: what its create asked for; compose connects what is missing), each with the short ID as an
// alias (compose v1 takes its absence as "not connected by us").
func dockerNetworks(c *engine.ContainerInspect, requested []string) map[string]*engine.NetworkEndpoint {
	out := map[string]*engine.NetworkEndpoint{}
	for name, ep := range c.NetworkSettings.Networks {
		cp := *ep
		out[name] = &cp
	}
	if len(out) == 0 {
		for _, n := range requested {
			out[n] = &engine.NetworkEndpoint{}
		}
	}
	if len(out) == 0 && len(requested) == 0 {
		switch mode := c.HostConfig.NetworkMode; {
		case mode == "" || mode == "default" || mode == "none" || mode == "host" || mode == "private" || mode == "slirp4netns" || mode == "pasta",
			strings.HasPrefix(mode, "container:"), strings.HasPrefix(mode, "ns:"):
		default:
			out[mode] = &engine.NetworkEndpoint{}
		}
	}
	short := c.ID[:min(12, len(c.ID))]
	for _, ep := range out {
		if !slices.Contains(ep.Aliases, short) {
			ep.Aliases = append(ep.Aliases, short)
		}
	}
	return out
}

// containerSummary is Docker's GET /containers/json element.
type containerSummary struct {
	ID         string            `json:"Id"`
	Names      []string          `json:"Names"`
	Image      string            `json:"Image"`
	ImageID    string            `json:"ImageID"`
	Command    string            `json:"Command"`
	Created    int64             `json:"Created"`
	Ports      []portSummary     `json:"Ports"`
	SizeRw     int64             `json:"SizeRw,omitempty"`
	SizeRootFs int64             `json:"SizeRootFs,omitempty"`
	Labels     map[string]string `json:"Labels"`
	State      string            `json:"State"`
	Status     string            `json:"Status"`
	HostConfig struct {
		NetworkMode string `json:"NetworkMode"`
	} `json:"HostConfig"`
	NetworkSettings struct {
		Networks map[string]any `json:"Networks"`
	} `json:"NetworkSettings"`
	Mounts []engine.Mount `json:"Mounts"`
}

type portSummary struct {
	IP          string `json:"IP,omitempty"`
	PrivatePort uint16 `json:"PrivatePort"`
	PublicPort  uint16 `json:"PublicPort,omitempty"`
	Type        string `json:"Type"`
}

func toContainerSummary(c engine.ContainerSummary, now time.Time) containerSummary {
	out := containerSummary{
		ID: c.ID, Image: c.Image, ImageID: sha(c.ImageID), Command: strings.Join(c.Command, " "), Created: c.Created.Unix(),
		Labels: c.Labels, State: dockerStatus(c.State), Ports: []portSummary{}, Mounts: []engine.Mount{},
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	for _, n := range c.Names {
		out.Names = append(out.Names, "/"+strings.TrimPrefix(n, "/"))
	}
	if out.Names == nil {
		out.Names = []string{}
	}
	for _, p := range c.Ports {
		n := max(p.Range, 1)
		for i := uint16(0); i < n; i++ {
			ps := portSummary{PrivatePort: p.ContainerPort + i, Type: p.Protocol}
			if p.HostPort != 0 {
				ps.PublicPort = p.HostPort + i
				ps.IP = p.HostIP
				if ps.IP == "" {
					ps.IP = "0.0.0.0"
				}
			}
			out.Ports = append(out.Ports, ps)
		}
	}
	if c.Size != nil {
		out.SizeRw, out.SizeRootFs = c.Size.RwSize, c.Size.RootFsSize
	}
	out.HostConfig.NetworkMode = "default"
	out.NetworkSettings.Networks = map[string]any{}
	for _, n := range c.Networks {
		out.NetworkSettings.Networks[n] = map[string]any{}
	}
	out.Status = statusText(out.State, c, now)
	return out
}

// statusText is Docker's ps STATUS column ("Up 5 seconds", "Exited (0) 2 minutes ago").
func statusText(state string, c engine.ContainerSummary, now time.Time) string {
	switch state {
	case "running":
		s := "Up " + humanDuration(now.Sub(time.Unix(c.StartedAt, 0)))
		return s
	case "paused":
		return "Up " + humanDuration(now.Sub(time.Unix(c.StartedAt, 0))) + " (Paused)"
	case "exited":
		if c.ExitedAt <= 0 {
			return fmt.Sprintf("Exited (%d)", c.ExitCode)
		}
		return fmt.Sprintf("Exited (%d) %s ago", c.ExitCode, humanDuration(now.Sub(time.Unix(c.ExitedAt, 0))))
	case "created":
		return "Created"
	}
	return strings.ToUpper(state[:min(1, len(state))]) + state[min(1, len(state)):]
}

// humanDuration is Docker's units.HumanDuration.
func humanDuration(d time.Duration) string {
	if s := int(d.Seconds()); s < 1 {
		return "Less than a second"
	} else if s == 1 {
		return "1 second"
	} else if s < 60 {
		return fmt.Sprintf("%d seconds", s)
	} else if m := int(d.Minutes()); m == 1 {
		return "About a minute"
	} else if m < 60 {
		return fmt.Sprintf("%d minutes", m)
	} else if h := int(d.Round(time.Hour).Hours()); h == 1 {
		return "About an hour"
	} else if h < 48 {
		return fmt.Sprintf("%d hours", h)
	} else if h < 24*7*2 {
		return fmt.Sprintf("%d days", h/24)
	} else if h < 24*30*2 {
		return fmt.Sprintf("%d weeks", h/24/7)
	} else if h < 24*365*2 {
		return fmt.Sprintf("%d months", h/24/30)
	}
	return fmt.Sprintf("%d years", int(d.Hours())/24/365)
}
