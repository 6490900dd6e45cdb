// Package compat serves the Docker Engine API: Docker's paths, query
// parameters and wire types, converted to engine types here and only here.
package compat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/moby/moby/api/types/container"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

// APIVersion is the Docker Engine API version advertised (/_ping, /version).
const APIVersion = "1.44"

// MinAPIVersion is the oldest Docker API version accepted.
const MinAPIVersion = "1.24"

// Options configures Register.
type Options struct {
	Version engine.VersionReport
}

type routes struct {
	eng engine.Engine
	o   Options

	// attaches holds attach connections opened on a created container,
	// waiting for its start (docker run attaches first, then starts).
	mu       sync.Mutex
	attaches map[string]*pendingAttach
	// created remembers the networks a Docker create asked for, until the
	// container first runs: the engine reports networks of running
	// containers only, and compose connects whatever inspect does not show.
	created map[string][]string
	// consoles holds the HostConfig.ConsoleSize of TTY containers created
	// through the API: the PTY gets it before the process starts (docker
	// run -it resizes only after its start returns).
	consoles map[string]engine.TerminalSize
}

// Register adds the Docker routes (paths without the /v1.xx prefix).
func Register(mux *http.ServeMux, eng engine.Engine, o Options) {
	s := &routes{eng: eng, o: o, attaches: map[string]*pendingAttach{}, created: map[string][]string{}, consoles: map[string]engine.TerminalSize{}}
	h := func(pattern string, fn wire.HandlerFunc) { mux.Handle(pattern, fn) }
	s.system(h)
	s.images(h)
	s.containers(h)
	s.exec(h)
	s.networks(h)
	s.volumes(h)
	s.build(h)
}

type handle func(pattern string, fn wire.HandlerFunc)

// decode reads a Docker JSON body; Docker ignores unknown fields.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return wire.DecodeJSON(w, r, v, false)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	return wire.WriteJSON(w, status, v)
}

func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// boolQuery parses Docker's boolean query values (1, true, True; absent: def).
func boolQuery(r *http.Request, name string, def bool) bool {
	v, ok := r.URL.Query()[name]
	if !ok || len(v) == 0 {
		return def
	}
	switch strings.ToLower(v[0]) {
	case "", "0", "false", "no":
		return false
	}
	return true
}

func intQuery(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, wire.BadRequest(fmt.Errorf("invalid value %q for query parameter %q", v, name))
	}
	return n, nil
}

// filters parses Docker's filters query: {"key":{"value":true}} or, from
// old clients, {"key":["value"]}.
func filters(r *http.Request) (map[string][]string, error) {
	raw := r.URL.Query().Get("filters")
	out := map[string][]string{}
	if raw == "" {
		return out, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, wire.BadRequest(fmt.Errorf("invalid filters: %v", err))
	}
	for k, v := range m {
		var set map[string]bool
		if json.Unmarshal(v, &set) == nil {
			for val, on := range set {
				if on {
					out[k] = append(out[k], val)
				}
			}
			continue
		}
		var list []string
		if err := json.Unmarshal(v, &list); err != nil {
			return nil, wire.BadRequest(fmt.Errorf("invalid filter %q: %v", k, err))
		}
		out[k] = append(out[k], list...)
	}
	return out, nil
}

// filterList flattens filters to key=value strings (the image engine's form).
func filterList(f map[string][]string) []string {
	var l []string
	for k, vs := range f {
		for _, v := range vs {
			l = append(l, k+"="+v)
		}
	}
	return l
}

// msgError shows msg (Docker's wording, which some clients match on) while
// keeping the engine error underneath for the status.
type msgError struct {
	msg string
	err error
}

func (e *msgError) Error() string { return e.msg }
func (e *msgError) Unwrap() error { return e.err }

// imageErr rewrites a missing-image error as Docker's "No such image: NAME"
// (docker-py raises ImageNotFound only on that text).
func imageErr(err error, name string) error {
	if errors.Is(err, engine.ErrNoSuchImage) {
		return &msgError{msg: "No such image: " + name, err: err}
	}
	return err
}

// rememberNetworks records the networks of a container created through the API.
func (s *routes) rememberNetworks(id string, o engine.ContainerCreateOptions) {
	var names []string
	if o.Network != "" {
		names = append(names, o.Network)
	}
	for _, n := range o.Networks {
		name, _, _ := strings.Cut(n, ":")
		names = append(names, name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.created) > 10000 {
		clear(s.created)
	}
	s.created[id] = names
}

// createdNetworks returns what rememberNetworks recorded for id.
func (s *routes) createdNetworks(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created[id]
}

func (s *routes) forgetNetworks(id string) {
	s.mu.Lock()
	delete(s.created, id)
	delete(s.consoles, id)
	s.mu.Unlock()
}

// noteConnect keeps the networks recorded for a container created through
// the API in step with connect and disconnect: a container that has not run
// has no endpoints, and its inspect shows the recorded names.
func (s *routes) noteConnect(ctx context.Context, ctr, network string, connected bool) {
	c, err := s.eng.ContainerInspect(ctx, ctr, engine.ContainerInspectOptions{})
	if err != nil {
		return
	}
	if n, err := s.eng.NetworkInspect(ctx, network); err == nil {
		network = n.Name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	names, ok := s.created[c.ID]
	if !ok {
		return
	}
	names = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == network })
	if connected {
		names = append(names, network)
	}
	s.created[c.ID] = names
}

// rememberConsole records the initial terminal size of a TTY container.
func (s *routes) rememberConsole(id string, req *container.CreateRequest) {
	if req.Config == nil || !req.Config.Tty || req.HostConfig == nil {
		return
	}
	h, w := req.HostConfig.ConsoleSize[0], req.HostConfig.ConsoleSize[1]
	if h == 0 || w == 0 || h > 0xffff || w > 0xffff {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.consoles) > 10000 {
		clear(s.consoles)
	}
	s.consoles[id] = engine.TerminalSize{Height: uint16(h), Width: uint16(w)}
}

// consoleResize returns a closed channel holding the recorded initial size
// of id, for engine.Streams.Resize; nil when none was recorded.
func (s *routes) consoleResize(id string) <-chan engine.TerminalSize {
	s.mu.Lock()
	sz, ok := s.consoles[id]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	ch := make(chan engine.TerminalSize, 1)
	ch <- sz
	close(ch)
	return ch
}
