package wire

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/selkie-containers/selkie/engine"
)

// SearchOptions reads the search query both APIs share: term, limit,
// filters ({"key":["value"]} or {"key":{"value":true}}), tlsVerify and
// listTags.
func SearchOptions(r *http.Request) (string, engine.ImageSearchOptions, error) {
	q := r.URL.Query()
	var o engine.ImageSearchOptions
	term := q.Get("term")
	if term == "" {
		return "", o, BadRequest(fmt.Errorf("term is required"))
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return "", o, BadRequest(fmt.Errorf("invalid value %q for query parameter \"limit\"", v))
		}
		o.Limit = n
	}
	for _, name := range []string{"tlsVerify", "listTags"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return "", o, BadRequest(fmt.Errorf("invalid value %q for query parameter %q", v, name))
		}
		if name == "tlsVerify" {
			o.TLSVerify = &b
		} else {
			o.ListTags = b
		}
	}
	if raw := q.Get("filters"); raw != "" {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return "", o, BadRequest(fmt.Errorf("invalid filters: %v", err))
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
				return "", o, BadRequest(fmt.Errorf("invalid filter %q: %v", k, err))
			}
			for _, val := range list {
				o.Filters = append(o.Filters, k+"="+val)
			}
		}
	}
	return term, o, nil
}
