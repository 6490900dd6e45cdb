package network

import (
	"bytes"
	"errors"
	"testing"

	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
)

func TestKeyValues(t *testing.T) {
	m, err := keyValues([]string{"a=b", "c", "d=e=f"}, false, "label")
	if err != nil || m["a"] != "b" || m["c"] != "" || m["d"] != "e=f" {
		t.Fatalf("labels: %v %v", m, err)
	}
	for _, bad := range []string{"novalue", "=x"} {
		if _, err := keyValues([]string{bad}, true, "option"); !errors.Is(err, engine.ErrInvalidArg) {
			t.Errorf("option %q: %v", bad, err)
		}
	}
}

func TestListTable(t *testing.T) {
	rows := []listRow{{Network: engine.Network{Name: "n1", ID: "004b06a035b11e33d0d55944a4bf68adea894b53f143105723b4161fad408977", Driver: "bridge",
		Labels: map[string]string{"b": "2", "a": "1"}}}}
	var buf bytes.Buffer
	if err := format.WriteNamed(&buf, "list", "", "table {{.ID}}\t{{.Name}}\t{{.Driver}}", rows, listHeaders, false); err != nil {
		t.Fatal(err)
	}
	want := "NETWORK ID    NAME        DRIVER\n004b06a035b1  n1          bridge\n"
	if buf.String() != want {
		t.Fatalf("table:\n%q\nwant:\n%q", buf.String(), want)
	}
	buf.Reset()
	if err := format.WriteNamed(&buf, "list", "{{.Name}} {{.Labels}}", "", rows, listHeaders, false); err != nil || buf.String() != "n1 a=1,b=2\n" {
		t.Fatalf("template: %q %v", buf.String(), err)
	}
	if exitCodeFor(errors.New("x")) != 125 || exitCodeFor(engine.ErrNoSuchNetwork) != 1 || exitCodeFor(engine.ErrNetworkInUse) != 2 {
		t.Fatal("exit codes")
	}
}
