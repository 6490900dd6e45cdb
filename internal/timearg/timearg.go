// Package timearg reads the time values of Podman's --since/--until flags and
// until= filters, one parser for logs, events and every prune/list filter.
package timearg

import (
	"strconv"
	"strings"
	"time"
)

// layouts tried in order; those without a zone are local time, as Podman.
var layouts = []string{
	time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05",
	"2006-01-02Z07:00", "2006-01-02",
}

// Parse reads s as Podman does: a Go duration meaning that long before now,
// an RFC 3339 time (fraction optional), a date or date-time in local time, or
// Unix seconds with an optional fraction. ok is false when nothing fits; the
// caller says the error in its own words.
func Parse(s string, now time.Time) (t time.Time, ok bool) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), true
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			return t, true
		}
	}
	sec, frac, hasFrac := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || (hasFrac && frac == "") {
		return time.Time{}, false
	}
	var ns int64
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		if ns, err = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64); err != nil || ns < 0 {
			return time.Time{}, false
		}
	}
	return time.Unix(n, ns), true
}
