package local

import (
	"bytes"
	"strings"
	"testing"
)

func TestGatedWriter(t *testing.T) {
	var out bytes.Buffer
	g := &gatedWriter{w: &out}
	g.Write([]byte("held "))
	if out.Len() != 0 {
		t.Fatal("wrote before open")
	}
	g.open()
	g.Write([]byte("then live"))
	if out.String() != "held then live" {
		t.Fatalf("got %q", out.String())
	}

	out.Reset()
	g = &gatedWriter{w: &out}
	g.Write([]byte("runtime error"))
	g.discard()
	g.Write([]byte("more"))
	g.open() // too late: stays discarding
	if out.Len() != 0 {
		t.Fatalf("discarded output written: %q", out.String())
	}

	// A flood before the process is known to run is bounded, then passed on.
	out.Reset()
	g = &gatedWriter{w: &out}
	g.Write(bytes.Repeat([]byte("x"), maxHeld+1))
	if out.Len() != maxHeld+1 || len(g.held) != 0 {
		t.Fatalf("flood: wrote %d, holding %d", out.Len(), len(g.held))
	}
}

func TestMergeEnv(t *testing.T) {
	got := mergeEnv([]string{"PATH=/bin", "A=1"}, map[string]string{"A": "2", "B": "3"}, true)
	want := "PATH=/bin A=2 TERM=xterm B=3"
	if strings.Join(got, " ") != want {
		t.Fatalf("mergeEnv = %q, want %q", got, want)
	}
	if got := mergeEnv([]string{"TERM=vt100"}, nil, true); len(got) != 1 || got[0] != "TERM=vt100" {
		t.Fatalf("TERM from the container must stay: %q", got)
	}
}

func TestAllCapabilitiesWithinBounding(t *testing.T) {
	caps := allCapabilities()
	if len(caps) == 0 || caps[0] != "CAP_CHOWN" {
		t.Fatalf("caps %v", caps)
	}
	for _, c := range caps {
		if !strings.HasPrefix(c, "CAP_") {
			t.Fatalf("bad name %q", c)
		}
	}
}
