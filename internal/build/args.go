package build

import (
	"runtime"
	"sort"
)

// ProxyArgs are the predefined ARGs usable with --build-arg without an ARG
// line (Docker's and Buildah's list).
var proxyArgs = []string{
	"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
	"NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
}

// IsProxyArg reports whether name is a predefined proxy ARG.
func IsProxyArg(name string) bool {
	for _, p := range proxyArgs {
		if p == name {
			return true
		}
	}
	return false
}

// PlatformArgs are the automatic platform ARGs (native platform only).
func PlatformArgs() map[string]string {
	p := runtime.GOOS + "/" + runtime.GOARCH
	return map[string]string{
		"TARGETPLATFORM": p, "TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH, "TARGETVARIANT": "",
		"BUILDPLATFORM": p, "BUILDOS": runtime.GOOS, "BUILDARCH": runtime.GOARCH, "BUILDVARIANT": "",
	}
}

// Args tracks ARG values in one scope (the global one before the first
// FROM, or a stage). Build args override declared defaults; they are
// visible only once declared, except the proxy args.
type Args struct {
	buildArgs map[string]string
	used      map[string]bool
	values    map[string]string
	order     []string
}

// NewArgs starts a scope. used collects which build args were consumed
// (shared across scopes).
func NewArgs(buildArgs map[string]string, used map[string]bool) *Args {
	a := &Args{buildArgs: buildArgs, used: used, values: map[string]string{}}
	for _, p := range proxyArgs {
		if v, ok := buildArgs[p]; ok {
			a.set(p, v)
			used[p] = true
		}
	}
	return a
}

func (a *Args) set(k, v string) {
	if _, ok := a.values[k]; !ok {
		a.order = append(a.order, k)
	}
	a.values[k] = v
}

// Declare handles `ARG name[=default]`. inherited is the global scope's
// value for a bare `ARG name` in a stage.
func (a *Args) Declare(name string, def *string, inherited map[string]string) {
	if v, ok := a.buildArgs[name]; ok {
		a.used[name] = true
		a.set(name, v)
		return
	}
	if def != nil {
		a.set(name, *def)
		return
	}
	if v, ok := inherited[name]; ok {
		a.set(name, v)
		return
	}
	if v, ok := PlatformArgs()[name]; ok {
		a.set(name, v)
		return
	}
	if _, ok := a.values[name]; !ok {
		a.order = append(a.order, name)
		a.values[name] = ""
	}
}

// Values returns the declared ARGs.
func (a *Args) Values() map[string]string {
	out := make(map[string]string, len(a.values))
	for k, v := range a.values {
		out[k] = v
	}
	return out
}

// Env returns the ARGs as KEY=VALUE in declaration order.
func (a *Args) Env() []string {
	out := make([]string, 0, len(a.order))
	for _, k := range a.order {
		out = append(out, k+"="+a.values[k])
	}
	return out
}

// Unused lists build args given but never consumed.
func Unused(buildArgs map[string]string, used map[string]bool) []string {
	var out []string
	for k := range buildArgs {
		if !used[k] && !IsProxyArg(k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
