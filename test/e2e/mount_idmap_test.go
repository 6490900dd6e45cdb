package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// owner is the host owner of path ("uid:gid").
func owner(t *testing.T, path string) string {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d:%d", st.Uid, st.Gid)
}

// requiresIDMappedMounts skips on kernels without idmapped mounts of
// ext4/tmpfs-class file systems (mount_setattr MOUNT_ATTR_IDMAP, 5.12).
func requiresIDMappedMounts(t *testing.T) {
	t.Helper()
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		t.Skip(err)
	}
	var rel []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		rel = append(rel, byte(c))
	}
	var major, minor int
	if _, err := fmt.Sscanf(string(rel), "%d.%d", &major, &minor); err != nil || major < 5 || major == 5 && minor < 12 {
		t.Skipf("kernel %s has no idmapped mounts (needs 5.12)", rel)
	}
}

// idmapStaged lists what is left in the run root's idmap staging dir.
func idmapStaged(c *testenv.CLI) []string {
	ents, _ := os.ReadDir(filepath.Join(c.RunRoot, "selkie", "idmap"))
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestMountIDMap: -v SRC:DST:idmap and --mount …,idmap are real idmapped
// mounts (runc 1.1 cannot make them; Selkie stages them): with --uidmap
// 0:100000:65536 a root-owned host dir is root's in the container, and
// what the container's root writes lands on the host owned by root, not
// by 100000. Without idmap the same dir shows as nobody's. Custom
// idmap=uids=…;gids=… mappings, named volumes, and cleanup (no staged
// mount left after run --rm, stop, rm) too.
func TestMountIDMap(t *testing.T) {
	requiresIDMappedMounts(t)
	c := newRunCLI(t, testenv.ImageSpec{})
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "hostfile"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(src, 0o755); err != nil {
		t.Fatal(err)
	}
	// --network none: sysfs under a user namespace needs a network
	// namespace it owns (bridge + userns is a spec-side gap).
	um := []string{"--network", "none", "--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"}
	args := func(extra ...string) []string {
		return append(append([]string{"run", "--rm"}, um...), extra...)
	}
	// Without idmap: the host's root is unmapped (nobody) and cannot be written.
	out := c.Must(t, args("-v", src+":/m", "bb", "sh", "-c", "stat -c %u:%g /m/hostfile; touch /m/no 2>&1 || echo denied")...)
	if !strings.HasPrefix(out, "65534:65534") || !strings.Contains(out, "denied") {
		t.Fatalf("plain bind under --uidmap: %q", out)
	}
	// With idmap: root's, writable, and the new file is root's on the host.
	out = c.Must(t, args("-v", src+":/m:idmap", "bb", "sh", "-c", "stat -c %u:%g /m/hostfile && echo hi > /m/fromctr && stat -c %u:%g /m/fromctr")...)
	if out != "0:0\n0:0" {
		t.Fatalf("idmap bind: %q", out)
	}
	if got := owner(t, filepath.Join(src, "fromctr")); got != "0:0" {
		t.Fatalf("file written through the idmapped mount is %s on the host, want 0:0", got)
	}
	// --mount form, read-only kept.
	r := c.Run(args("--mount", "type=bind,src="+src+",dst=/m,idmap,ro", "bb", "sh", "-c", "stat -c %u /m/hostfile; touch /m/x")...)
	if r.ExitCode == 0 || !strings.HasPrefix(r.Stdout, "0") || !strings.Contains(r.Stderr, "Read-only") {
		t.Fatalf("--mount idmap,ro: %s", r)
	}
	// Custom mapping: on-disk 0 is host 100005, i.e. container uid 5.
	out = c.Must(t, args("-v", src+":/m:idmap=uids=0-100005-10;gids=0-100007-10", "bb", "stat", "-c", "%u:%g", "/m/hostfile")...)
	if out != "5:7" {
		t.Fatalf("custom idmap: %q", out)
	}
	// A named volume, and the mapping of --userns=auto-less --uidmap on a
	// detached container: the staged mount exists while it runs, and is
	// gone after stop and rm.
	id := c.Must(t, append(append([]string{"run", "-d", "--name", "idm"}, um...), "-v", "idmvol:/v:idmap", "bb", "sleep", "600")...)
	if got := c.Must(t, "exec", "idm", "sh", "-c", "touch /v/f && stat -c %u /v/f"); got != "0" {
		t.Fatalf("idmapped volume in exec: %q", got)
	}
	mp := c.Must(t, "volume", "inspect", "--format", "{{.Mountpoint}}", "idmvol")
	if got := owner(t, filepath.Join(mp, "f")); got != "0:0" {
		t.Fatalf("volume file owner on the host: %s", got)
	}
	if !slices.Contains(idmapStaged(c), id) {
		t.Fatalf("no staged idmapped mount for the running container: %v", idmapStaged(c))
	}
	c.Must(t, "stop", "-t", "0", "idm")
	c.Must(t, "rm", "idm")
	if slices.Contains(idmapStaged(c), id) {
		t.Fatalf("staged idmapped mount left after rm: %v", idmapStaged(c))
	}

	// Crash: conmon and the container killed with -9 (no exit command
	// runs); rm -f releases the staged mount, and never deletes through it.
	id = c.Must(t, append(append([]string{"run", "-d"}, um...), "-v", src+":/m:idmap", "bb", "sleep", "600")...)
	pids := strings.Fields(c.Must(t, "inspect", "--format", "{{.State.ConmonPid}} {{.State.Pid}}", id))
	for _, p := range pids {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			t.Fatalf("inspect pids: %v", pids)
		}
		_ = syscall.Kill(n, syscall.SIGKILL)
	}
	c.Must(t, "rm", "-f", id)
	// run --rm containers' exit commands may still be finishing: bounded wait.
	deadline := time.Now().Add(2 * time.Minute)
	for len(idmapStaged(c)) > 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if s := idmapStaged(c); len(s) != 0 {
		t.Fatalf("staged idmapped mounts left: %v", s)
	}
	if ms := testenv.MountsUnder(filepath.Join(c.RunRoot, "selkie", "idmap")); len(ms) != 0 {
		t.Fatalf("idmapped mounts left: %v", ms)
	}
	if b, err := os.ReadFile(filepath.Join(src, "hostfile")); err != nil || string(b) != "x" {
		t.Fatalf("host source changed: %q %v", b, err)
	}
}

// TestMountIDMapBadInput: idmap on what cannot be idmapped is a clear
// error at create (exit 125) that creates nothing and leaves no mount.
func TestMountIDMapBadInput(t *testing.T) {
	requiresIDMappedMounts(t)
	c := newRunCLI(t, testenv.ImageSpec{})
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	um := []string{"--network", "none", "--uidmap", "0:100000:65536"}
	cases := []struct {
		args []string
		msg  string
	}{
		{append([]string{"-v", file + ":/m:idmap"}, um...), "idmap: " + file + " is not a directory"},
		{append([]string{"-v", dir + "/nonexistent:/m:idmap"}, um...), "no such file or directory"},
		{[]string{"-v", dir + ":/m:idmap"}, "idmap: the container has no user namespace"},
		{append([]string{"-v", dir + ":/m:idmap=uids=0-1"}, um...), `idmap: invalid value for "0-1"`},
		{append([]string{"-v", dir + ":/m:idmap=bogus"}, um...), `idmap: unknown option "bogus"`},
		{append([]string{"-v", dir + ":/m:idmap,idmap"}, um...), "the 'idmap' option can only be set once"},
		{append([]string{"-v", dir + ":/m:idmap,O"}, um...), "can't use 'O' with other options"},
		{[]string{"--mount", "type=tmpfs,dst=/m,idmap"}, "idmap: invalid mount option"},
		{[]string{"--mount", "type=bind,src=" + dir + ",dst=/m,relabel=bogus"}, "relabel mount option must be 'private' or 'shared': invalid mount option"},
		{[]string{"--mount", "type=bind,src=" + dir + ",dst=/m,foo=bar"}, "foo: invalid mount option"},
		{[]string{"-v", dir + ":/m:ro,rw"}, `invalid options "ro, rw", can only specify 1 'rw' or 'ro' option`},
	}
	for _, tc := range cases {
		runExpect(t, c, 125, tc.msg, append(append([]string{"create"}, tc.args...), "bb", "true")...)
	}
	// idmap=… with both maps works without a user namespace.
	if got := c.Must(t, "run", "--rm", "-v", dir+":/m:idmap=uids=0-1000-1;gids=0-1000-1", "bb", "stat", "-c", "%u", "/m/file"); got != "1000" {
		t.Fatalf("custom idmap without userns: on-disk 0 should show as 1000: %q", got)
	}
	if got := c.Must(t, "ps", "-aq"); got != "" {
		t.Fatalf("bad input left containers: %q", got)
	}
	// The source turns into a file between create and start: start fails
	// clearly, nothing stays mounted, and a later start works again.
	swap := filepath.Join(dir, "swap")
	if err := os.Mkdir(swap, 0o755); err != nil {
		t.Fatal(err)
	}
	id := c.Must(t, append(append([]string{"create"}, um...), "-v", swap+":/m:idmap", "bb", "true")...)
	if err := os.Remove(swap); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(swap, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	runExpect(t, c, 125, "idmap: "+swap+" is not a directory", "start", id)
	if ms := testenv.MountsUnder(filepath.Join(c.RunRoot, "selkie", "idmap")); len(ms) != 0 {
		t.Fatalf("failed start left mounts: %v", ms)
	}
	if err := os.Remove(swap); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(swap, 0o755); err != nil {
		t.Fatal(err)
	}
	c.Must(t, "start", "-a", id)
	c.Must(t, "rm", id)
	if s := idmapStaged(c); len(s) != 0 {
		t.Fatalf("staged idmapped mounts left: %v", s)
	}
}

// TestMountIDMapUsernsAuto: with --userns=auto the idmapped mount uses the
// mapping containers/storage allocated (known only at start).
func TestMountIDMapUsernsAuto(t *testing.T) {
	requiresIDMappedMounts(t)
	c := newRunCLI(t, testenv.ImageSpec{})
	sub, _ := os.ReadFile("/etc/subuid")
	autoUser := ""
	for _, l := range strings.Split(string(sub), "\n") {
		if name, _, ok := strings.Cut(l, ":"); ok && name != "" {
			autoUser = name
			break
		}
	}
	if autoUser == "" {
		t.Skip("no /etc/subuid ranges for rootful --userns=auto")
	}
	conf := filepath.Join(t.TempDir(), "storage.conf")
	if err := os.WriteFile(conf, []byte("[storage]\ndriver = \"overlay\"\n[storage.options]\nroot-auto-userns-user = \""+autoUser+"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.Env = append(c.Env, "CONTAINERS_STORAGE_CONF="+conf)
	src := t.TempDir()
	if err := os.Chmod(src, 0o755); err != nil {
		t.Fatal(err)
	}
	out := c.Must(t, "run", "--rm", "--network", "none", "--userns", "auto", "-v", src+":/m:idmap", "bb", "sh", "-c",
		"touch /m/f && stat -c %u /m/f && awk '{print $2}' /proc/self/uid_map")
	l := lines(out)
	if len(l) < 2 || l[0] != "0" || l[1] == "0" {
		t.Fatalf("idmap under --userns=auto: %q", out)
	}
	if got := owner(t, filepath.Join(src, "f")); got != "0:0" {
		t.Fatalf("file written by the auto userns root is %s on the host, want 0:0", got)
	}
}
