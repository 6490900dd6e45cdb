package e2e

// Issue #3 audit: run/create, ps, logs, stop/kill/rm/restart, wait and
// inspect behaviour that had no end-to-end test, checked against what
// Podman 4.3.1 does on this host (see /work/notes/issue3-audit.md).

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// auditRun runs `run --rm --network none ARGS...` (flags then image and
// command in args) and returns trimmed stdout, failing unless it exits 0.
func auditRun(t *testing.T, c *testenv.CLI, args ...string) string {
	t.Helper()
	return c.Must(t, append([]string{"run", "--rm", "--network", "none"}, args...)...)
}

func TestContainerAuditProcessFlags(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	labelFile := filepath.Join(dir, "labels")
	if err := os.WriteFile(envFile, []byte("# comment\nFROMFILE=file\nOVER=file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(labelFile, []byte("fromfile=yes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// --env-file, then -e overrides it; --unsetenv drops the image's PATH
	// (busybox sh then uses its built-in default, without /usr/local).
	if out := auditRun(t, c, "--env-file", envFile, "-e", "OVER=flag", "--unsetenv", "PATH", "bb", "/bin/sh", "-c", "echo $FROMFILE $OVER; echo path=$PATH"); !strings.HasPrefix(out, "file flag\npath=") || strings.Contains(out, "/usr/local") {
		t.Errorf("--env-file/-e/--unsetenv: %q", out)
	}
	// --env-host copies the caller's environment.
	c.Env = []string{"AUDIT_FROM_HOST=hostvalue"}
	if out := auditRun(t, c, "--env-host", "bb", "sh", "-c", "echo $AUDIT_FROM_HOST"); out != "hostvalue" {
		t.Errorf("--env-host: %q", out)
	}
	c.Env = nil
	// An explicit uid:gid keeps its gid among the groups, plus --group-add.
	if out := auditRun(t, c, "-u", "1:2", "--group-add", "10", "bb", "id"); !strings.Contains(out, "uid=1") || !strings.Contains(out, "gid=2") || !strings.Contains(out, "10") {
		t.Errorf("-u 1:2 --group-add 10: %q", out)
	}
	if out := auditRun(t, c, "--tz", "UTC", "bb", "date", "+%Z"); out != "UTC" {
		t.Errorf("--tz UTC: %q", out)
	}
	// --tz binds a copy of the zone file on /etc/localtime (no TZ), as Podman.
	if _, err := os.Stat("/usr/share/zoneinfo/Asia/Tokyo"); err == nil {
		if out := auditRun(t, c, "--tz", "Asia/Tokyo", "bb", "sh", "-c", "date +%Z; echo tz=$TZ"); out != "JST\ntz=" {
			t.Errorf("--tz Asia/Tokyo: %q", out)
		}
	}
	if out := auditRun(t, c, "--tz", "local", "bb", "date", "+%Z"); out != strings.TrimSpace(mustOutput(t, "date", "+%Z")) {
		t.Errorf("--tz local: %q", out)
	}
	if r := c.Run("run", "--rm", "--network", "none", "--tz", "../../etc/shadow", "bb", "true"); r.ExitCode != 125 {
		t.Errorf("--tz ../../etc/shadow: exit %d %q", r.ExitCode, r.Stderr)
	}
	// A UID the image's passwd lacks gets Podman's passwd/group entries in
	// per-container copies; the image's files stay as they are.
	if out := auditRun(t, c, "-u", "1", "-w", "/tmp", "bb", "sh", "-c", "id; tail -1 /etc/passwd; tail -1 /etc/group; echo $HOME"); out != "uid=1(1) gid=0(root) groups=0(root)\n1:*:1:0:container user:/tmp:/bin/sh\n1:x:1:1\n/tmp" {
		t.Errorf("-u 1: %q", out)
	}
	if out := auditRun(t, c, "-u", "4000:4000", "bb", "sh", "-c", "id; tail -1 /etc/group"); out != "uid=4000(4000) gid=4000(4000) groups=4000(4000)\n4000:x:4000:4000" {
		t.Errorf("-u 4000:4000: %q", out)
	}
	if out := auditRun(t, c, "bb", "sh", "-c", "grep -c 'container user' /etc/passwd /etc/group || true"); strings.Contains(out, ":1") {
		t.Errorf("image passwd/group modified: %q", out)
	}
	// --init-path names the init binary that runs as PID 1.
	for _, p := range []string{"/usr/libexec/podman/catatonit", "/usr/bin/catatonit"} {
		if _, err := os.Stat(p); err == nil {
			if out := auditRun(t, c, "--init", "--init-path", p, "bb", "cat", "/proc/1/cmdline"); !strings.HasPrefix(out, "/run/podman-init") {
				t.Errorf("--init-path %s: PID 1 is %q", p, out)
			}
			break
		}
	}
	// --label-file, --label and --annotation show in inspect.
	c.Must(t, "create", "--name", "meta", "--label-file", labelFile, "--label", "flag=1", "--annotation", "an.key=val", "bb", "true")
	if got := c.Must(t, "inspect", "--format", `{{index .Config.Labels "fromfile"}} {{index .Config.Labels "flag"}} {{index .Config.Annotations "an.key"}}`, "meta"); got != "yes 1 val" {
		t.Errorf("labels/annotation in inspect: %q", got)
	}
	// Hostile: an --env-file that is a directory or missing fails cleanly.
	runExpect(t, c, 125, "", "run", "--rm", "--env-file", dir, "bb", "true")
	runExpect(t, c, 125, "no such file or directory", "run", "--rm", "--env-file", filepath.Join(dir, "missing"), "bb", "true")
}

func TestContainerAuditIOFlags(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	// -a stdout: only the container's stdout reaches the caller.
	r := c.Run("run", "--rm", "--network", "none", "-a", "stdout", "bb", "sh", "-c", "echo out; echo err >&2")
	if r.ExitCode != 0 || r.Stdout != "out\n" || strings.Contains(r.Stderr, "err") {
		t.Errorf("-a stdout: %s", r)
	}
	// run -it: the PTY has the caller's size before the process starts
	// (process.consoleSize), so an immediate stty size sees it, as Podman.
	if testenv.LookPath("script") != "" {
		cmdline := "stty rows 33 cols 111; " + strings.Join(append([]string{c.Bin}, c.Args("run", "--rm", "-it", "--network", "none", "bb", "stty", "size")...), " ")
		cmd := boundedCmd(90*time.Second, "script", "-qec", cmdline, "/dev/null")
		cmd.Env = append(os.Environ(), c.Env...)
		cmd.Stdin = strings.NewReader("")
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "33 111\r\n") {
			t.Errorf("run -it stty size: %v %q", err, out)
		}
	}
	// run --preserve-fds N: the caller's fds 3.. reach the container (through
	// conmon and runc create); fds not passed are Podman's error, exit 125.
	pf := filepath.Join(t.TempDir(), "fd3")
	if err := os.WriteFile(pf, []byte("from-fd-3"), 0o644); err != nil {
		t.Fatal(err)
	}
	f3, err := os.Open(pf)
	if err != nil {
		t.Fatal(err)
	}
	defer f3.Close()
	pcmd := c.Command(t.Context(), "run", "--rm", "--network", "none", "--preserve-fds", "1", "bb", "sh", "-c", "cat <&3")
	pcmd.ExtraFiles = []*os.File{f3}
	if out, err := pcmd.CombinedOutput(); err != nil || string(out) != "from-fd-3" {
		t.Errorf("run --preserve-fds 1 with fd 3: %v %q", err, out)
	}
	if r := c.Run("run", "--rm", "--network", "none", "--preserve-fds", "1", "bb", "true"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "file descriptor 3 is not available - the preserve-fds option requires that file descriptors must be passed") {
		t.Errorf("run --preserve-fds 1 without fd 3: %d %q", r.ExitCode, r.Stderr)
	}
	runExpect(t, c, 125, "unknown flag: --preserve-fds", "create", "--preserve-fds", "1", "bb", "true")
	// --cidfile and --pidfile; json-file with a path and max-size.
	dir := t.TempDir()
	cid, pidf, logf := filepath.Join(dir, "cid"), filepath.Join(dir, "pid"), filepath.Join(dir, "ctr.log")
	id := c.Must(t, "run", "-d", "--network", "none", "--cidfile", cid, "--pidfile", pidf,
		"--log-driver", "json-file", "--log-opt", "path="+logf, "--log-opt", "max-size=1m", "bb", "sh", "-c", "echo logged; sleep 100")
	if data, err := os.ReadFile(cid); err != nil || string(data) != id {
		t.Errorf("--cidfile: %q %v, want %s", data, err, id)
	}
	pid := c.Must(t, "inspect", "--format", "{{.State.Pid}}", id)
	if data, err := os.ReadFile(pidf); err != nil || strings.TrimSpace(string(data)) != pid {
		t.Errorf("--pidfile: %q %v, want %s", data, err, pid)
	}
	// max-size in decimal units, as Podman: 1m = 1000000 bytes for conmon.
	if cpid := c.Must(t, "inspect", "--format", "{{.State.ConmonPid}}", id); cpid != "0" {
		if data, err := os.ReadFile("/proc/" + cpid + "/cmdline"); err != nil || !strings.Contains(string(data), "--log-size-max\x001000000\x00") {
			t.Errorf("conmon --log-size-max for max-size=1m: %q %v", data, err)
		}
	}
	verbsWaitFor(t, func() bool { return c.Must(t, "logs", id) == "logged" })
	if data, err := os.ReadFile(logf); err != nil || !strings.Contains(string(data), " stdout F logged") {
		t.Errorf("--log-opt path: %q %v", data, err)
	}
	if got := c.Must(t, "inspect", "--format", "{{.HostConfig.LogConfig.Type}} {{.HostConfig.LogConfig.Path}} {{.HostConfig.LogConfig.Size}}", id); got != "json-file "+logf+" 1MB" {
		t.Errorf("LogConfig: %q", got)
	}
	c.Must(t, "rm", "-f", "-t", "0", id)
	// --log-driver none: nothing to read, Podman's message.
	c.Must(t, "run", "--network", "none", "--name", "nolog", "--log-driver", "none", "bb", "echo", "x")
	if r := c.Run("logs", "nolog"); r.ExitCode != 125 || strings.TrimSpace(r.Stderr) != "Error: this container is using the 'none' log driver, cannot read logs: this container is not logging output" {
		t.Errorf("logs of a none-driver container: %d %q", r.ExitCode, r.Stderr)
	}

	// --sig-proxy (default true): a signal to the attached run reaches the container.
	cmd := c.Command(t.Context(), "run", "--rm", "--network", "none", "bb", "sh", "-c", `trap "echo got-usr1; exit 5" USR1; echo ready; while :; do sleep 0.1; done`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("sig-proxy: first line %q", sc.Text())
	}
	if err := cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	var rest []string
	for sc.Scan() {
		rest = append(rest, sc.Text())
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if strings.Join(rest, "\n") != "got-usr1" || !asExit(err, &ee) || ee.ExitCode() != 5 {
		t.Errorf("sig-proxy: output %q, wait %v", rest, err)
	}
}

func asExit(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*ee = e
	return ok
}

func TestContainerAuditSecurityResources(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	if out := auditRun(t, c, "--cap-drop", "ALL", "--cap-add", "NET_RAW", "bb", "grep", "CapEff", "/proc/self/status"); !strings.HasSuffix(out, "0000000000002000") {
		t.Errorf("--cap-drop ALL --cap-add NET_RAW: %q", out)
	}
	prof := filepath.Join(t.TempDir(), "seccomp.json")
	if err := os.WriteFile(prof, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	runExpect(t, c, 1, "Operation not permitted", "run", "--rm", "--network", "none", "--security-opt", "seccomp="+prof, "bb", "mkdir", "/tmp/x")
	// mask= hides a path; label=disable and apparmor=unconfined are accepted.
	if out := auditRun(t, c, "--security-opt", "mask=/etc/hostname", "--security-opt", "label=disable", "--security-opt", "apparmor=unconfined", "bb", "cat", "/etc/hostname"); out != "" {
		t.Errorf("mask=/etc/hostname: %q", out)
	}
	runExpect(t, c, 1, "Read-only file system", "run", "--rm", "--network", "none", "--read-only", "--read-only-tmpfs=false", "bb", "touch", "/tmp/x")
	// Default /dev/shm: containers.conf 65536k in decimal units, as Podman
	// (65536000 bytes, /proc/mounts size=64000k; inspect ShmSize 65536000).
	if out := auditRun(t, c, "bb", "grep", " /dev/shm ", "/proc/mounts"); !strings.Contains(out, "size=64000k") {
		t.Errorf("default /dev/shm: %q", out)
	}
	c.Must(t, "create", "--network", "none", "--name", "shmdefault", "bb", "true")
	if out := c.Must(t, "inspect", "--format", "{{.HostConfig.ShmSize}}", "shmdefault"); out != "65536000" {
		t.Errorf("default ShmSize: %q", out)
	}
	c.Must(t, "rm", "shmdefault")
	if out := auditRun(t, c, "--shm-size", "16m", "bb", "sh", "-c", "df -k /dev/shm | tail -1"); !strings.Contains(out, " 16384 ") {
		t.Errorf("--shm-size 16m: %q", out)
	}
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err != nil {
		t.Skip("cgroup v1 controllers not mounted; resource files differ")
	}
	read := "cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes memory/memory.soft_limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares cpuset/cpuset.cpus pids/pids.max blkio/blkio.weight devices/devices.list 2>/dev/null; true"
	out := auditRun(t, c, "--memory", "64m", "--memory-swap", "128m", "--memory-reservation", "32m", "--cpu-quota", "20000", "--cpu-period", "100000",
		"--cpu-shares", "512", "--cpuset-cpus", "0", "--pids-limit", "50", "--blkio-weight", "300", "--device-cgroup-rule", "c 1:3 rwm", "bb", "sh", "-c", read)
	want := []string{"67108864", "134217728", "33554432", "20000", "100000", "512", "0", "50"}
	got := strings.Fields(out)
	if len(got) < len(want) || strings.Join(got[:len(want)], " ") != strings.Join(want, " ") || !strings.Contains(out, "c 1:3 rwm") {
		t.Errorf("resources: got %q, want prefix %q and c 1:3 rwm", out, want)
	}
	// --blkio-weight: blkio.weight, or blkio.bfq.weight with BFQ (this host;
	// Podman 4.3 discards the weight there with a warning).
	if out := auditRun(t, c, "--blkio-weight", "300", "bb", "sh", "-c", "cd /sys/fs/cgroup/blkio 2>/dev/null && cat blkio.weight 2>/dev/null || cat blkio.bfq.weight 2>/dev/null || echo none"); out != "300" && out != "none" {
		t.Errorf("--blkio-weight 300: %q", out)
	}
	if out := auditRun(t, c, "--cpus", "0.5", "bb", "cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us"); out != "50000\n100000" {
		t.Errorf("--cpus 0.5: %q", out)
	}
}

func TestContainerAuditLifecycleFlags(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	// --restart always restarts after each exit; stop ends it.
	c.Must(t, "run", "-d", "--network", "none", "--name", "always", "--restart", "always", "bb", "sh", "-c", "sleep 0.2; exit 2")
	verbsWaitFor(t, func() bool {
		n, _ := strconv.Atoi(c.Must(t, "inspect", "--format", "{{.RestartCount}}", "always"))
		return n >= 2
	})
	c.Must(t, "stop", "-t", "0", "always")
	time.Sleep(500 * time.Millisecond)
	if st := c.Must(t, "inspect", "--format", "{{.State.Status}} {{.HostConfig.RestartPolicy.Name}}", "always"); st != "exited always" {
		t.Errorf("after stop of a restart=always container: %q", st)
	}
	c.Must(t, "create", "--name", "us", "--restart", "unless-stopped", "bb", "true")
	if got := c.Must(t, "inspect", "--format", "{{.HostConfig.RestartPolicy.Name}}", "us"); got != "unless-stopped" {
		t.Errorf("--restart unless-stopped: %q", got)
	}
	// --stop-signal and --stop-timeout: stop sends USR1, waits 1 s, kills.
	c.Must(t, "run", "-d", "--network", "none", "--name", "sig", "--stop-signal", "USR1", "--stop-timeout", "1", "bb", "sh", "-c",
		`trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done`)
	verbsWaitFor(t, func() bool { return c.Must(t, "logs", "sig") == "ready" })
	start := time.Now()
	c.Must(t, "stop", "sig")
	if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
		t.Errorf("stop with --stop-timeout 1 took %s", d)
	}
	if got := c.Must(t, "inspect", "--format", "{{.State.ExitCode}} {{.Config.StopSignal}} {{.Config.StopTimeout}}", "sig"); got != "137 10 1" {
		t.Errorf("after stop: %q, want 137 10 1", got)
	}
	if logs := c.Must(t, "logs", "sig"); !strings.Contains(logs, "got-usr1") {
		t.Errorf("stop signal not delivered: %q", logs)
	}
	// --timeout: the runtime kills the container, exit 255 as Podman.
	start = time.Now()
	runExpect(t, c, 255, "", "run", "--rm", "--network", "none", "--timeout", "1", "bb", "sleep", "10")
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("--timeout 1 took %s", d)
	}
	// --rmi removes the image after the run; an image in use stays, with
	// an error line and the container's exit code.
	c.SeedImage(t, "localhost/rmi-me:latest", testenv.ImageSpec{Files: map[string]string{"/rmi.txt": "x"}})
	auditRun(t, c, "--rmi", "localhost/rmi-me:latest", "true")
	if out := c.Must(t, "images", "--format", "{{.Repository}}"); strings.Contains(out, "rmi-me") {
		t.Errorf("--rmi left the image: %q", out)
	}
	c.SeedImage(t, "localhost/rmi-used:latest", testenv.ImageSpec{Files: map[string]string{"/used.txt": "x"}})
	c.Must(t, "create", "--name", "user", "localhost/rmi-used:latest", "true")
	if r := c.Run("run", "--rm", "--network", "none", "--rmi", "localhost/rmi-used:latest", "sh", "-c", "exit 3"); r.ExitCode != 3 || !strings.Contains(r.Stderr, "image is in use by a container") {
		t.Errorf("--rmi of an image in use: %s", r)
	}
	if out := c.Must(t, "images", "--format", "{{.Repository}}"); !strings.Contains(out, "rmi-used") {
		t.Errorf("--rmi removed an image in use: %q", out)
	}
	// run -d --rm --rmi: conmon's cleanup (exit command --rmi) removes the
	// image with the container (Podman's documented behaviour; 4.3.1 itself
	// keeps it for detached runs).
	c.SeedImage(t, "localhost/rmi-detached:latest", testenv.ImageSpec{Files: map[string]string{"/d.txt": "x"}})
	c.Must(t, "run", "-d", "--rm", "--rmi", "--network", "none", "localhost/rmi-detached:latest", "true")
	verbsWaitFor(t, func() bool {
		return !strings.Contains(c.Must(t, "images", "--format", "{{.Repository}}"), "rmi-detached")
	})

	// init: created in the runtime, not started; Podman calls it initialized.
	c.Must(t, "create", "--network", "none", "--name", "ini", "bb", "sleep", "100")
	c.Must(t, "init", "ini")
	if got := c.Must(t, "inspect", "--format", "{{.State.Status}}", "ini"); got != "initialized" {
		t.Errorf("after init: inspect %q, want initialized", got)
	}
	if got := c.Must(t, "ps", "-a", "--filter", "status=initialized", "--format", "{{.Names}} {{.Status}} {{.State}}"); got != "ini Initialized initialized" {
		t.Errorf("ps after init: %q", got)
	}
	if got := c.Must(t, "wait", "--condition", "initialized", "ini"); got != "-1" {
		t.Errorf("wait --condition initialized: %q", got)
	}
	c.Must(t, "start", "ini")
	if got := c.Must(t, "inspect", "--format", "{{.State.Status}}", "ini"); got != "running" {
		t.Errorf("start after init: %q", got)
	}
}

func TestContainerAuditVerbFlags(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	if r := c.Run("run", "--network", "none", "--name", "ex3", "-v", "auditvol:/data", "bb", "sh", "-c", "echo a; sleep 1.5; echo b; exit 3"); r.ExitCode != 3 {
		t.Fatalf("run ex3: %s", r)
	}
	c.Must(t, "run", "-d", "--network", "none", "--name", "up", "bb", "sleep", "1000")
	c.Must(t, "create", "--network", "none", "--name", "new", "bb", "true")
	names := func(args ...string) string {
		return strings.Join(recLines(c.Must(t, append(append([]string{"ps"}, args...), "--format", "{{.Names}}")...)), " ")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-a", "-n", "2"}, "up new"},
		{[]string{"-l"}, "new"},
		{[]string{"-a", "--filter", "exited=3"}, "ex3"},
		{[]string{"-a", "--filter", "exited=0"}, ""},
		{[]string{"-a", "--filter", "volume=auditvol"}, "ex3"},
		{[]string{"-a", "--filter", "volume=auditvol:/data"}, "ex3"},
		{[]string{"-a", "--filter", "volume=/data"}, ""}, // Podman 4.3: NAME-OR-SOURCE[:DEST]
		{[]string{"-a", "--filter", "network=none"}, ""}, // Podman 4.3: networks only, not modes
		{[]string{"-a", "--filter", "health=none"}, ""},  // Podman 4.3: no healthcheck, no status
		{[]string{"-a", "--filter", "health=healthy"}, ""},
		{[]string{"-a", "--filter", "status=created"}, "new"},
	} {
		if got := names(tc.args...); got != tc.want {
			t.Errorf("ps %v: %q, want %q", tc.args, got, tc.want)
		}
	}
	if out := c.Must(t, "ps", "-a", "-s", "--filter", "name=new"); !strings.Contains(out, "SIZE") || !strings.Contains(out, "(virtual ") {
		t.Errorf("ps -s: %q", out)
	}
	// logs: --since/--until at a time between the two lines written 1.5 s
	// apart; -n/--names prefix lines when several containers are given.
	ts := recLines(c.Must(t, "logs", "-t", "ex3"))
	if len(ts) != 2 {
		t.Fatalf("logs -t: %q", ts)
	}
	t0, err0 := time.Parse(time.RFC3339Nano, strings.Fields(ts[0])[0])
	t1, err1 := time.Parse(time.RFC3339Nano, strings.Fields(ts[1])[0])
	if err0 != nil || err1 != nil {
		t.Fatalf("logs -t timestamps: %v %v", err0, err1)
	}
	mid := t0.Add(t1.Sub(t0) / 2).Format(time.RFC3339Nano)
	if got := c.Must(t, "logs", "--since", mid, "ex3"); got != "b" {
		t.Errorf("logs --since %s: %q", mid, got)
	}
	if got := c.Must(t, "logs", "--until", mid, "ex3"); got != "a" {
		t.Errorf("logs --until %s: %q", mid, got)
	}
	if got := c.Must(t, "logs", "--since", "1h", "--until", "1h", "ex3"); got != "" {
		t.Errorf("logs --since 1h --until 1h: %q", got)
	}
	if got := c.Must(t, "logs", "-n", "--tail", "1", "ex3", "up"); got != "ex3 b" {
		t.Errorf("logs -n --tail 1 ex3 up: %q", got)
	}
	// wait --condition/--interval.
	c.Must(t, "create", "--network", "none", "--name", "later", "bb", "sleep", "1000")
	go func() { time.Sleep(300 * time.Millisecond); c.Run("start", "later") }()
	if got := c.Must(t, "wait", "--condition", "running", "--interval", "50ms", "later"); got != "-1" {
		t.Errorf("wait --condition running: %q", got)
	}
	// stop/kill/restart with --cidfile and --all.
	cid := filepath.Join(t.TempDir(), "cid")
	id := c.Must(t, "run", "-d", "--network", "none", "--cidfile", cid, "bb", "sleep", "1000")
	if got := c.Must(t, "stop", "-t", "0", "--cidfile", cid); got != id {
		t.Errorf("stop --cidfile: %q", got)
	}
	if got := c.Must(t, "kill", "--all"); len(recLines(got)) != 2 {
		t.Errorf("kill --all killed %q, want up and later", got)
	}
	if got := c.Must(t, "restart", "-t", "0", "--all"); len(recLines(got)) != 5 {
		t.Errorf("restart --all: %q", got)
	}
	// restart --cidfile and --filter (-f).
	rid := c.Must(t, "run", "-d", "--network", "none", "--cidfile", cid+"2", "bb", "sleep", "1000")
	if got := c.Must(t, "restart", "-t", "0", "--cidfile", cid+"2"); got != rid {
		t.Errorf("restart --cidfile: %q, want %s", got, rid)
	}
	if got := c.Must(t, "restart", "-t", "0", "-f", "id="+rid[:12]); got != rid {
		t.Errorf("restart -f id=: %q, want %s", got, rid)
	}
	c.Must(t, "rm", "-f", "-t", "0", rid)
	// rm --latest and --filter.
	last := c.Must(t, "create", "--network", "none", "--name", "newest", "bb", "true")
	if got := c.Must(t, "rm", "--latest"); got != last {
		t.Errorf("rm --latest: %q, want %s", got, last)
	}
	if got := c.Must(t, "rm", "--filter", "name=nothing-matches"); got != "" {
		t.Errorf("rm --filter with no match: %q", got)
	}
	newID := c.Must(t, "inspect", "--format", "{{.Id}}", "new")
	c.Must(t, "stop", "-t", "0", "new")
	if got := c.Must(t, "rm", "--filter", "name=^new$"); got != newID {
		t.Errorf("rm --filter name=^new$: %q, want %s", got, newID)
	}
	recFail(t, c, 125, "--filter takes no arguments", "rm", "--filter", "name=x", "up")
	recFail(t, c, 125, "--latest and containers cannot be used together", "rm", "--latest", "up")
	recFail(t, c, 125, "no arguments are needed with --all", "rm", "--all", "up")
	// Names: Podman's texts for a name held by another container or a pod.
	recFail(t, c, 125, "name ex3 already in use, cannot rename container", "rename", "up", "ex3")
	if r := c.Run("rename", "up", "ex3"); !strings.HasSuffix(strings.TrimSpace(r.Stderr), ": container already exists") {
		t.Errorf("rename onto a used name: %s", r)
	}
	c.Must(t, "pod", "create", "--infra=false", "--name", "apod")
	recFail(t, c, 125, `name "apod" is in use: pod already exists`, "create", "--name", "apod", "bb", "true")
	// inspect of a mounted overlay container: Podman's GraphDriver dirs.
	gd := strings.Fields(c.Must(t, "inspect", "--format", "{{.GraphDriver.Name}} {{.GraphDriver.Data.UpperDir}} {{.GraphDriver.Data.WorkDir}} {{.GraphDriver.Data.LowerDir}}", "up"))
	if len(gd) == 4 && gd[0] == "overlay" {
		for _, d := range append(gd[1:3], strings.Split(gd[3], ":")...) {
			if st, err := os.Stat(d); err != nil || !st.IsDir() {
				t.Errorf("GraphDriver dir %s: %v", d, err)
			}
		}
		if !strings.HasSuffix(gd[1], "/diff") || !strings.HasSuffix(gd[2], "/work") || !strings.HasSuffix(gd[3], "/diff") {
			t.Errorf("GraphDriver data: %v", gd)
		}
	} else if len(gd) == 0 || gd[0] == "overlay" {
		t.Errorf("GraphDriver of a running container: %v", gd)
	}
	// exec --env-file.
	ef := filepath.Join(t.TempDir(), "exec.env")
	if err := os.WriteFile(ef, []byte("EXECVAR=fromfile\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := c.Must(t, "exec", "--env-file", ef, "up", "sh", "-c", "echo $EXECVAR"); got != "fromfile" {
		t.Errorf("exec --env-file: %q", got)
	}
	// stats streams: several frames within 3 s at --interval 1.
	sctx, cancel := context.WithTimeout(context.Background(), 3500*time.Millisecond)
	defer cancel()
	frames, _ := c.Command(sctx, "stats", "--interval", "1", "--format", "{{.Name}} {{.PIDS}}", "up").Output()
	if n := strings.Count(string(frames), "up 1"); n < 2 {
		t.Errorf("stats streaming: %d frames in 3.5 s: %q", n, frames)
	}
	// commit --pause of a running container keeps it running.
	c.Must(t, "commit", "-q", "--pause", "up", "paused-commit")
	if st := c.Must(t, "inspect", "--format", "{{.State.Status}}", "up"); st != "running" {
		t.Errorf("after commit --pause: %s", st)
	}
}

// podmanKeys lists the JSON key paths of v (array indexes folded).
func podmanKeys(v any, prefix string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := prefix + "." + k
			out[p] = true
			if k == "Annotations" || k == "Labels" || k == "Networks" || k == "Ports" || k == "PortBindings" || k == "Data" || k == "Tmpfs" {
				continue // keys are data, not schema
			}
			podmanKeys(e, p, out)
		}
	case []any:
		for _, e := range x {
			podmanKeys(e, prefix+"[]", out)
		}
	}
}

func TestContainerAuditInspectShape(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	args := []string{"create", "--network", "none", "--name", "shape", "--stop-signal", "SIGUSR1", "--entrypoint", "/bin/sh",
		"--log-opt", "max-size=2m", "--cap-drop", "CHOWN", "bb", "-c", "true"}
	c.Must(t, args...)
	var got []map[string]any
	if err := json.Unmarshal([]byte(c.Must(t, "inspect", "shape")), &got); err != nil || len(got) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	cfg := got[0]["Config"].(map[string]any)
	if cfg["StopSignal"] != float64(10) || cfg["Entrypoint"] != "/bin/sh" || cfg["Labels"] != nil {
		t.Errorf("StopSignal %#v Entrypoint %#v Labels %#v; want 10, \"/bin/sh\", null (Podman 4.3)", cfg["StopSignal"], cfg["Entrypoint"], cfg["Labels"])
	}
	ann, _ := cfg["Annotations"].(map[string]any)
	for k, want := range map[string]string{"io.container.manager": "libpod", "io.podman.annotations.autoremove": "FALSE", "org.opencontainers.image.stopSignal": "10", "io.kubernetes.cri-o.TTY": "false"} {
		if ann[k] != want {
			t.Errorf("annotation %s = %#v, want %q", k, ann[k], want)
		}
	}
	if got := c.Must(t, "inspect", "--format", "{{.HostConfig.LogConfig.Size}} {{json .HostConfig.LogConfig.Config}}", "shape"); got != "2MB null" {
		t.Errorf("LogConfig: %q", got)
	}
	caps := c.Must(t, "inspect", "--format", "{{json .BoundingCaps}} {{json .EffectiveCaps}}", "shape")
	if strings.Contains(caps, "CAP_CHOWN") || !strings.Contains(caps, "CAP_KILL") || strings.Count(caps, "CAP_KILL") != 2 {
		t.Errorf("caps with --cap-drop CHOWN: %s", caps)
	}
	c.Must(t, "create", "--network", "none", "--name", "nonroot", "-u", "1000", "bb", "true")
	if got := c.Must(t, "inspect", "--format", "{{json .EffectiveCaps}} {{len .BoundingCaps}}", "nonroot"); !strings.HasPrefix(got, "null ") || strings.HasSuffix(got, " 0") {
		t.Errorf("non-root caps: %s", got)
	}
	if env := c.Must(t, "inspect", "--format", "{{json .Config.Env}}", "shape"); !strings.Contains(env, `"HOME=/root"`) || !strings.Contains(env, `"HOSTNAME=`) {
		t.Errorf("Env lacks HOME/HOSTNAME: %s", env)
	}

	// Same container in Podman 4.3.1 (when installed): every key Podman
	// prints, Selkie prints too.
	podman, err := exec.LookPath("podman")
	if err != nil {
		t.Skip("podman not installed: key comparison skipped")
	}
	proot, err := os.MkdirTemp("", "pd") // Podman wants a runroot under 50 characters
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = testenv.CleanupDir(proot) })
	prun := filepath.Join(proot, "run")
	conf := filepath.Join(proot, "containers.conf")
	if err := os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = []\n[engine]\nruntime = \"runc\"\n[network]\nnetwork_backend = \"netavark\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Podman creates its container in Selkie's store (the image is there);
	// Selkie sees it only as an external storage container.
	cmd := boundedCmd(2*time.Minute, podman, "--root", c.Root, "--runroot", prun, "--storage-driver", "overlay", "create", "--network", "none", "--name", "pshape",
		"--stop-signal", "SIGUSR1", "--entrypoint", "/bin/sh", "--log-opt", "max-size=2m", "--cap-drop", "CHOWN", "docker.io/library/bb:latest", "-c", "true")
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("podman create: %v\n%s", err, out)
	}
	cmd = boundedCmd(2*time.Minute, podman, "--root", c.Root, "--runroot", prun, "--storage-driver", "overlay", "inspect", "pshape")
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
	pout, err := cmd.Output()
	if err != nil {
		t.Fatalf("podman inspect: %v", err)
	}
	t.Cleanup(func() {
		cmd := boundedCmd(2*time.Minute, podman, "--root", c.Root, "--runroot", prun, "--storage-driver", "overlay", "rm", "-f", "pshape")
		cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
		_ = cmd.Run()
	})
	var pj []map[string]any
	if err := json.Unmarshal(pout, &pj); err != nil || len(pj) != 1 {
		t.Fatalf("podman inspect output: %v", err)
	}
	pk, sk := map[string]bool{}, map[string]bool{}
	podmanKeys(pj[0], "", pk)
	podmanKeys(got[0], "", sk)
	var missing []string
	for k := range pk {
		if !sk[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	// GraphDriver.Data's Lower/Upper/WorkDir are not printed (they need the
	// storage layer; MergedDir is shown once mounted).
	if len(missing) > 0 {
		t.Errorf("inspect keys Podman 4.3.1 prints and Selkie does not: %v", missing)
	}
	pcfg := pj[0]["Config"].(map[string]any)
	for _, k := range []string{"StopSignal", "Entrypoint", "StopTimeout", "Timeout", "Passwd", "Umask"} {
		if pv, sv := pcfg[k], cfg[k]; pv != sv {
			t.Errorf("Config.%s: selkie %#v, podman %#v", k, sv, pv)
		}
	}
}

func mustOutput(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(out)
}
