package compat

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/build"
)

// build is Docker's classic (non-BuildKit) POST /build: a tar context in
// the body, options in the query, JSON messages out.
func (s *routes) build(h handle) {
	h("POST /build", func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		o := engine.BuildOptions{
			Tags:        q["t"],
			Target:      q.Get("target"),
			NoCache:     boolQuery(r, "nocache", false),
			Quiet:       boolQuery(r, "q", false),
			Remove:      boolQuery(r, "rm", true),
			ForceRemove: boolQuery(r, "forcerm", false),
			Layers:      true,
			Format:      "docker",
			Network:     q.Get("networkmode"),
			PullPolicy:  engine.PullPolicyMissing,
			Jobs:        1, // stages one at a time, as Docker's classic builder
		}
		if o.Network == "default" {
			o.Network = ""
		}
		if boolQuery(r, "pull", false) {
			o.PullPolicy = engine.PullPolicyAlways
		}
		if df := q.Get("dockerfile"); df != "" {
			o.Containerfiles = []string{df}
		}
		if err := jsonQuery(q.Get("buildargs"), &o.BuildArgs); err != nil {
			return err
		}
		var labels map[string]string
		if err := jsonQuery(q.Get("labels"), &labels); err != nil {
			return err
		}
		for k, v := range labels {
			o.Labels = append(o.Labels, k+"="+v)
		}
		if rem := q.Get("remote"); rem != "" {
			// Docker's remote=: a git repository, a tarball or a
			// Dockerfile alone, fetched by the engine. Never a path on
			// the server.
			if build.RemoteKind(rem) == "" {
				return wire.BadRequest(fmt.Errorf("remote %q: not a git or http(s) URL", rem))
			}
			o.ContextDir = rem
		} else {
			ctxFile, cleanup, err := wire.Spool(r.Body)
			if err != nil {
				return err
			}
			defer cleanup()
			o.ContextArchive = ctxFile
		}
		js := newJSONStream(w)
		out := js.stream()
		o.Out, o.Err = out, out
		if o.Quiet {
			// Docker streams only the image ID (the CLI prints the stream)
			o.Out, o.Err = io.Discard, io.Discard
		}
		rep, err := s.eng.Build(r.Context(), o)
		out.flush()
		if err != nil {
			js.fail(err)
			return nil
		}
		js.send(jsonMessage{Aux: map[string]string{"ID": sha(rep.ID)}})
		if o.Quiet {
			js.send(jsonMessage{Stream: sha(rep.ID) + "\n"})
		} else {
			js.send(jsonMessage{Stream: "Successfully built " + shortID(rep.ID) + "\n"})
			for _, t := range o.Tags {
				js.send(jsonMessage{Stream: "Successfully tagged " + t + "\n"})
			}
		}
		return nil
	})
}

func jsonQuery(s string, v any) error {
	if s == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return wire.BadRequest(fmt.Errorf("invalid JSON query parameter %q: %v", s, err))
	}
	return nil
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	return id[:min(12, len(id))]
}
