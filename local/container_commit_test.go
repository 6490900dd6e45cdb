package local

import (
	"errors"
	"reflect"
	"testing"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
)

func TestApplyCommitChanges(t *testing.T) {
	cc := v1.ImageConfig{Env: []string{"PATH=/bin", "A=old"}, WorkingDir: "/srv"}
	onbuild, err := applyCommitChanges(&cc, []string{
		"CMD=/bin/date",
		`ENTRYPOINT ["/bin/sh", "-c"]`,
		"ENV A=new B=\"two words\"",
		"ENV C 3",
		"EXPOSE 80 53/udp",
		"LABEL k=v",
		"USER tester",
		`VOLUME ["/data"]`,
		"WORKDIR sub",
		"STOPSIGNAL SIGINT",
		"ONBUILD RUN true",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := v1.ImageConfig{
		Cmd:          []string{"/bin/sh", "-c", "/bin/date"},
		Entrypoint:   []string{"/bin/sh", "-c"},
		Env:          []string{"PATH=/bin", "A=new", "B=two words", "C=3"},
		ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}},
		Labels:       map[string]string{"k": "v"},
		User:         "tester",
		Volumes:      map[string]struct{}{"/data": {}},
		WorkingDir:   "/srv/sub",
		StopSignal:   "SIGINT",
	}
	if !reflect.DeepEqual(cc, want) {
		t.Fatalf("config\n got %+v\nwant %+v", cc, want)
	}
	if len(onbuild) != 1 || onbuild[0] != "RUN true" {
		t.Fatalf("onbuild %q", onbuild)
	}
	for _, bad := range []string{"BOGUS x", "VOLUME relative", "ENV =x", "USER"} {
		if _, err := applyCommitChanges(&v1.ImageConfig{}, []string{bad}); !errors.Is(err, engine.ErrInvalidArg) {
			t.Errorf("%q: err = %v, want invalid argument", bad, err)
		}
	}
}

func TestCommitName(t *testing.T) {
	for in, want := range map[string]string{"c1": "localhost/c1:latest", "localhost/x:v2": "localhost/x:v2", "quay.io/a/b": "quay.io/a/b:latest"} {
		if got, err := commitName(in); err != nil || got != want {
			t.Errorf("commitName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"UPPER", "a/b@sha256:" + "0123456789012345678901234567890123456789012345678901234567890123", ""} {
		if _, err := commitName(bad); err == nil {
			t.Errorf("commitName(%q) accepted", bad)
		}
	}
}
