package e2e

import (
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// TestBuildRegistryFlags: a FROM image pulled from a real loopback
// registry (basic auth, plain HTTP) honours --creds, --tls-verify,
// --retry and the hidden --signature-policy, as podman build does.
func TestBuildRegistryFlags(t *testing.T) {
	c := buildCLI(t)
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{Auth: true})
	creds := reg.User + ":" + reg.Password
	ref := reg.Addr + "/bb:1"
	c.Must(t, "push", "--creds", creds, "--tls-verify=false", "localhost/busybox", ref)
	ctx := buildContext(t, map[string]string{"Containerfile": "FROM " + ref + "\nRUN echo from-registry\n"})
	base := []string{"build", "--signature-policy", c.PolicyPath, "--retry", "0", "-t", "fromreg", ctx}
	with := func(extra ...string) testenv.Result {
		return c.Run(append(append([]string{}, base[:1]...), append(extra, base[1:]...)...)...)
	}
	if r := with("--tls-verify=false"); r.ExitCode != 125 || !strings.Contains(r.Stderr, reg.Addr) {
		t.Errorf("no --creds against an auth registry: %s", r)
	}
	if r := with("--creds", creds); r.ExitCode != 125 || !strings.Contains(r.Stderr, reg.Addr) {
		t.Errorf("TLS verification against a plain HTTP registry: %s", r)
	}
	if r := with("--creds", creds, "--tls-verify=false"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "from-registry") {
		t.Fatalf("--creds --tls-verify=false: %s", r)
	}
	if r := c.Run("image", "exists", ref); r.ExitCode != 0 {
		t.Errorf("the base image was not pulled: %s", r)
	}
	noContainersLeft(t, c)
}
