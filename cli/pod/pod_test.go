package pod

import (
	"bytes"
	"reflect"
	"testing"

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

func TestPrefixWriter(t *testing.T) {
	var b bytes.Buffer
	w := &prefixWriter{w: &b, prefix: "abc ", bol: true}
	for _, chunk := range []string{"one\ntw", "o\n", "", "three"} {
		if n, err := w.Write([]byte(chunk)); err != nil || n != len(chunk) {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	if got := b.String(); got != "abc one\nabc two\nabc three" {
		t.Fatalf("got %q", got)
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
