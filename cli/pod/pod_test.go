package pod

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/engine"
)

func TestParseShare(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []string
	}{
		{[]string{"+pid"}, []string{"ipc", "net", "uts", "pid"}},
		{[]string{"net", "pid"}, []string{"net", "pid"}},
		{[]string{}, []string{}},
		{[]string{"none"}, []string{"none"}},
		// A later "+" is left for the engine to refuse (as Podman).
		{[]string{"+pid", "+uts"}, []string{"ipc", "net", "uts", "pid", "+uts"}},
	} {
		got, err := parseShare(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseShare(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// fakeLogs serves canned k8s-style "TIMESTAMP message" logs, written in
// awkward chunks, as the engine's ContainerLogs with Timestamps does.
type fakeLogs struct {
	engine.Engine
	logs map[string][]string // id -> lines, "E:" marks stderr
}

func (f fakeLogs) ContainerLogs(ctx context.Context, id string, o engine.ContainerLogsOptions) error {
	if !o.Timestamps {
		return errors.New("merge must ask for timestamps")
	}
	for _, l := range f.logs[id] {
		w := o.Stdout
		if rest, ok := strings.CutPrefix(l, "E:"); ok {
			w, l = o.Stderr, rest
		}
		for len(l) > 0 { // 5-byte chunks: lines must be reassembled
			n := min(5, len(l))
			if _, err := w.Write([]byte(l[:n])); err != nil {
				return err
			}
			l = l[n:]
		}
	}
	return nil
}

func TestMergeLogs(t *testing.T) {
	ts := func(ms int) string { return time.UnixMilli(1700000000000 + int64(ms)).UTC().Format(time.RFC3339Nano) }
	f := fakeLogs{logs: map[string][]string{
		"a": {ts(1000) + " a1\n", ts(3000) + " a3\n", "E:" + ts(4000) + " a-err4\n", ts(6000) + " a6 no newline"},
		"b": {ts(2000) + " b2\n", ts(3500) + " b3\n", ts(5000) + " b5\n"},
	}}
	var out, errOut bytes.Buffer
	srcs := []logSource{{id: "a", prefix: "A "}, {id: "b", prefix: "B "}}
	if err := mergeLogs(context.Background(), f, srcs, nil, engine.ContainerLogsOptions{}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if want := "A a1\nB b2\nA a3\nB b3\nB b5\nA a6 no newline"; out.String() != want {
		t.Errorf("merged stdout %q, want %q", out.String(), want)
	}
	if errOut.String() != "A a-err4\n" {
		t.Errorf("stderr %q", errOut.String())
	}
	out.Reset()
	if err := mergeLogs(context.Background(), f, srcs[1:], nil, engine.ContainerLogsOptions{Timestamps: true}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if want := "B " + ts(2000) + " b2\nB " + ts(3500) + " b3\nB " + ts(5000) + " b5\n"; out.String() != want {
		t.Errorf("-t output %q, want %q", out.String(), want)
	}
}

func TestSortPods(t *testing.T) {
	ps := []engine.PodSummary{{Name: "b", ID: "2"}, {Name: "a", ID: "3"}, {Name: "c", ID: "1"}}
	if err := sortPods(ps, "names"); err != nil || ps[0].Name != "a" || ps[2].Name != "c" {
		t.Fatalf("by name: %v %v", ps, err)
	}
	if err := sortPods(ps, "id"); err != nil || ps[0].ID != "1" {
		t.Fatalf("by id: %v %v", ps, err)
	}
	if err := sortPods(ps, "bogus"); err == nil {
		t.Fatal("bogus sort accepted")
	}
}
