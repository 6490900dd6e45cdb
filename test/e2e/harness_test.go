package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// TestHarnessCleanupKillsAndUnmounts checks what every e2e test relies on:
// a container left running (no rm) is killed and its storage unmounted by
// testenv.CleanupDir, so tests cannot leak processes or mounts.
func TestHarnessCleanupKillsAndUnmounts(t *testing.T) {
	testenv.RequiresRoot(t)
	testenv.RequiresBinary(t, "runc", "conmon", "skopeo")
	c := testenv.NewCLI(t)
	c.SeedImage(t, "localhost/busybox:latest", testenv.ImageSpec{})
	id := c.Must(t, "run", "-d", "--network", "none", "localhost/busybox", "sleep", "1000")
	pid, err := strconv.Atoi(c.Must(t, "inspect", "--format", "{{.State.Pid}}", id))
	if err != nil || pid <= 0 {
		t.Fatalf("container pid: %v", err)
	}
	base := filepath.Dir(c.Root)
	if err := testenv.CleanupDir(base); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); strings.Contains(string(stat), ") Z ") {
			break // a zombie waiting for its reaper is dead
		}
		if time.Now().After(deadline) {
			t.Fatalf("container process %d still alive after CleanupDir", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	data, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(data), base+"/") {
		t.Errorf("mounts left under %s", base)
	}
}
