package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// TestNetworkNetnsNotPinned: a container's network namespace mount is not
// kept alive by the copy another mount namespace made of it. Container B is
// started from a selkie process in a new mount namespace (unshare -m,
// propagation unchanged), so B's conmon lives in a copy of the host's mounts
// that includes A's netns bind mount. Removing A unmounts that copy too (the
// netns directory is a shared mount, as Podman's) and A's veth leaves the
// bridge while B's conmon is alive.
func TestNetworkNetnsNotPinned(t *testing.T) {
	c := newNetCLI(t)
	testenv.RequiresBinary(t, "unshare")
	n := c.useDefault(t)
	a := c.Must(t, "run", "-d", "bb", "sleep", "300")
	b, conmon := runInNewMountNS(t, c, "run", "-d", "bb", "sleep", "300")
	mi := func() string { return mountinfoOf(t, conmon) }
	if !strings.Contains(mi(), "/netns/"+a) {
		t.Fatalf("B's conmon holds no copy of A's netns mount: the test cannot see the bug")
	}
	if _, p := hostTraces(t, n); p != 2 {
		t.Fatalf("%d container veths on %s, want 2", p, n.Bridge)
	}
	c.Must(t, "rm", "-f", "-t", "0", a)
	if strings.Contains(mi(), "/netns/"+a) {
		t.Fatalf("A's netns is still mounted in B's conmon's mount namespace after rm:\n%s", grepText(mi(), a))
	}
	if data, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(data), "/netns/"+a) {
		t.Fatalf("A's netns still mounted on the host after rm")
	}
	// The namespace (and its veth) is freed by the kernel asynchronously
	// once unreferenced.
	p := 0
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, p = hostTraces(t, n); p == 1 {
			break
		}
	}
	if p != 1 {
		t.Fatalf("%d container veths on %s after rm of A, want B's only", p, n.Bridge)
	}
	if st := c.Must(t, "inspect", "--format", "{{.State.Status}}", b); st != "running" {
		t.Fatalf("B: %s", st)
	}
}

// TestNetworkNetnsNotPinnedAfterCrash: the engine is killed (-9) right after
// netavark set container k's network up. The next `start k` finds k's netns
// file still mounted and mounts a fresh namespace on it, with no unlink
// that would detach other namespaces' copies. Container B, started in
// between from a new mount namespace, holds a copy of the stale mount; that
// copy must go with the host's unmount (shared netns directory), so the
// stale namespace and its veth vanish from the bridge while B's conmon lives.
func TestNetworkNetnsNotPinnedAfterCrash(t *testing.T) {
	c := newNetCLI(t)
	testenv.RequiresBinary(t, "unshare")
	n := c.useDefault(t)
	dir := t.TempDir()
	flag, ready := filepath.Join(dir, "hang"), filepath.Join(dir, "ready")
	wrapper := fmt.Sprintf("#!/bin/sh\n/usr/lib/podman/netavark \"$@\"\nrc=$?\nfor a in \"$@\"; do if [ \"$a\" = setup ] && [ -f %s ]; then touch %s; sleep 600; fi; done\nexit $rc\n", flag, ready)
	if err := os.WriteFile(filepath.Join(dir, "netavark"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	c.setConf(t, fmt.Sprintf("default_network = %q\n[engine]\nhelper_binaries_dir = [%q]\n", n.Name, dir))
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	k := c.Must(t, "create", "--name", "k", "bb", "sleep", "300")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := c.Command(ctx, "start", "k")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			t.Fatal("netavark setup never ran")
		}
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	_ = os.Remove(flag)
	self, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	stale := nsOfMount(string(self), "/netns/"+k)
	if stale == "" {
		t.Fatal("the killed start left no netns mount behind: the test cannot see the bug")
	}
	if _, p := hostTraces(t, n); p != 1 {
		t.Fatalf("%d container veths on %s after the kill, want the stale one", p, n.Bridge)
	}
	_, conmon := runInNewMountNS(t, c, "run", "-d", "bb", "sleep", "300")
	if !strings.Contains(mountinfoOf(t, conmon), stale) {
		t.Fatal("B's conmon holds no copy of k's stale netns mount: the test cannot see the bug")
	}
	c.Must(t, "start", "k")
	p := 0
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, p = hostTraces(t, n); p == 2 {
			break
		}
	}
	if p != 2 {
		t.Fatalf("%d container veths on %s, want k's new one and B's (the stale namespace is pinned)", p, n.Bridge)
	}
	if strings.Contains(mountinfoOf(t, conmon), stale) {
		t.Fatalf("B's conmon still holds k's stale netns %s", stale)
	}
}

// runInNewMountNS runs selkie args from a new mount namespace (unshare -m,
// propagation unchanged), so the container's conmon lives there; it returns
// the container ID and conmon's PID.
func runInNewMountNS(t *testing.T, c *netCLI, args ...string) (id, conmon string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", append([]string{"-m", "--propagation", "unchanged", c.Bin}, c.Args(args...)...)...)
	cmd.Env = append(os.Environ(), c.Env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("selkie %v in a new mount namespace: %v", args, err)
	}
	id = strings.TrimSpace(string(out))
	conmon = c.Must(t, "inspect", "--format", "{{.State.ConmonPid}}", id)
	self, _ := os.Readlink("/proc/self/ns/mnt")
	if ns, err := os.Readlink("/proc/" + conmon + "/ns/mnt"); err != nil || ns == self {
		t.Fatalf("conmon %s is not in its own mount namespace (%q, %v)", conmon, ns, err)
	}
	return id, conmon
}

func mountinfoOf(t *testing.T, pid string) string {
	t.Helper()
	data, err := os.ReadFile("/proc/" + pid + "/mountinfo")
	if err != nil {
		t.Fatalf("mountinfo of %s: %v", pid, err)
	}
	return string(data)
}

// nsOfMount is the "net:[inode]" root of the mountinfo line mounted at a
// path containing sub ("" if none).
func nsOfMount(mountinfo, sub string) string {
	for _, l := range strings.Split(mountinfo, "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && strings.Contains(f[4], sub) && strings.HasPrefix(f[3], "net:[") {
			return f[3]
		}
	}
	return ""
}

func grepText(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
