package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/engine"
)

func TestParseUlimit(t *testing.T) {
	tests := []struct {
		in      string
		want    Ulimit
		wantErr string
	}{
		{in: "nofile=1024:2048", want: Ulimit{"nofile", "RLIMIT_NOFILE", 1024, 2048}},
		{in: "nproc=512", want: Ulimit{"nproc", "RLIMIT_NPROC", 512, 512}},
		{in: "core=-1", want: Ulimit{"core", "RLIMIT_CORE", -1, -1}},
		{in: "core=0:unlimited", want: Ulimit{"core", "RLIMIT_CORE", 0, -1}},
		{in: "nofile", wantErr: "invalid ulimit argument: nofile"},
		{in: "=1", wantErr: "invalid ulimit argument"},
		{in: "bogus=1", wantErr: "invalid ulimit type: bogus"},
		{in: "nofile=x", wantErr: "invalid ulimit soft value x"},
		{in: "nofile=1:y", wantErr: "invalid ulimit hard value y"},
		{in: "nofile=-5", wantErr: "invalid ulimit soft value -5"},
		{in: "nofile=10:5", wantErr: "soft limit must be less than or equal to hard limit: 10 > 5"},
		{in: "nofile=-1:5", wantErr: "soft limit must be less than or equal to hard limit"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseUlimit(tc.in)
			if tc.wantErr != "" {
				if err == nil || !errors.Is(err, engine.ErrInvalidArg) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q wrapping ErrInvalidArg", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestConfigUlimits(t *testing.T) {
	c := Default()
	if u, err := c.Ulimits(); err != nil || len(u) != 0 {
		t.Fatalf("default ulimits %v %v", u, err)
	}
	c.Containers.DefaultUlimits = []string{"nofile=10:20", "nproc=5"}
	u, err := c.Ulimits()
	if err != nil || len(u) != 2 || u[0].Type != "RLIMIT_NOFILE" || u[1].Hard != 5 {
		t.Fatalf("ulimits %+v %v", u, err)
	}
	c.Containers.DefaultUlimits = []string{"nofile=abc"}
	if _, err := c.Ulimits(); err == nil || !strings.Contains(err.Error(), "default_ulimits") {
		t.Fatalf("bad default ulimit: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "65536k", want: 64 << 20},
		{in: "64m", want: 64 << 20},
		{in: "64MB", want: 64 << 20},
		{in: "1g", want: 1 << 30},
		{in: "1GiB", want: 1 << 30},
		{in: "1.5k", want: 1536},
		{in: "100", want: 100},
		{in: "100b", want: 100},
		{in: "0", want: 0},
		{in: "", bad: true},
		{in: "m", bad: true},
		{in: "-1m", bad: true},
		{in: "1x", bad: true},
		{in: "1e3", bad: true},
		{in: "0x10", bad: true},
		{in: "99999999999p", bad: true},
		{in: "NaN", bad: true},
	}
	for _, tc := range tests {
		got, err := ParseSize(tc.in)
		if tc.bad {
			if err == nil || !errors.Is(err, engine.ErrInvalidArg) {
				t.Errorf("ParseSize(%q) = %d, %v; want an invalid-argument error", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	c := Default()
	if n, err := c.ShmSizeBytes(); err != nil || n != 65536000 { // Podman: decimal units
		t.Errorf("default shm size %d %v", n, err)
	}
	if c.StopTimeout() != 10 {
		t.Errorf("stop timeout %d", c.StopTimeout())
	}
}
