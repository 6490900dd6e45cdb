package timearg

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"10m":                       now.Add(-10 * time.Minute),
		"1h30m":                     now.Add(-90 * time.Minute),
		"2024-05-06T07:00:00Z":      time.Date(2024, 5, 6, 7, 0, 0, 0, time.UTC),
		"2024-05-06T07:00:00.25Z":   time.Date(2024, 5, 6, 7, 0, 0, 250000000, time.UTC),
		"2024-05-06T07:00:00+02:00": time.Date(2024, 5, 6, 5, 0, 0, 0, time.UTC),
		"2024-05-06T07:00:00":       time.Date(2024, 5, 6, 7, 0, 0, 0, time.Local),
		"2024-05-06T07:00":          time.Date(2024, 5, 6, 7, 0, 0, 0, time.Local),
		"2024-05-06 07:00:00":       time.Date(2024, 5, 6, 7, 0, 0, 0, time.Local),
		"2024-05-06":                time.Date(2024, 5, 6, 0, 0, 0, 0, time.Local),
		"1700000000":                time.Unix(1700000000, 0),
		"1700000000.5":              time.Unix(1700000000, 500000000),
		"1700000000.1234567891":     time.Unix(1700000000, 123456789),
	} {
		got, ok := Parse(in, now)
		if !ok || !got.Equal(want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "12x", "1.x", "1.", "1.-5", "2024-13-01", "-"} {
		if got, ok := Parse(bad, now); ok {
			t.Errorf("Parse(%q) accepted: %v", bad, got)
		}
	}
}
