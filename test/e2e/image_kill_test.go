package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// A pull killed with SIGKILL part-way leaves a consistent store: images
// works, and the next pull succeeds with the right ID.
func TestImagePullKilled(t *testing.T) {
	c := newImageCLI(t)
	reg := withRegistry(t, c.CLI, false)
	arch := filepath.Join(t.TempDir(), "big.tar")
	spec := testenv.ImageSpec{RandomLayers: []int64{24 << 20, 24 << 20, 24 << 20}}
	if err := testenv.WriteOCIArchive(arch, "big", spec); err != nil {
		t.Fatal(err)
	}
	id := c.Must(t, "pull", "-q", "--signature-policy", c.PolicyPath, "oci-archive:"+arch)
	ref := reg.Ref("big:1")
	c.Must(t, "push", "-q", "--signature-policy", c.PolicyPath, id, ref)
	c2 := newImageCLI(t)
	c2.RegistriesConf = reg.RegistriesConf
	// A killed pull leaks its temp blobs, as Podman's does: keep them here.
	c2.Env = append(c2.Env, "TMPDIR="+t.TempDir())
	for _, delay := range []time.Duration{150 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond} {
		cmd := c2.Command(context.Background(), "pull", "-q", "--signature-policy", c.PolicyPath, ref)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if r := c2.Run("images", "-q", "--no-trunc"); r.ExitCode != 0 || (r.Stdout != "" && strings.TrimSpace(r.Stdout) != "sha256:"+id) {
			t.Fatalf("after kill at %s: %s", delay, r)
		}
		c2.Must(t, "rmi", "-a")
	}
	if got := c2.Must(t, "pull", "-q", "--signature-policy", c.PolicyPath, ref); got != id {
		t.Fatalf("pull after kills: %q, want %q", got, id)
	}
}
