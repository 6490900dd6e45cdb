package wire

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/events"
)

// EventActor is Docker's events.Actor.
type EventActor struct {
	ID         string            `json:"ID"`
	Attributes map[string]string `json:"Attributes"`
}

// EventMessage is Docker's events.Message, the shape both the compat and
// the libpod /events endpoints stream (as Podman does).
type EventMessage struct {
	Status   string     `json:"status,omitempty"`
	ID       string     `json:"id,omitempty"`
	From     string     `json:"from,omitempty"`
	Type     string     `json:"Type"`
	Action   string     `json:"Action"`
	Actor    EventActor `json:"Actor"`
	Scope    string     `json:"scope"`
	Time     int64      `json:"time"`
	TimeNano int64      `json:"timeNano"`
}

// Attribute keys the conversion adds to an event's own attributes.
const (
	attrImage    = "image"
	attrName     = "name"
	attrExitCode = "containerExitCode"
	attrPodID    = "podId"
)

// ToEventMessage converts an engine event as Podman's
// ConvertToEntitiesEvent does. docker selects Docker's spelling of "died".
func ToEventMessage(ev engine.Event, docker bool) EventMessage {
	attrs := make(map[string]string, len(ev.Attributes)+4)
	for k, v := range ev.Attributes {
		attrs[k] = v
	}
	attrs[attrImage] = ev.Image
	attrs[attrName] = ev.Name
	attrs[attrExitCode] = strconv.Itoa(ev.ContainerExitCode)
	attrs[attrPodID] = ev.PodID
	id := ev.ID
	if ev.Type == engine.EventTypeNetwork && ev.Network != "" {
		attrs[attrName] = ev.Network
	}
	status := ev.Status
	if docker {
		switch status {
		case "died":
			status = "die"
			attrs["exitCode"] = attrs[attrExitCode]
		case "exec":
			status = "exec_start"
		case "exec_died":
			status = "exec_die"
			attrs["exitCode"] = attrs[attrExitCode]
		}
		if id == "" {
			id = ev.Name
		}
	}
	return EventMessage{
		Status: status, ID: id, From: ev.Image, Type: ev.Type, Action: status,
		Actor: EventActor{ID: id, Attributes: attrs}, Scope: "local",
		Time: ev.Time.Unix(), TimeNano: ev.Time.UnixNano(),
	}
}

// FromEventMessage converts a libpod /events message back to the engine's
// event (Podman's ConvertToLibpodEvent).
func FromEventMessage(m EventMessage) engine.Event {
	attrs := map[string]string{}
	for k, v := range m.Actor.Attributes {
		attrs[k] = v
	}
	ev := engine.Event{
		ID: m.Actor.ID, Status: m.Action, Type: m.Type,
		Image: attrs[attrImage], Name: attrs[attrName], PodID: attrs[attrPodID],
		Time: time.Unix(0, m.TimeNano),
	}
	ev.ContainerExitCode, _ = strconv.Atoi(attrs[attrExitCode])
	if ev.Type == engine.EventTypeNetwork {
		ev.Network = ev.Name
	}
	for _, k := range []string{attrImage, attrName, attrExitCode, attrPodID} {
		delete(attrs, k)
	}
	if len(attrs) > 0 || ev.Type == engine.EventTypeContainer {
		ev.Attributes = attrs
	}
	return ev
}

// podmanEventName maps Docker's name of a container event to Podman's.
func podmanEventName(docker string) (string, bool) {
	switch docker {
	case "die":
		return "died", true
	case "exec_start":
		return "exec", true
	case "exec_die":
		return "exec_died", true
	}
	return "", false
}

// ServeEvents answers GET /events (compat, docker=true) and /libpod/events:
// it validates the query, sends the headers at once (clients wait for them)
// and then one JSON message per line, flushed, until the log ends (stream
// false), until passes, or the client goes away.
func ServeEvents(w http.ResponseWriter, r *http.Request, eng engine.EventsReader, docker bool) error {
	q := r.URL.Query()
	o := engine.EventsOptions{Since: q.Get("since"), Until: q.Get("until"), Stream: true}
	if v := q.Get("stream"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return BadRequest(fmt.Errorf("invalid value %q for query parameter \"stream\"", v))
		}
		o.Stream = b
	}
	if raw := q.Get("filters"); raw != "" {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return BadRequest(fmt.Errorf("invalid filters: %v", err))
		}
		for k, v := range m {
			var set map[string]bool
			if json.Unmarshal(v, &set) == nil {
				for val, on := range set {
					if on {
						o.Filters = append(o.Filters, k+"="+val)
					}
				}
				continue
			}
			var list []string
			if err := json.Unmarshal(v, &list); err != nil {
				return BadRequest(fmt.Errorf("invalid filter %q: %v", k, err))
			}
			for _, val := range list {
				o.Filters = append(o.Filters, k+"="+val)
			}
		}
	}
	if docker {
		// Docker's clients filter on its spellings of "died" and "exec*".
		for i, f := range o.Filters {
			k, v, _ := strings.Cut(f, "=")
			if k != "event" && k != "status" {
				continue
			}
			if podman, ok := podmanEventName(v); ok {
				o.Filters[i] = "event=" + podman
			}
		}
	}
	now := time.Now()
	for _, t := range []string{o.Since, o.Until} {
		if _, err := events.ParseTime(t, now); err != nil {
			return BadRequest(err)
		}
	}
	if _, err := events.Filter(o.Filters); err != nil {
		return BadRequest(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	enc := json.NewEncoder(w)
	// The status is sent: an error can only end the stream.
	_ = eng.Events(r.Context(), o, func(ev engine.Event) error {
		if err := enc.Encode(ToEventMessage(ev, docker)); err != nil {
			return err
		}
		return rc.Flush()
	})
	return nil
}
