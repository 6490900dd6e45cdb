package e2e

import (
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// TestInspectAnyObject: the top-level inspect finds every kind of object by
// name (Podman's order: container, image, volume, network, pod), honours
// --type and -s, and says Podman's errors.
func TestInspectAnyObject(t *testing.T) {
	c := newAPICLI(t)
	c.SeedImage(t, "localhost/insp:latest", testenv.ImageSpec{})
	c.Must(t, "volume", "create", "ivol")
	c.Must(t, "network", "create", "inet")
	c.Must(t, "pod", "create", "--infra=false", "--name", "ipod")
	c.Must(t, "create", "--name", "ictr", "--network", "none", "localhost/insp", "true")
	for name, kind := range map[string]string{"ivol": "volume", "inet": "network", "ipod": "pod", "ictr": "container"} {
		if got := c.Must(t, "inspect", "--format", "{{.Name}}", name); got != name {
			t.Fatalf("inspect %s (a %s): %q", name, kind, got)
		}
		if got := c.Must(t, "inspect", "--type", kind, "--format", "{{.Name}}", name); got != name {
			t.Fatalf("inspect --type %s %s: %q", kind, name, got)
		}
	}
	if got := c.Must(t, "inspect", "--format", "{{.RepoTags}}", "localhost/insp"); got != "[localhost/insp:latest]" {
		t.Fatalf("inspect image: %q", got)
	}
	if got := c.Must(t, "inspect", "-s", "--format", "{{if .SizeRootFs}}sized{{end}}", "ictr"); got != "sized" {
		t.Fatalf("inspect -s: %q", got)
	}
	for _, tc := range []struct{ args, stderr string }{
		{"--type volume ictr", "Error: inspecting object: no such volume ictr"},
		{"--type pod ivol", "Error: inspecting object: no such pod ivol"},
		{"nosuch ivol", "Error: inspecting object: no such object: \"nosuch\""},
		{"--type pod -s ipod", "Error: size is not supported for type \"pod\""},
		{"--type bogus ipod", "Error: invalid type \"bogus\""},
	} {
		r := c.Run(append([]string{"inspect"}, strings.Fields(tc.args)...)...)
		if r.ExitCode != 125 || !strings.Contains(r.Stderr, tc.stderr) {
			t.Fatalf("inspect %s: want %q: %s", tc.args, tc.stderr, r)
		}
	}
	// a missing name among found ones: the found document is still printed
	if r := c.Run("inspect", "--format", "{{.Name}}", "ivol", "nosuch"); r.ExitCode != 125 || r.Stdout != "ivol\n" {
		t.Fatalf("partial inspect: %s", r)
	}
}
