package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// rlUser runs the selkie binary as an unprivileged host account with its
// own HOME and XDG_RUNTIME_DIR (so its store, ~/.local/share/containers/
// storage, and its pause process are private to the test).
type rlUser struct {
	Name     string
	UID, GID int
	Sub      int    // first subordinate UID (and GID), 0 without ranges
	Dir      string // 0755 test dir holding the binary and the image
	Home     string
	Runtime  string
	Bin      string
	Image    string   // oci-archive the user can read
	Env      []string // when set, the whole environment of the user's commands
}

// rootlessAccount creates (once per host) the account name and returns its
// IDs and the start of its subordinate UID range. With ranges, useradd's
// own allocation (SUB_UID_MIN…) is used; without, the account has none.
func rootlessAccount(t *testing.T, name string, ranges bool) (uid, gid, sub int) {
	t.Helper()
	if _, err := user.Lookup(name); err != nil {
		args := []string{"--no-create-home", "--shell", "/bin/sh"}
		if !ranges {
			args = append(args, "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0")
		}
		if out, err := exec.Command("useradd", append(args, name)...).CombinedOutput(); err != nil {
			t.Fatalf("useradd %s: %v: %s", name, err, out)
		}
	}
	sub, size := subRange(name, "/etc/subuid")
	switch {
	case ranges && sub == 0:
		r := "600000-665535"
		if name == "selkie-rl2" {
			r = "700000-765535"
		}
		if out, err := exec.Command("usermod", "--add-subuids", r, "--add-subgids", r, name).CombinedOutput(); err != nil {
			t.Fatalf("usermod %s: %v: %s", name, err, out)
		}
		sub, _ = subRange(name, "/etc/subuid")
	case !ranges && sub != 0:
		r := fmt.Sprintf("%d-%d", sub, sub+size-1)
		gs, gsize := subRange(name, "/etc/subgid")
		if out, err := exec.Command("usermod", "--del-subuids", r, "--del-subgids", fmt.Sprintf("%d-%d", gs, gs+gsize-1), name).CombinedOutput(); err != nil {
			t.Fatalf("usermod %s: %v: %s", name, err, out)
		}
		sub = 0
	}
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, sub
}

// subRange is the first range of name in an /etc/subuid-style file.
func subRange(name, file string) (start, size int) {
	data, _ := os.ReadFile(file)
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Split(l, ":")
		if len(f) == 3 && f[0] == name {
			start, _ = strconv.Atoi(f[1])
			size, _ = strconv.Atoi(f[2])
			return start, size
		}
	}
	return 0, 0
}

// newRootless prepares a test account. The image is busybox from testenv,
// pulled by the tests themselves from an oci-archive.
func newRootless(t *testing.T, name string, ranges bool) *rlUser {
	t.Helper()
	testenv.RequiresRoot(t)
	testenv.RequiresBinary(t, "runc", "conmon", "setpriv", "newuidmap", "newgidmap", "useradd", "usermod")
	uid, gid, sub := rootlessAccount(t, name, ranges)
	dir, err := os.MkdirTemp("", "selkie-rootless-")
	if err != nil {
		t.Fatal(err)
	}
	u := &rlUser{Name: name, UID: uid, GID: gid, Sub: sub, Dir: dir,
		Home: filepath.Join(dir, "home"), Runtime: filepath.Join(dir, "run"),
		Bin: filepath.Join(dir, "selkie"), Image: filepath.Join(dir, "bb.tar")}
	t.Cleanup(func() {
		u.Run("rm", "--all", "--force", "--time", "0")
		if pid := u.pausePID(); pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if err := testenv.CleanupDir(dir); err != nil {
			t.Logf("cleanup %s: %v", dir, err)
		}
		os.RemoveAll(dir)
	})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Chmod(dir, 0o755))
	for _, d := range []string{u.Home, u.Runtime} {
		must(os.Mkdir(d, 0o700))
		must(os.Chown(d, uid, gid))
	}
	data, err := os.ReadFile(testenv.Binary(t))
	must(err)
	must(os.WriteFile(u.Bin, data, 0o755))
	must(testenv.WriteOCIArchive(u.Image, "latest", testenv.ImageSpec{}))
	must(os.Chmod(u.Image, 0o644))
	return u
}

func (u *rlUser) pausePID() int {
	data, err := os.ReadFile(filepath.Join(u.Runtime, "selkie", "pause.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

func (u *rlUser) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "setpriv", append([]string{"--reuid", strconv.Itoa(u.UID), "--regid", strconv.Itoa(u.GID), "--init-groups", "--", u.Bin}, args...)...)
	cmd.Dir = u.Dir
	cmd.Env = []string{"HOME=" + u.Home, "XDG_RUNTIME_DIR=" + u.Runtime, "USER=" + u.Name, "LOGNAME=" + u.Name,
		"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"}
	if u.Env != nil {
		cmd.Env = u.Env
	}
	return cmd
}

func (u *rlUser) Run(args ...string) testenv.Result {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := u.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	res := testenv.Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		res.ExitCode = -1
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	case err != nil:
		res.ExitCode = -1
		res.Stderr += err.Error()
	}
	return res
}

func (u *rlUser) Must(t *testing.T, args ...string) string {
	t.Helper()
	r := u.Run(args...)
	if r.ExitCode != 0 {
		t.Fatalf("selkie %s (as %s): %s", strings.Join(args, " "), u.Name, r)
	}
	return strings.TrimSpace(r.Stdout)
}

func (u *rlUser) pullBusybox(t *testing.T) {
	t.Helper()
	u.Must(t, "pull", "-q", "oci-archive:"+u.Image)
	u.Must(t, "tag", "localhost/latest:latest", "bb")
}

// statusIDs returns the real Uid and Gid lines' first fields of a host PID.
func statusIDs(t *testing.T, pid string) (uid, gid int) {
	t.Helper()
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "Uid:":
			uid, _ = strconv.Atoi(f[1])
		case "Gid:":
			gid, _ = strconv.Atoi(f[1])
		}
	}
	return uid, gid
}

// The lifecycle of a normal user: pull, images, run --rm, run -d, ps, stop,
// rm, with the store in ~/.local/share/containers/storage, every invocation
// in the one namespace of the pause process, and container processes
// running as the user (root in the container) or its subordinate IDs.
func TestRootlessLifecycle(t *testing.T) {
	u := newRootless(t, "selkie-rl1", true)
	u.pullBusybox(t)
	if out := u.Must(t, "images", "--format", "{{.Repository}}:{{.Tag}}"); !strings.Contains(out, "localhost/bb:latest") {
		t.Fatalf("images: %q", out)
	}
	graph := filepath.Join(u.Home, ".local", "share", "containers", "storage")
	if st, err := os.Stat(graph); err != nil || !st.IsDir() {
		t.Fatalf("per-user store %s: %v", graph, err)
	}
	if out := u.Must(t, "info", "--format", "{{.Store.GraphRoot}} {{.Host.Security.Rootless}}"); out != graph+" true" {
		t.Fatalf("info: %q, want %q", out, graph+" true")
	}
	pause := u.pausePID()
	if pause == 0 {
		t.Fatal("no pause.pid after the first command")
	}
	if out := u.Must(t, "run", "--rm", "--network", "none", "bb", "echo", "hi"); out != "hi" {
		t.Fatalf("run --rm: %q", out)
	}
	if out := u.Must(t, "run", "--rm", "--network", "none", "bb", "id", "-u"); out != "0" {
		t.Fatalf("container root: id -u = %q", out)
	}
	u.Must(t, "run", "-d", "--name", "top", "--network", "none", "bb", "sleep", "300")
	u.Must(t, "run", "-d", "--name", "nobody", "--user", "1000:1000", "--network", "none", "bb", "sleep", "300")
	if out := u.Must(t, "ps", "--format", "{{.Names}}"); !strings.Contains(out, "top") || !strings.Contains(out, "nobody") {
		t.Fatalf("ps: %q", out)
	}
	pid := u.Must(t, "inspect", "--format", "{{.State.Pid}}", "top")
	if uid, gid := statusIDs(t, pid); uid != u.UID || gid != u.GID {
		t.Fatalf("container root runs as %d:%d on the host, want the user's %d:%d", uid, gid, u.UID, u.GID)
	}
	pid = u.Must(t, "inspect", "--format", "{{.State.Pid}}", "nobody")
	// Container UID 1000 is subordinate ID sub+999.
	if uid, gid := statusIDs(t, pid); uid != u.Sub+999 || gid != u.Sub+999 {
		t.Fatalf("container uid 1000 runs as %d:%d on the host, want %d", uid, gid, u.Sub+999)
	}
	if got := u.pausePID(); got != pause {
		t.Fatalf("pause process changed from %d to %d", pause, got)
	}
	u.Must(t, "stop", "-t", "0", "top", "nobody")
	if out := u.Must(t, "ps", "-a", "--format", "{{.Names}} {{.Status}}"); !strings.Contains(out, "top Exited") {
		t.Fatalf("ps -a after stop: %q", out)
	}
	u.Must(t, "rm", "top", "nobody")
	if out := u.Must(t, "ps", "-a", "-q"); out != "" {
		t.Fatalf("ps -a after rm: %q", out)
	}
	// Resource limits cannot be set rootless on cgroup v1.
	// (cgroup v2 with delegation, where they work, is not on this host.)
	if _, err := os.Stat("/sys/fs/cgroup/memory"); err == nil {
		for _, f := range [][]string{{"--memory", "64m"}, {"--cpus", "1"}, {"--pids-limit", "10"}, {"--cpu-shares", "512"}} {
			r := u.Run(append(append([]string{"run", "--rm", "--network", "none"}, f...), "bb", "true")...)
			if r.ExitCode != 125 || !strings.Contains(r.Stderr, "cgroups V1 rootless") {
				t.Errorf("%s rootless on cgroup v1: %s", f[0], r)
			}
		}
		if out := u.Must(t, "ps", "-a", "-q"); out != "" {
			t.Fatalf("refused runs left containers: %q", out)
		}
	}
}

// A stale pause.pid naming a live process that is not our pause process (a
// recycled PID) is detected and replaced (security.md 70).
func TestRootlessStalePausePID(t *testing.T) {
	u := newRootless(t, "selkie-rl1", true)
	sleeper := exec.Command("setpriv", "--reuid", strconv.Itoa(u.UID), "--regid", strconv.Itoa(u.GID), "--init-groups", "sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() }()
	dir := filepath.Join(u.Runtime, "selkie")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	_ = os.Chown(dir, u.UID, u.GID)
	if err := os.WriteFile(filepath.Join(dir, "pause.pid"), []byte(strconv.Itoa(sleeper.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	u.Must(t, "images")
	got := u.pausePID()
	if got == 0 || got == sleeper.Process.Pid {
		t.Fatalf("pause.pid = %d, want a new pause process (stale %d)", got, sleeper.Process.Pid)
	}
	if err := sleeper.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the process behind the stale pause.pid was touched: %v", err)
	}
}

// A root-owned 0600 host file bind-mounted into a rootless container stays
// unreadable and unwritable for container root.
func TestRootlessHostFileUnreadable(t *testing.T) {
	u := newRootless(t, "selkie-rl1", true)
	u.pullBusybox(t)
	secret := filepath.Join(u.Dir, "secret")
	if err := os.WriteFile(secret, []byte("root only\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := u.Run("run", "--rm", "--network", "none", "-v", secret+":/secret", "bb", "cat", "/secret")
	if r.ExitCode == 0 || strings.Contains(r.Stdout, "root only") {
		t.Fatalf("container root read a root-owned 0600 host file: %s", r)
	}
	u.Run("run", "--rm", "--network", "none", "-v", secret+":/secret", "bb", "sh", "-c", "echo pwned > /secret")
	if data, _ := os.ReadFile(secret); string(data) != "root only\n" {
		t.Fatalf("host file changed: %q", data)
	}
}

// Two users' stores and containers are invisible to each other.
func TestRootlessTwoUsers(t *testing.T) {
	a := newRootless(t, "selkie-rl1", true)
	b := newRootless(t, "selkie-rl2", true)
	a.pullBusybox(t)
	a.Must(t, "create", "--name", "mine", "--network", "none", "bb", "true")
	if out := b.Must(t, "images", "-q"); out != "" {
		t.Fatalf("user 2 sees images: %q", out)
	}
	if out := b.Must(t, "ps", "-a", "-q"); out != "" {
		t.Fatalf("user 2 sees containers: %q", out)
	}
	// b cannot even look into a's home (0700) or store.
	graph := filepath.Join(a.Home, ".local", "share", "containers", "storage")
	cmd := exec.Command("setpriv", "--reuid", strconv.Itoa(b.UID), "--regid", strconv.Itoa(b.GID), "--init-groups", "ls", graph)
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("user 2 listed user 1's store: %s", out)
	}
	if r := b.Run("rm", "mine"); r.ExitCode == 0 {
		t.Fatalf("user 2 removed user 1's container: %s", r)
	}
	if out := a.Must(t, "ps", "-a", "--format", "{{.Names}}"); out != "mine" {
		t.Fatalf("user 1's containers: %q", out)
	}
}

// A user without /etc/subuid ranges gets the single-ID mapping with a
// warning; busybox (which has /home/tester owned by 1000) then cannot be
// extracted, and the error says why, as Podman's does.
func TestRootlessNoSubordinateRanges(t *testing.T) {
	u := newRootless(t, "selkie-rl0", false)
	r := u.Run("pull", "-q", "oci-archive:"+u.Image)
	if !strings.Contains(r.Stderr, "Found no UID ranges") {
		t.Fatalf("pull without subordinate ranges: no warning: %s", r)
	}
	if r.ExitCode != 125 || !strings.Contains(r.Stderr, "insufficient UIDs or GIDs available in user namespace") {
		t.Fatalf("pull without subordinate ranges: %s", r)
	}
	if out := u.Must(t, "images", "-q"); out != "" {
		t.Fatalf("a half-extracted image is listed: %q", out)
	}
}

// Rootless -p >= 1024 is reachable from the host with pasta (the default)
// and slirp4netns.
func TestRootlessPorts(t *testing.T) {
	u := newRootless(t, "selkie-rl1", true)
	st, err := os.Stat("/dev/net/tun")
	if err != nil || st.Mode().Perm()&0o006 != 0o006 {
		t.Skip("/dev/net/tun is not 0666 on this host (hack/install-deps.sh sets the distribution default)")
	}
	u.pullBusybox(t)
	for _, mode := range []string{"", "pasta", "slirp4netns"} {
		if mode != "" && testenv.LookPath(map[string]string{"pasta": "pasta", "slirp4netns": "slirp4netns"}[mode]) == "" {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		args := []string{"run", "-d", "-p", fmt.Sprintf("%d:8080", port)}
		if mode != "" {
			args = append(args, "--network", mode)
		}
		args = append(args, "bb", "sh", "-c", "echo rootless-"+mode+" > /tmp/index.html; exec httpd -f -p 8080 -h /tmp")
		id := u.Must(t, args...)
		var body string
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/index.html", port))
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				body = string(b)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if strings.TrimSpace(body) != "rootless-"+mode {
			t.Fatalf("network %q: port %d served %q", mode, port, body)
		}
		u.Must(t, "rm", "-f", "-t", "0", id)
	}
	// containers.conf default_rootless_network_cmd picks the default:
	// slirp4netns's tap0 instead of pasta's copy of the host interface.
	if testenv.LookPath("slirp4netns") != "" && testenv.LookPath("pasta") != "" {
		if out := u.Must(t, "run", "--rm", "bb", "ip", "-o", "link"); strings.Contains(out, " tap0:") {
			t.Fatalf("default rootless network is not pasta:\n%s", out)
		}
		dir := filepath.Join(u.Home, ".config", "containers")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		conf := filepath.Join(dir, "containers.conf")
		if err := os.WriteFile(conf, []byte("[network]\ndefault_rootless_network_cmd = \"slirp4netns\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(conf) })
		for _, p := range []string{filepath.Join(u.Home, ".config"), dir, conf} {
			if err := os.Chown(p, u.UID, u.GID); err != nil {
				t.Fatal(err)
			}
		}
		if out := u.Must(t, "run", "--rm", "bb", "ip", "-o", "link"); !strings.Contains(out, " tap0:") {
			t.Fatalf("default_rootless_network_cmd = slirp4netns not used:\n%s", out)
		}
		// The setting changes under a running container: its rm still
		// stops the slirp4netns it was started with.
		id := u.Must(t, "run", "-d", "bb", "sleep", "300")
		data, err := os.ReadFile(filepath.Join(u.Runtime, "containers", "networks", "slirp4netns-"+id+".pid"))
		if err != nil {
			t.Fatal(err)
		}
		slirp, _ := strconv.Atoi(strings.TrimSpace(string(data)))
		if !processRunning(slirp) {
			t.Fatalf("slirp4netns %q of %s not running", data, id)
		}
		os.Remove(conf)
		u.Must(t, "rm", "-f", "-t", "0", id)
		for deadline := time.Now().Add(10 * time.Second); processRunning(slirp) && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		}
		if processRunning(slirp) {
			t.Fatalf("slirp4netns %d left running after rm (the default changed to pasta meanwhile)", slirp)
		}
	}
	// Ports below net.ipv4.ip_unprivileged_port_start: Podman's message.
	if data, _ := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"); strings.TrimSpace(string(data)) == "1024" {
		r := u.Run("run", "--rm", "-p", "80:8080", "bb", "true")
		if r.ExitCode != 125 || !strings.Contains(r.Stderr, "rootlessport cannot expose privileged port 80") {
			t.Fatalf("-p 80 rootless: %s", r)
		}
		if out := u.Must(t, "ps", "-a", "-q"); out != "" {
			t.Fatalf("run --rm left %q after the network failed", out)
		}
	}
}

// --userns=keep-id: the user's own UID/GID inside, files the user owns on
// the host are the user's in the container, the image's root files stay
// root's; keep-id:uid=,gid= picks other IDs; host is the default sharing.
func TestRootlessUserNSKeepID(t *testing.T) {
	u := newRootless(t, "selkie-rl1", true)
	u.pullBusybox(t)
	data := filepath.Join(u.Dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(data, u.UID, u.GID); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d:%d %d 0", u.UID, u.GID, u.UID)
	out := u.Must(t, "run", "--rm", "--network", "none", "--userns", "keep-id", "-v", data+":/data",
		"bb", "sh", "-c", `echo $(id -u):$(id -g) $(stat -c %u /data) $(stat -c %u /bin/sh); touch /data/f`)
	if out != want {
		t.Fatalf("keep-id: %q, want %q", out, want)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(data, "f"), &st); err != nil || int(st.Uid) != u.UID {
		t.Fatalf("file written with keep-id is owned by %d on the host (%v), want %d", st.Uid, err, u.UID)
	}
	if out := u.Must(t, "run", "--rm", "--network", "none", "--userns", "keep-id:uid=200,gid=300", "bb", "id"); out != "uid=200 gid=300" {
		t.Fatalf("keep-id:uid=200,gid=300: %q", out)
	}
	if out := u.Must(t, "run", "--rm", "--network", "none", "--userns", "host", "bb", "id", "-u"); out != "0" {
		t.Fatalf("userns=host: %q", out)
	}
	// -v …:U chowns the source to the container user, through the mappings.
	vol := filepath.Join(u.Dir, "vol")
	if err := os.Mkdir(vol, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(vol, u.UID, u.GID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		host int
	}{
		{[]string{"--user", "1000:1000"}, u.Sub + 999},
		{[]string{"--userns", "keep-id:uid=500,gid=500", "--user", "0:0"}, u.Sub},
		{[]string{"--userns", "keep-id"}, u.UID},
	} {
		args := append(append([]string{"run", "--rm", "--network", "none"}, c.args...), "-v", vol+":/d:U", "bb", "true")
		u.Must(t, args...)
		if err := syscall.Stat(vol, &st); err != nil || int(st.Uid) != c.host || int(st.Gid) != c.host {
			t.Fatalf("%v -v :U: host owner %d:%d (%v), want %d", c.args, st.Uid, st.Gid, err, c.host)
		}
	}
}

// `selkie unshare` runs a command in the user namespace (the store's files
// are root's there) and passes its exit code; as root it is refused.
// `system migrate` stops the containers and replaces the pause process.
func TestRootlessUnshareMigrate(t *testing.T) {
	u := newRootless(t, "selkie-rl1", true)
	u.pullBusybox(t)
	out := u.Must(t, "unshare", "sh", "-c", `id -u; echo $CONTAINERS_GRAPHROOT; stat -c %u "$CONTAINERS_GRAPHROOT"`)
	graph := filepath.Join(u.Home, ".local", "share", "containers", "storage")
	if want := "0\n" + graph + "\n0"; out != want {
		t.Fatalf("unshare: %q, want %q", out, want)
	}
	if r := u.Run("unshare", "sh", "-c", "exit 7"); r.ExitCode != 7 {
		t.Fatalf("unshare exit code: %s", r)
	}
	c := testenv.NewCLI(t)
	if r := c.Run("unshare", "true"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "please use unshare with rootless") {
		t.Fatalf("unshare as root: %s", r)
	}
	u.Must(t, "run", "-d", "--name", "s", "--network", "none", "bb", "sh", "-c", "trap exit TERM; sleep 300 & wait")
	before := u.pausePID()
	u.Must(t, "system", "migrate")
	for i := 0; processRunning(before) && i < 100; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if processRunning(before) {
		t.Fatalf("pause process %d still running after system migrate", before)
	}
	if out := u.Must(t, "ps", "-a", "--format", "{{.Names}} {{.State}}"); out != "s exited" {
		t.Fatalf("after migrate: %q", out)
	}
	if after := u.pausePID(); after == 0 || after == before {
		t.Fatalf("pause process not replaced: %d -> %d", before, after)
	}
	// The container starts again in the new namespace.
	u.Must(t, "start", "s")
	if out := u.Must(t, "ps", "--format", "{{.Names}}"); out != "s" {
		t.Fatalf("restart after migrate: %q", out)
	}
}

// processRunning reports whether pid exists and is not a zombie (this
// host's PID 1 does not always reap orphans).
func processRunning(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(data, ')')
	return i >= 0 && i+2 < len(data) && data[i+2] != 'Z'
}

// --userns=nomap and --uidmap as a user: the user's own ID is not mapped
// (nomap), container root is subordinate ID 1 of the namespace; a mapping
// beyond the user's ranges is refused.
func TestRootlessUserNSNomapUIDMap(t *testing.T) {
	u := newRootless(t, "selkie-rl1", true)
	u.pullBusybox(t)
	out := u.Must(t, "run", "--rm", "--network", "none", "--userns", "nomap", "bb", "cat", "/proc/self/uid_map")
	if f := strings.Fields(out); len(f) != 3 || f[0] != "0" || f[1] != "1" {
		t.Fatalf("nomap uid_map: %q", out)
	}
	u.Must(t, "run", "-d", "--name", "m", "--network", "none", "--uidmap", "0:1:1000", "--uidmap", "1000:0:1", "bb", "sleep", "300")
	pid := u.Must(t, "inspect", "--format", "{{.State.Pid}}", "m")
	if uid, _ := statusIDs(t, pid); uid != u.Sub {
		t.Fatalf("--uidmap 0:1:1000: container root is host %d, want %d", uid, u.Sub)
	}
	if out := u.Must(t, "exec", "m", "id", "-u"); out != "0" {
		t.Fatalf("exec id -u: %q", out)
	}
	r := u.Run("run", "--rm", "--network", "none", "--uidmap", "0:1:1000000", "bb", "true")
	if r.ExitCode != 125 || !strings.Contains(r.Stderr, "outside") {
		t.Fatalf("--uidmap beyond the ranges: %s", r)
	}
	if r := u.Run("run", "--rm", "--userns", "keep-id", "--uidmap", "0:1:1", "bb", "true"); r.ExitCode != 125 {
		t.Fatalf("--userns with --uidmap: %s", r)
	}
	// auto: containers/storage allocates distinct ranges of the asked size.
	u.Must(t, "run", "-d", "--name", "a1", "--network", "none", "--userns", "auto:size=2000", "bb", "sleep", "300")
	m1 := u.Must(t, "exec", "a1", "cat", "/proc/self/uid_map")
	m2 := u.Must(t, "run", "--rm", "--network", "none", "--userns", "auto:size=2000", "bb", "cat", "/proc/self/uid_map")
	f1, f2 := strings.Fields(m1), strings.Fields(m2)
	if len(f1) != 3 || len(f2) != 3 || f1[2] != "2000" || f2[2] != "2000" || f1[1] == f2[1] {
		t.Fatalf("userns=auto:size=2000 maps %q and %q, want two distinct ranges of 2000", m1, m2)
	}
	// container:ID joins a1's namespace (and its storage mapping).
	m3 := u.Must(t, "run", "--rm", "--network", "none", "--userns", "container:a1", "bb", "sh", "-c", "cat /proc/self/uid_map; stat -c %u /bin/sh")
	if f3 := strings.Fields(m3); len(f3) != 4 || strings.Join(f3[:3], " ") != strings.Join(f1, " ") || f3[3] != "0" {
		t.Fatalf("userns=container:a1: %q, want a1's map %q and root-owned /bin/sh", m3, m1)
	}
}

// Rootful --uidmap/--subuidname: container root runs as the mapped host ID.
func TestUserNSUIDMapRootful(t *testing.T) {
	testenv.RequiresRoot(t)
	c := testenv.NewCLI(t)
	c.SeedImage(t, "localhost/bb:latest", testenv.ImageSpec{})
	c.Must(t, "run", "-d", "--name", "r", "--network", "none", "--uidmap", "0:300000:65536", "--gidmap", "0:310000:65536", "localhost/bb", "sleep", "300")
	pid := c.Must(t, "inspect", "--format", "{{.State.Pid}}", "r")
	if uid, gid := statusIDs(t, pid); uid != 300000 || gid != 310000 {
		t.Fatalf("--uidmap 0:300000: container root is host %d:%d", uid, gid)
	}
	if out := c.Must(t, "exec", "r", "stat", "-c", "%u:%g", "/bin/sh"); out != "0:0" {
		t.Fatalf("image files inside: %q", out)
	}
	c.Must(t, "rm", "-f", "-t", "0", "r")
	for mode, msg := range map[string]string{"keep-id": "keep-id is only supported in rootless mode", "nomap": "nomap is only supported in rootless mode"} {
		r := c.Run("create", "--userns", mode, "localhost/bb", "true")
		if r.ExitCode != 125 || strings.TrimSpace(r.Stderr) != "Error: "+msg {
			t.Fatalf("--userns=%s as root: %s", mode, r)
		}
	}
	if out := c.Must(t, "ps", "-aq"); out != "" {
		t.Fatalf("refused creates left containers: %q", out)
	}
}

// system reset as a user empties that user's store (asking first unless
// --force) and leaves another user's alone.
func TestRootlessSystemReset(t *testing.T) {
	a := newRootless(t, "selkie-rl1", true)
	b := newRootless(t, "selkie-rl2", true)
	a.pullBusybox(t)
	b.pullBusybox(t)
	a.Must(t, "volume", "create", "v1")
	a.Must(t, "run", "-d", "--network", "none", "-v", "v1:/v", "bb", "sleep", "300")
	cmd := a.command(context.Background(), "system", "reset")
	cmd.Stdin = strings.NewReader("n\n")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Are you sure you want to continue? [y/N]") {
		t.Fatalf("reset prompt: %v: %s", err, out)
	}
	if out := a.Must(t, "images", "-q"); out == "" {
		t.Fatal("answering n removed the images")
	}
	a.Must(t, "system", "reset", "--force")
	for _, args := range [][]string{{"images", "-q"}, {"ps", "-aq"}, {"volume", "ls", "-q"}} {
		if out := a.Must(t, args...); out != "" {
			t.Fatalf("%v after reset: %q", args, out)
		}
	}
	if out := b.Must(t, "images", "-q"); out == "" {
		t.Fatal("user 1's reset removed user 2's images")
	}
}

// TestRootlessXDGPaths: a user's paths follow XDG_DATA_HOME (storage) and
// XDG_CONFIG_HOME (containers.conf); with XDG_RUNTIME_DIR unset and no
// /run/user/UID, the run root, libpod tmp dir and pause process live under
// $TMPDIR/podman-run-UID, as Podman's fallback.
func TestRootlessXDGPaths(t *testing.T) {
	u := newRootless(t, "selkie-rl1", true)
	if _, err := os.Stat(fmt.Sprintf("/run/user/%d", u.UID)); err == nil {
		t.Skipf("/run/user/%d exists: the fallback is not used on this host", u.UID)
	}
	data, conf, tmp := filepath.Join(u.Home, "xdgdata"), filepath.Join(u.Home, "xdgconf"), filepath.Join(u.Dir, "tmp")
	for _, d := range []string{filepath.Join(conf, "containers"), tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(conf, "containers", "containers.conf"), []byte("[containers]\nenv = [\"FROM_XDG_CONFIG=1\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{conf, filepath.Join(conf, "containers"), filepath.Join(conf, "containers", "containers.conf"), tmp} {
		if err := os.Chown(p, u.UID, u.GID); err != nil {
			t.Fatal(err)
		}
	}
	run := filepath.Join(tmp, fmt.Sprintf("podman-run-%d", u.UID))
	u.Env = []string{"HOME=" + u.Home, "USER=" + u.Name, "LOGNAME=" + u.Name, "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		"TMPDIR=" + tmp, "XDG_DATA_HOME=" + data, "XDG_CONFIG_HOME=" + conf}
	t.Cleanup(func() {
		u.Run("rm", "--all", "--force", "--time", "0")
		if b, err := os.ReadFile(filepath.Join(run, "selkie", "pause.pid")); err == nil {
			if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		// newRootless's cleanup runs next, with the usual environment (it
		// would otherwise start a pause process here again, and leak it).
		u.Env = nil
	})
	u.pullBusybox(t)
	want := filepath.Join(data, "containers", "storage") + " " + filepath.Join(run, "containers")
	if got := u.Must(t, "info", "--format", "{{.Store.GraphRoot}} {{.Store.RunRoot}}"); got != want {
		t.Fatalf("graph root and run root %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(data, "containers", "storage", "overlay-images")); err != nil {
		t.Fatalf("image not stored under XDG_DATA_HOME: %v", err)
	}
	if out := u.Must(t, "run", "--rm", "--network", "none", "bb", "sh", "-c", "echo $FROM_XDG_CONFIG"); out != "1" {
		t.Fatalf("containers.conf under XDG_CONFIG_HOME not read: %q", out)
	}
	if _, err := os.Stat(filepath.Join(run, "selkie", "pause.pid")); err != nil {
		t.Fatalf("pause process not under the fallback run dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(u.Home, ".local")); err == nil {
		t.Fatal("~/.local used although XDG_DATA_HOME is set")
	}
}

// TestRootlessFuseOverlayfs: ~/.config/containers/storage.conf's
// mount_program is honoured: the container's rootfs is a fuse-overlayfs
// mount owned by the user, and removing the container unmounts it.
func TestRootlessFuseOverlayfs(t *testing.T) {
	u := newRootless(t, "selkie-rl1", true)
	fo := testenv.LookPath("fuse-overlayfs")
	if fo == "" {
		t.Skip("fuse-overlayfs not installed")
	}
	if st, err := os.Stat("/dev/fuse"); err != nil || st.Mode().Perm()&0o006 != 0o006 {
		t.Skip("/dev/fuse is not usable by other users on this host")
	}
	dir := filepath.Join(u.Home, ".config", "containers")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("[storage]\ndriver = \"overlay\"\n[storage.options.overlay]\nmount_program = %q\n", fo)
	if err := os.WriteFile(filepath.Join(dir, "storage.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(u.Home, ".config"), dir, filepath.Join(dir, "storage.conf")} {
		if err := os.Chown(p, u.UID, u.GID); err != nil {
			t.Fatal(err)
		}
	}
	u.pullBusybox(t)
	u.Must(t, "run", "-d", "--name", "f", "--network", "none", "bb", "sleep", "300")
	out := u.Must(t, "unshare", "sh", "-c", "grep fuse-overlayfs /proc/self/mountinfo | grep -c /merged")
	if out != "1" {
		t.Fatalf("rootfs mounts by fuse-overlayfs in the user's namespace: %q", out)
	}
	if got := u.Must(t, "exec", "f", "cat", "/etc/passwd"); !strings.Contains(got, "root:") {
		t.Fatalf("container rootfs through fuse-overlayfs: %q", got)
	}
	u.Must(t, "rm", "-f", "-t", "0", "f")
	if r := u.Run("unshare", "sh", "-c", "grep fuse-overlayfs /proc/self/mountinfo | grep -c /merged"); strings.TrimSpace(r.Stdout) != "0" {
		t.Fatalf("fuse-overlayfs mount left after rm: %s", r)
	}
}

// TestRootlessLoginAuthFile: a user's registries.conf in
// ~/.config/containers is read, `login` writes the credentials to
// $XDG_RUNTIME_DIR/containers/auth.json (the user's, 0600), push and pull
// through the authenticated registry use them, logout removes them.
func TestRootlessLoginAuthFile(t *testing.T) {
	u := newRootless(t, "selkie-rl2", true)
	r := testenv.StartRegistry(t, testenv.RegistryOptions{Auth: true})
	regConf, err := os.ReadFile(r.RegistriesConf)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(u.Home, ".config", "containers")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "registries.conf"), regConf, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(u.Home, ".config"), dir, filepath.Join(dir, "registries.conf")} {
		if err := os.Chown(p, u.UID, u.GID); err != nil {
			t.Fatal(err)
		}
	}
	u.pullBusybox(t)
	ref := r.Ref("rl/bb:1")
	if rc := u.Run("push", "bb", ref); rc.ExitCode == 0 {
		t.Fatalf("push without login succeeded: %s", rc)
	}
	u.Must(t, "login", "-u", r.User, "-p", r.Password, r.Addr)
	auth := filepath.Join(u.Runtime, "containers", "auth.json")
	st, err := os.Stat(auth)
	if err != nil {
		t.Fatalf("login did not write %s: %v", auth, err)
	}
	if st.Sys().(*syscall.Stat_t).Uid != uint32(u.UID) || st.Mode().Perm()&0o077 != 0 {
		t.Fatalf("%s: owner %d mode %v", auth, st.Sys().(*syscall.Stat_t).Uid, st.Mode())
	}
	if data, _ := os.ReadFile(auth); !strings.Contains(string(data), r.Addr) {
		t.Fatalf("auth.json lacks %s:\n%s", r.Addr, data)
	}
	u.Must(t, "push", "bb", ref)
	u.Must(t, "pull", "-q", ref)
	u.Must(t, "image", "exists", ref)
	u.Must(t, "logout", r.Addr)
	if data, _ := os.ReadFile(auth); strings.Contains(string(data), r.Addr) {
		t.Fatalf("logout left %s in auth.json:\n%s", r.Addr, data)
	}
}
