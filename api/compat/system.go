package compat

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

// versionResponse is Docker's GET /version body.
type versionResponse struct {
	Platform      struct{ Name string } `json:"Platform"`
	Components    []versionComponent    `json:"Components"`
	Version       string                `json:"Version"`
	APIVersion    string                `json:"ApiVersion"`
	MinAPIVersion string                `json:"MinAPIVersion"`
	GitCommit     string                `json:"GitCommit"`
	GoVersion     string                `json:"GoVersion"`
	Os            string                `json:"Os"`
	Arch          string                `json:"Arch"`
	KernelVersion string                `json:"KernelVersion,omitempty"`
	BuildTime     string                `json:"BuildTime,omitempty"`
}

type versionComponent struct {
	Name    string            `json:"Name"`
	Version string            `json:"Version"`
	Details map[string]string `json:"Details,omitempty"`
}

func (s *routes) ping(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("API-Version", APIVersion)
	h.Set("Builder-Version", "1")
	h.Set("Docker-Experimental", "false")
	h.Set("OSType", runtime.GOOS)
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Libpod-API-Version", s.o.Version.APIVersion)
	h.Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method == http.MethodHead {
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	_, err := w.Write([]byte("OK"))
	return err
}

func (s *routes) system(h handle) {
	h("GET /_ping", s.ping)
	h("HEAD /_ping", s.ping)
	h("GET /version", func(w http.ResponseWriter, r *http.Request) error {
		v := s.o.Version
		resp := versionResponse{
			Version:       v.Version,
			APIVersion:    APIVersion,
			MinAPIVersion: MinAPIVersion,
			GitCommit:     v.GitCommit,
			GoVersion:     runtime.Version(),
			Os:            runtime.GOOS,
			Arch:          runtime.GOARCH,
			BuildTime:     v.BuiltTime,
		}
		resp.Platform.Name = "Selkie Engine"
		resp.Components = []versionComponent{{Name: "Selkie Engine", Version: v.Version, Details: map[string]string{
			"APIVersion": APIVersion, "MinAPIVersion": MinAPIVersion, "GoVersion": runtime.Version(), "Os": runtime.GOOS, "Arch": runtime.GOARCH,
		}}}
		return writeJSON(w, http.StatusOK, resp)
	})
	h("POST /auth", func(w http.ResponseWriter, r *http.Request) error {
		var req struct {
			Username      string `json:"username"`
			Password      string `json:"password"`
			ServerAddress string `json:"serveraddress"`
		}
		if err := decode(w, r, &req); err != nil {
			return err
		}
		server := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(req.ServerAddress, "https://"), "http://"), "/")
		if server == "" {
			return wire.BadRequest(fmt.Errorf("serveraddress is required"))
		}
		if err := s.eng.Login(r.Context(), server, engine.LoginOptions{Username: req.Username, Password: req.Password}); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]string{"Status": "Login Succeeded", "IdentityToken": ""})
	})
	h("GET /events", func(w http.ResponseWriter, r *http.Request) error {
		return wire.ServeEvents(w, r, s.eng, true)
	})
	h("GET /system/df", s.systemDf)
	h("GET /info", func(w http.ResponseWriter, r *http.Request) error {
		info, err := s.eng.Info(r.Context())
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, s.dockerInfo(info))
	})
}

// dockerInfo converts the engine's info to Docker's GET /info body.
func (s *routes) dockerInfo(i *engine.InfoReport) map[string]any {
	running, paused, stopped := i.Store.ContainerStore.Running, i.Store.ContainerStore.Paused, i.Store.ContainerStore.Stopped
	driverStatus := [][2]string{}
	for k, v := range i.Store.GraphStatus {
		driverStatus = append(driverStatus, [2]string{k, v})
	}
	runtimeName := i.Host.OCIRuntime.Name
	if runtimeName == "" {
		runtimeName = "runc"
	}
	return map[string]any{
		"ID":                 "",
		"Containers":         i.Store.ContainerStore.Number,
		"ContainersRunning":  running,
		"ContainersPaused":   paused,
		"ContainersStopped":  stopped,
		"Images":             i.Store.ImageStore.Number,
		"Driver":             i.Store.GraphDriverName,
		"DriverStatus":       driverStatus,
		"DockerRootDir":      i.Store.GraphRoot,
		"MemoryLimit":        true,
		"SwapLimit":          true,
		"CpuCfsPeriod":       true,
		"CpuCfsQuota":        true,
		"CPUShares":          true,
		"CPUSet":             true,
		"PidsLimit":          true,
		"IPv4Forwarding":     true,
		"Debug":              false,
		"NFd":                0,
		"NGoroutines":        runtime.NumGoroutine(),
		"SystemTime":         time.Now().Format(time.RFC3339Nano),
		"LoggingDriver":      i.Host.LogDriver,
		"CgroupDriver":       i.Host.CgroupManager,
		"CgroupVersion":      trimV(i.Host.CgroupVersion),
		"NEventsListener":    0,
		"KernelVersion":      i.Host.Kernel,
		"OperatingSystem":    i.Host.Distribution.Distribution,
		"OSVersion":          i.Host.Distribution.Version,
		"OSType":             i.Host.OS,
		"Architecture":       archName(i.Host.Arch),
		"NCPU":               i.Host.CPUs,
		"MemTotal":           i.Host.MemTotal,
		"IndexServerAddress": "https://index.docker.io/v1/",
		"RegistryConfig":     map[string]any{"IndexConfigs": map[string]any{}, "InsecureRegistryCIDRs": []string{}, "Mirrors": []string{}},
		"Name":               i.Host.Hostname,
		"Labels":             []string{},
		"ExperimentalBuild":  false,
		"ServerVersion":      s.o.Version.Version,
		"Runtimes":           map[string]any{runtimeName: map[string]string{"path": i.Host.OCIRuntime.Path}},
		"DefaultRuntime":     runtimeName,
		"Swarm":              map[string]any{"LocalNodeState": "inactive", "ControlAvailable": false, "NodeID": "", "NodeAddr": ""},
		"LiveRestoreEnabled": false,
		"Isolation":          "",
		"InitBinary":         "",
		"SecurityOptions":    securityOptions(i),
		"Warnings":           []string{},
	}
}

func securityOptions(i *engine.InfoReport) []string {
	var o []string
	if i.Host.Security.SECCOMPEnabled {
		o = append(o, "name=seccomp,profile=default")
	}
	if i.Host.Security.Rootless {
		o = append(o, "name=rootless")
	}
	return o
}

func trimV(s string) string {
	if len(s) > 1 && s[0] == 'v' {
		return s[1:]
	}
	return s
}

func archName(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return goarch
}
