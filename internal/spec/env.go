package spec

import (
	"os"
	"sort"
	"strings"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
)

// envList is an ordered KEY=VALUE list where a later Set replaces the value
// but keeps the first position, as Podman's merged environment does.
type envList struct {
	keys []string
	vals map[string]string
}

func (e *envList) set(k, v string) {
	if e.vals == nil {
		e.vals = map[string]string{}
	}
	if _, ok := e.vals[k]; !ok {
		e.keys = append(e.keys, k)
	}
	e.vals[k] = v
}

func (e *envList) setKV(kv string) {
	k, v, _ := strings.Cut(kv, "=")
	if k != "" {
		e.set(k, v)
	}
}

func (e *envList) unset(k string) {
	if _, ok := e.vals[k]; !ok {
		return
	}
	delete(e.vals, k)
	for i, x := range e.keys {
		if x == k {
			e.keys = append(e.keys[:i], e.keys[i+1:]...)
			break
		}
	}
}

func (e *envList) list() []string {
	out := make([]string, 0, len(e.keys))
	for _, k := range e.keys {
		out = append(out, k+"="+e.vals[k])
	}
	return out
}

// buildEnv merges, lowest priority first: containers.conf env, TERM and
// container=podman, the image's Env, the host env (--env-host), then -e.
// HOME and HOSTNAME are added when nobody set them.
func buildEnv(o *engine.ContainerCreateOptions, img *v1.ImageConfig, cfg *config.Config, hostname, home string) []string {
	var e envList
	if !o.UnsetEnvAll {
		for _, kv := range cfg.Containers.Env {
			e.setKV(kv)
		}
		e.set("TERM", "xterm")
		e.set("container", "podman")
		for _, kv := range img.Env {
			e.setKV(kv)
		}
	}
	if o.EnvHost || cfg.Containers.EnvHost {
		for _, kv := range os.Environ() {
			e.setKV(kv)
		}
	}
	keys := make([]string, 0, len(o.Env))
	for k := range o.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e.set(k, o.Env[k])
	}
	for _, k := range o.UnsetEnv {
		e.unset(k)
	}
	if _, ok := e.vals["HOME"]; !ok {
		e.set("HOME", home)
	}
	if _, ok := e.vals["HOSTNAME"]; !ok && hostname != "" {
		e.set("HOSTNAME", hostname)
	}
	return e.list()
}
