package local

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/engine"
)

func TestValidateIDMapMount(t *testing.T) {
	base := t.TempDir()
	e := testEngine(t, filepath.Join(base, "root"), filepath.Join(base, "run"))
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	um := engine.ContainerCreateOptions{UIDMap: []string{"0:100000:65536"}}
	bind := func(src string, opts ...string) *engine.Mount {
		return &engine.Mount{Type: "bind", Source: src, Destination: "/m", Options: opts}
	}
	cases := []struct {
		o    engine.ContainerCreateOptions
		m    *engine.Mount
		want string // "" = accepted
	}{
		{um, bind(base, "idmap"), ""},
		{um, bind(base), ""},
		{engine.ContainerCreateOptions{}, bind(base, "idmap=uids=0-1-1;gids=0-1-1"), ""},
		{engine.ContainerCreateOptions{UserNS: "container:abc"}, bind(base, "idmap"), ""},
		{engine.ContainerCreateOptions{}, bind(base, "idmap"), "no user namespace"},
		{um, bind(file, "idmap"), "is not a directory"},
		{um, bind(base, "idmap", "O"), "can't use 'O' with other options"},
		{um, &engine.Mount{Type: "tmpfs", Destination: "/m", Options: []string{"idmap"}}, "idmap: invalid mount option"},
		{um, bind(base, "idmap=uids=x"), "invalid value"},
		{um, &engine.Mount{Type: "volume", Name: "v", Destination: "/m", Options: []string{"idmap"}}, ""},
	}
	for i, tc := range cases {
		err := e.validateIDMapMount(&tc.o, tc.m)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("case %d (%v): got %v, want %q", i, tc.m.Options, err, tc.want)
		}
		if err != nil && !errors.Is(err, engine.ErrInvalidArg) {
			t.Errorf("case %d: %v is not an invalid-argument error", i, err)
		}
	}
	e.cfg.Rootless = true
	if err := e.validateIDMapMount(&um, bind(base, "idmap")); err == nil || !strings.Contains(err.Error(), "need root") {
		t.Errorf("rootless idmap: %v", err)
	}
}
