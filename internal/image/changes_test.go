package image

import (
	"errors"
	"reflect"
	"testing"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
)

func TestApplyChanges(t *testing.T) {
	var c v1.ImageConfig
	onbuild, err := ApplyChanges(&c, []string{
		`CMD ["/bin/sh", "-c", "echo hi"]`, "ENTRYPOINT /entry --flag", "ENV A=1 B=\"two words\"", "ENV C 3",
		"LABEL x=y", "EXPOSE 80 53/udp", `VOLUME ["/data"]`, "VOLUME /logs", "USER 1000:1000", "WORKDIR /srv",
		"STOPSIGNAL SIGINT", "ONBUILD RUN true", "CMD=/bin/true",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(onbuild, []string{"RUN true"}) {
		t.Fatalf("onbuild = %q", onbuild)
	}
	want := v1.ImageConfig{
		Cmd:          []string{"/bin/sh", "-c", "/bin/true"},
		Entrypoint:   []string{"/bin/sh", "-c", "/entry --flag"},
		Env:          []string{"A=1", "B=two words", "C=3"},
		Labels:       map[string]string{"x": "y"},
		ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}},
		Volumes:      map[string]struct{}{"/data": {}, "/logs": {}},
		User:         "1000:1000",
		WorkingDir:   "/srv",
		StopSignal:   "SIGINT",
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
	for _, bad := range []string{"BOGUS x", "RUN true", ""} {
		if _, err := ApplyChanges(&c, []string{bad}); !errors.Is(err, engine.ErrInvalidArg) {
			t.Errorf("%q: want ErrInvalidArg, got %v", bad, err)
		}
	}
}

func TestNormalizeLocal(t *testing.T) {
	for in, want := range map[string]string{
		"bb":                          "localhost/bb:latest",
		"bb:1":                        "localhost/bb:1",
		"localhost/x":                 "localhost/x:latest",
		"docker.io/library/busybox":   "docker.io/library/busybox:latest",
		"quay.io/a/b:c":               "quay.io/a/b:c",
		"127.0.0.1:5000/x/y":          "127.0.0.1:5000/x/y:latest",
		"some/repo":                   "localhost/some/repo:latest",
		"a@sha256:" + repeat("a", 64): "localhost/a@sha256:" + repeat("a", 64),
	} {
		got, err := normalizeLocal(in)
		if err != nil || got.String() != want {
			t.Errorf("normalizeLocal(%q) = %v, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"UPPER", "a:b:c", "", "x@sha256:12"} {
		if _, err := normalizeLocal(bad); !errors.Is(err, engine.ErrInvalidArg) {
			t.Errorf("normalizeLocal(%q): want ErrInvalidArg, got %v", bad, err)
		}
	}
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}
