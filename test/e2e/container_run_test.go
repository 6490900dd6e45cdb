package e2e

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/internal/testenv"
)

// newRunCLI is a CLI with private storage holding the busybox image "bb"
// (built from spec), skipping without root, runc or conmon.
func newRunCLI(t *testing.T, spec testenv.ImageSpec) *testenv.CLI {
	t.Helper()
	testenv.RequiresRoot(t)
	testenv.RequiresBinary(t, "runc", "conmon")
	c := testenv.NewCLI(t)
	c.Timeout = 2 * time.Minute
	c.SeedImage(t, "bb", spec)
	return c
}

func runExpect(t *testing.T, c *testenv.CLI, code int, stderr string, args ...string) testenv.Result {
	t.Helper()
	r := c.Run(args...)
	if r.ExitCode != code || !strings.Contains(r.Stderr, stderr) {
		t.Fatalf("selkie %s: want exit %d and %q on stderr, got %s", strings.Join(args, " "), code, stderr, r)
	}
	return r
}

// mountsUnder counts mount points below dir.
func mountsUnder(t *testing.T, dir string) int {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && strings.HasPrefix(f[4], dir) {
			n++
		}
	}
	return n
}

func TestContainerRunExitCodes(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	if r := c.Run("run", "--rm", "bb", "echo", "hi"); r.ExitCode != 0 || r.Stdout != "hi\n" {
		t.Fatalf("run --rm bb echo hi: %s", r)
	}
	if r := c.Run("run", "--rm", "--network", "none", "bb", "sh", "-c", "echo out; echo err >&2; exit 3"); r.ExitCode != 3 || r.Stdout != "out\n" || r.Stderr != "err\n" {
		t.Fatalf("exit 3 with split streams: %s", r)
	}
	runExpect(t, c, 1, "", "run", "--rm", "bb", "false")
	runExpect(t, c, 127, "executable file not found", "run", "--rm", "bb", "no-such-command")
	runExpect(t, c, 126, "permission denied", "run", "--rm", "bb", "/etc")
	runExpect(t, c, 125, "unable to find user bogus: no matching entries in passwd file", "run", "--rm", "--user", "bogus", "bb", "true")
	runExpect(t, c, 125, "", "run", "--rm", "no-such-image-here", "true")
	runExpect(t, c, 125, "minimum memory limit allowed is 6MB", "run", "--rm", "--memory", "1b", "bb", "true")

	id := c.Must(t, "run", "-d", "bb", "sleep", "100")
	c.Must(t, "kill", strings.TrimSpace(id))
	if out := c.Must(t, "wait", strings.TrimSpace(id)); strings.TrimSpace(out) != "137" {
		t.Fatalf("wait after kill: %q, want 137", out)
	}
	c.Must(t, "rm", strings.TrimSpace(id))
	// The runtime's cgroups went with it (deleted without exec'ing runc).
	if m, _ := filepath.Glob("/sys/fs/cgroup/*/libpod_parent/libpod-" + strings.TrimSpace(id)); len(m) != 0 {
		t.Fatalf("cgroups left: %v", m)
	}
	if left, _ := os.ReadDir(filepath.Join(c.RunRoot, "selkie", "oci", "runc")); len(left) != 0 {
		t.Fatalf("runtime state left: %d", len(left))
	}
	if out := c.Must(t, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Fatalf("--rm left containers: %q", out)
	}
	if n := mountsUnder(t, c.Root); n != 0 {
		t.Fatalf("%d mounts left under %s", n, c.Root)
	}
}

func TestContainerRunDetachedLifecycle(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	script := `echo started; trap "echo got term; exit 7" TERM; while true; do sleep 0.1; done`
	id := strings.TrimSpace(c.Must(t, "run", "-d", "--name", "d1", "bb", "sh", "-c", script))
	if len(id) != 64 {
		t.Fatalf("run -d printed %q, want a 64-hex ID", id)
	}
	if st := c.Must(t, "inspect", "--format", "{{.State.Status}}", "d1"); strings.TrimSpace(st) != "running" {
		t.Fatalf("status after run -d: %q", st)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(c.Must(t, "logs", "d1"), "started") {
		if time.Now().After(deadline) {
			t.Fatal("no log output")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out := c.Must(t, "stop", "d1"); strings.TrimSpace(out) != "d1" {
		t.Fatalf("stop printed %q", out)
	}
	if out := c.Must(t, "wait", "d1"); strings.TrimSpace(out) != "7" {
		t.Fatalf("exit code after stop: %q, want 7 (the trap's)", out)
	}
	if out := c.Must(t, "logs", "d1"); out != "started\ngot term" {
		t.Fatalf("logs: %q", out)
	}
	if out := c.Must(t, "logs", "--tail", "1", "-t", "d1"); !strings.HasSuffix(out, " got term") || !strings.HasPrefix(out, "20") {
		t.Fatalf("logs --tail 1 -t: %q", out)
	}
	c.Must(t, "start", "d1")
	c.Must(t, "restart", "-t", "0", "d1")
	if st := c.Must(t, "inspect", "--format", "{{.State.Status}}", "d1"); strings.TrimSpace(st) != "running" {
		t.Fatalf("status after restart: %q", st)
	}
	c.Must(t, "stop", "-t", "0", "d1")
	runExpect(t, c, 125, "can only kill running containers", "kill", "d1")
	c.Must(t, "stop", "d1") // stopping a stopped container is fine
	c.Must(t, "rm", "d1")
	runExpect(t, c, 125, "no such container", "stop", "d1")
	c.Must(t, "stop", "--ignore", "d1")
	if n := mountsUnder(t, c.Root); n != 0 {
		t.Fatalf("%d mounts left under %s", n, c.Root)
	}
}

func TestContainerRunProcessConfig(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{Config: v1.ImageConfig{
		Env: []string{testenv.DefaultPath, "FOO=image", "KEEP=yes"}, WorkingDir: "/tmp", User: "nobody",
	}})
	out := c.Must(t, "run", "--rm", "bb", "sh", "-c", "id -u; pwd; echo $FOO $KEEP $HOME; echo $container")
	if out != "65534\n/tmp\nimage yes /nonexistent\npodman" {
		t.Fatalf("image defaults: %q", out)
	}
	out = c.Must(t, "run", "--rm", "-e", "FOO=flag", "-w", "/etc", "-u", "0:0", "--hostname", "box", "bb", "sh", "-c", "id -u; pwd; echo $FOO $KEEP; hostname; cat /etc/hostname")
	if out != "0\n/etc\nflag yes\nbox\nbox" {
		t.Fatalf("flags over image: %q", out)
	}
	// Inheritable capabilities stay empty (CVE-2022-27649), also with --cap-add ALL.
	for _, extra := range [][]string{nil, {"--cap-add", "ALL"}, {"--privileged"}} {
		args := append(append([]string{"run", "--rm", "-u", "0"}, extra...), "bb", "grep", "CapInh", "/proc/self/status")
		if out := c.Must(t, args...); !strings.Contains(out, "0000000000000000") {
			t.Fatalf("%v: %q", extra, out)
		}
	}
	// The primary group is in the supplementary list (CVE-2022-2989), as in Podman.
	if out := c.Must(t, "run", "--rm", "--user", "1000:1000", "bb", "grep", "Groups:", "/proc/self/status"); strings.Join(strings.Fields(out), " ") != "Groups: 1000" {
		t.Fatalf("--user 1000:1000 groups: %q", out)
	}
	if out := c.Must(t, "run", "--rm", "-u", "1234", "bb", "grep", "CapEff", "/proc/self/status"); !strings.Contains(out, "0000000000000000") {
		t.Fatalf("non-root user kept capabilities: %q", out)
	}
	if r := c.RunStdin(strings.NewReader("piped\n"), "run", "--rm", "-i", "bb", "cat"); r.ExitCode != 0 || r.Stdout != "piped\n" {
		t.Fatalf("run -i: %s", r)
	}
}

func TestContainerRunUlimitClamp(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "containers.conf")
	if err := os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = [\"nofile=1048576:1048576\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.Env = append(c.Env, "CONTAINERS_CONF="+conf)
	out := c.Must(t, "run", "--rm", "bb", "sh", "-c", "ulimit -Hn")
	got, err := strconv.ParseUint(strings.TrimSpace(out), 10, 64)
	if err != nil || (rl.Max < 1048576 && got != rl.Max) {
		t.Fatalf("default nofile hard limit %q, want it clamped to the caller's %d", out, rl.Max)
	}
	if out := c.Must(t, "run", "--rm", "--ulimit", "nofile=100:200", "bb", "sh", "-c", "ulimit -Sn; ulimit -Hn"); out != "100\n200" {
		t.Fatalf("--ulimit nofile=100:200: %q", out)
	}
	if rl.Max < 1<<30 {
		too := fmt.Sprint(rl.Max + 1)
		runExpect(t, c, 125, "exceeds the maximum allowed", "run", "--rm", "--ulimit", "nofile="+too+":"+too, "bb", "true")
	}
	runExpect(t, c, 125, "", "run", "--rm", "--ulimit", "bogus=1", "bb", "true")
}

func TestContainerRunConcurrent(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	stop := make(chan struct{})
	psErr := make(chan error, 1)
	go func() {
		defer close(psErr)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if r := c.Run("ps", "-a"); r.ExitCode != 0 {
				psErr <- fmt.Errorf("ps during runs: %s", r)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan string, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := c.Run("run", "--rm", "--network", "none", "bb", "echo", fmt.Sprint("n", i))
			if r.ExitCode != 0 || r.Stdout != fmt.Sprintf("n%d\n", i) {
				errs <- r.String()
			}
		}(i)
	}
	wg.Wait()
	close(stop)
	close(errs)
	for e := range errs {
		t.Error("concurrent run:", e)
	}
	if err := <-psErr; err != nil {
		t.Error(err)
	}
	if out := c.Must(t, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Fatalf("left over: %q", out)
	}
}

// kill -9 of selkie at any moment of `run` leaves a store where ps works,
// every container is in a valid state, and rm -f removes it all.
func TestContainerRunKilledMidway(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	for _, delay := range []time.Duration{5, 20, 40, 60, 90, 130, 200} {
		cmd := exec.Command(c.Bin, c.Args("run", "--rm", "--network", "none", "bb", "sleep", "0.2")...)
		cmd.Env = append(os.Environ(), c.Env...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	out := c.Must(t, "ps", "-a", "--format", "{{.ID}} {{.Status}}")
	for _, l := range recLines(out) {
		f := strings.Fields(l)
		if len(f) < 2 || !(f[1] == "Created" || f[1] == "Initialized" || f[1] == "Exited" || f[1] == "Up") {
			t.Fatalf("invalid state line %q", l)
		}
	}
	c.Must(t, "rm", "-a", "-f")
	if out := c.Must(t, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Fatalf("rm -af left %q", out)
	}
	// Nothing left in the runtime either (no orphaned `runc init`).
	if left, _ := os.ReadDir(filepath.Join(c.RunRoot, "selkie", "oci", "runc")); len(left) != 0 {
		t.Fatalf("runtime still knows %d containers after rm -af", len(left))
	}
	deadline := time.Now().Add(5 * time.Second)
	for mountsUnder(t, c.Root) != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := mountsUnder(t, c.Root); n != 0 {
		t.Fatalf("%d mounts left under %s", n, c.Root)
	}
	// The store still works.
	if r := c.Run("run", "--rm", "bb", "true"); r.ExitCode != 0 {
		t.Fatalf("run after kills: %s", r)
	}
}

// conmon killed with -9: stop and rm -f still work, without hanging.
func TestContainerConmonKilled(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	c.Must(t, "run", "-d", "--name", "victim", "bb", "sleep", "1000")
	pid := strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.State.ConmonPid}}", "victim"))
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 0 {
		t.Fatalf("conmon pid %q", pid)
	}
	if err := syscall.Kill(n, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.Must(t, "stop", "-t", "1", "victim")
	if time.Since(start) > 20*time.Second {
		t.Fatalf("stop took %v", time.Since(start))
	}
	c.Must(t, "rm", "-f", "victim")
	c.Must(t, "run", "-d", "--name", "victim2", "bb", "sleep", "1000")
	pid = strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.State.ConmonPid}}", "victim2"))
	n, _ = strconv.Atoi(pid)
	_ = syscall.Kill(n, syscall.SIGKILL)
	c.Must(t, "rm", "-f", "victim2")
	if n := mountsUnder(t, c.Root); n != 0 {
		t.Fatalf("%d mounts left under %s", n, c.Root)
	}
}

// A wiped run root (a reboot) leaves containers not running, and start works again.
func TestContainerRunRootWiped(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	c.Must(t, "run", "-d", "--name", "boot", "bb", "sleep", "1000")
	pid := strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.State.Pid}} {{.State.ConmonPid}}", "boot"))
	// "Reboot": kill the processes, drop the mounts and the run root.
	for _, p := range strings.Fields(pid) {
		if n, _ := strconv.Atoi(p); n > 0 {
			_ = syscall.Kill(n, syscall.SIGKILL)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if err := testenv.CleanupDir(c.RunRoot); err != nil {
		t.Fatal(err)
	}
	if err := testenv.CleanupDir(c.Root); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(c.RunRoot); err != nil {
		t.Fatal(err)
	}
	st := strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.State.Status}}", "boot"))
	if st == "running" {
		t.Fatalf("status after reboot: %q", st)
	}
	c.Must(t, "start", "boot")
	if st := strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.State.Status}}", "boot")); st != "running" {
		t.Fatalf("status after start: %q", st)
	}
	c.Must(t, "rm", "-f", "-t", "0", "boot")
}

// Hostile images: /dev as a symlink to a host directory (runc < 1.3.6
// would create device links there, security.md B11) and /etc/passwd as a
// link to /dev/zero or a FIFO (a lookup would hang or eat memory, B9).
func TestContainerRunHostileImages(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	bb, err := testenv.BusyboxPath()
	if err != nil {
		t.Skip(err)
	}
	bin, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	probe := t.TempDir()
	base := []tarEntry{
		{name: "bin/", typ: tar.TypeDir},
		{name: "bin/busybox", body: string(bin), typ: tar.TypeReg},
		{name: "bin/true", link: "busybox", typ: tar.TypeSymlink},
		{name: "bin/id", link: "busybox", typ: tar.TypeSymlink},
		{name: "etc/", typ: tar.TypeDir},
	}
	cases := []struct {
		name  string
		extra []tarEntry
		args  []string
		want  string
	}{
		{"dev", []tarEntry{{name: "dev", link: probe, typ: tar.TypeSymlink}}, []string{"/bin/true"}, "/dev in image is a symlink"},
		{"zero", []tarEntry{{name: "etc/passwd", link: "/dev/zero", typ: tar.TypeSymlink}}, []string{"--user", "nobody", "/bin/id"}, "unable to find user nobody"},
		{"fifo", []tarEntry{{name: "etc/passwd", typ: tar.TypeFifo}}, []string{"--user", "nobody", "/bin/id"}, "not a regular file"},
	}
	for _, tc := range cases {
		arch := filepath.Join(t.TempDir(), "evil.tar")
		writeDockerArchive(t, arch, "localhost/evil:"+tc.name, [][]byte{layerTar(t, append(append([]tarEntry(nil), base...), tc.extra...))})
		c.Must(t, "load", "-q", "-i", arch)
		args := append([]string{"run", "--rm"}, tc.args[:len(tc.args)-1]...)
		args = append(args, "localhost/evil:"+tc.name, tc.args[len(tc.args)-1])
		start := time.Now()
		runExpect(t, c, 125, tc.want, args...)
		if d := time.Since(start); d > 30*time.Second {
			t.Fatalf("%s: took %v", tc.name, d)
		}
		if entries, _ := os.ReadDir(probe); len(entries) != 0 {
			t.Fatalf("%s: host probe dir written: %v", tc.name, entries)
		}
	}
	// /etc/hosts and /etc/resolv.conf as links to host files (B10): the
	// generated files are mounted inside the rootfs; the host files stay as they are.
	probeFile := filepath.Join(probe, "hosts")
	if err := os.WriteFile(probeFile, []byte("original\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	arch := filepath.Join(t.TempDir(), "links.tar")
	writeDockerArchive(t, arch, "localhost/evil:links", [][]byte{execLayer(t, bin, map[string]string{
		"etc/hosts": probeFile, "etc/resolv.conf": probeFile, "etc/hostname": probeFile,
	})})
	c.Must(t, "load", "-q", "-i", arch)
	if r := c.Run("run", "--rm", "localhost/evil:links", "/bin/sh", "-c", "echo pwned >> /etc/hosts; echo pwned >> /etc/resolv.conf; cat /etc/hosts"); r.ExitCode != 0 || strings.Contains(r.Stdout, "original") {
		t.Fatalf("run with /etc links: %s", r)
	}
	if data, _ := os.ReadFile(probeFile); string(data) != "original\n" {
		t.Fatalf("host file behind the image's /etc/hosts link changed: %q", data)
	}
	if n := mountsUnder(t, c.Root); n != 0 {
		t.Fatalf("%d mounts left under %s", n, c.Root)
	}
}

func TestContainerRunTerminalInitLogs(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	// -t on a real terminal (script(1) gives the command a PTY).
	if testenv.LookPath("script") != "" {
		cmdline := strings.Join(append([]string{c.Bin}, c.Args("run", "--rm", "-it", "bb", "sh", "-c", "tty; echo $TERM")...), " ")
		cmd := boundedCmd(90*time.Second, "script", "-qec", cmdline, "/dev/null")
		cmd.Env = append(os.Environ(), c.Env...)
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "/dev/pts/0") || !strings.Contains(string(out), "xterm") {
			t.Fatalf("run -it under a PTY: %v\n%q", err, out)
		}
	}
	// --init runs catatonit as PID 1.
	if _, err := os.Stat("/usr/libexec/podman/catatonit"); err == nil {
		if out := c.Must(t, "run", "--rm", "--init", "bb", "cat", "/proc/1/cmdline"); !strings.Contains(out, "/run/podman-init") {
			t.Fatalf("--init: PID 1 is %q", out)
		}
	}
	// logs -f follows until the container exits.
	c.Must(t, "run", "-d", "--name", "lf", "bb", "sh", "-c", "echo a; sleep 1; echo b")
	if out := c.Must(t, "logs", "-f", "lf"); out != "a\nb" {
		t.Fatalf("logs -f: %q", out)
	}
	// start -a attaches and returns the exit code.
	c.Must(t, "create", "--name", "sa", "bb", "sh", "-c", "echo attached; exit 4")
	if r := c.Run("start", "-a", "sa"); r.ExitCode != 4 || r.Stdout != "attached\n" {
		t.Fatalf("start -a: %s", r)
	}
	// The passthrough log driver hands selkie's own stdio to the container.
	if r := c.Run("run", "--rm", "--log-driver", "passthrough", "bb", "echo", "direct"); r.ExitCode != 0 || r.Stdout != "direct\n" {
		t.Fatalf("passthrough: %s", r)
	}
	// on-failure:2 restarts twice, then stays exited.
	c.Must(t, "run", "-d", "--name", "rp", "--restart", "on-failure:2", "bb", "sh", "-c", "exit 3")
	deadline := time.Now().Add(30 * time.Second)
	for {
		out := c.Must(t, "inspect", "--format", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}", "rp")
		if out == "exited 2 3" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("restart policy: %q", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestContainerRunResourcesSecurity(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	out := c.Must(t, "run", "--rm", "--memory", "64m", "--pids-limit", "100", "--cpu-shares", "512", "bb", "sh", "-c",
		"cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max")
	if !strings.Contains(out, "67108864") || !strings.Contains(out, "100") {
		t.Fatalf("cgroup limits inside the container: %q", out)
	}
	if out := c.Must(t, "run", "--rm", "bb", "cat", "/sys/fs/cgroup/pids/pids.max"); out != "2048" {
		t.Fatalf("default pids limit: %q", out)
	}
	runExpect(t, c, 1, "Read-only file system", "run", "--rm", "--read-only", "bb", "touch", "/etc/x")
	c.Must(t, "run", "--rm", "--read-only", "bb", "touch", "/tmp/x", "/run/x", "/var/tmp/x")
	c.Must(t, "run", "--rm", "--tmpfs", "/scratch", "bb", "touch", "/scratch/x")
	if out := c.Must(t, "run", "--rm", "--device", "/dev/null:/dev/mynull", "bb", "sh", "-c", "echo x > /dev/mynull && echo ok"); out != "ok" {
		t.Fatalf("--device: %q", out)
	}
	if out := c.Must(t, "run", "--rm", "--security-opt", "no-new-privileges", "bb", "grep", "NoNewPrivs", "/proc/self/status"); !strings.HasSuffix(out, "1") {
		t.Fatalf("no-new-privileges: %q", out)
	}
	if out := c.Must(t, "run", "--rm", "bb", "grep", "Seccomp:", "/proc/self/status"); !strings.HasSuffix(out, "2") {
		t.Fatalf("default seccomp filter not applied: %q", out)
	}
	if out := c.Must(t, "run", "--rm", "--security-opt", "seccomp=unconfined", "bb", "grep", "Seccomp:", "/proc/self/status"); !strings.HasSuffix(out, "0") {
		t.Fatalf("seccomp=unconfined: %q", out)
	}
	if out := c.Must(t, "run", "--rm", "--oom-score-adj", "500", "bb", "cat", "/proc/self/oom_score_adj"); out != "500" {
		t.Fatalf("--oom-score-adj: %q", out)
	}
	// -w /proc/self/fd/N must never give the host's mount namespace (CVE-2024-21626).
	for n := 3; n <= 8; n++ {
		r := c.Run("run", "--rm", "-w", fmt.Sprintf("/proc/self/fd/%d", n), "bb", "cat", "../../../etc/hostname")
		if host, _ := os.ReadFile("/etc/hostname"); r.ExitCode == 0 && strings.TrimSpace(r.Stdout) == strings.TrimSpace(string(host)) && len(host) > 0 {
			t.Fatalf("fd %d leaked the host's root: %s", n, r)
		}
	}
	// An OOM kill is reported (conmon's persist dir), and conmon itself
	// survives it: it is not in the container's memory cgroup (R8).
	c.Must(t, "run", "-d", "--name", "oom", "--memory", "32m", "bb", "sh", "-c", "x=$(head -c 209715200 /dev/zero | tr '\\0' a); sleep 100")
	if out := c.Must(t, "wait", "oom"); out != "137" {
		t.Fatalf("OOM-killed container exit code %q", out)
	}
	// The record is updated by conmon's cleanup, which may still be running.
	for deadline := time.Now().Add(10 * time.Second); ; {
		out := c.Must(t, "inspect", "--format", "{{.State.OOMKilled}}", "oom")
		if out == "true" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("OOMKilled = %q", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := os.Stat("oom"); err == nil {
		os.Remove("oom")
		t.Fatal("conmon wrote its OOM marker into selkie's working directory")
	}
	// crun refuses hybrid cgroups: asking for it says so and how to fix it.
	if _, err := os.Stat("/sys/fs/cgroup/unified"); err == nil && testenv.LookPath("crun") != "" {
		runExpect(t, c, 125, "--runtime runc", "--runtime", "crun", "run", "--rm", "bb", "true")
	}
}

func TestContainerAttachDetach(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	testenv.RequiresBinary(t, "script")
	c.Must(t, "run", "-d", "-it", "--name", "att", "bb", "sh")
	// Type a command, then ctrl-p ctrl-q: attach returns 0, the container runs on.
	cmdline := strings.Join(append([]string{c.Bin}, c.Args("attach", "att")...), " ")
	cmd := exec.Command("script", "-qec", cmdline, "/dev/null")
	cmd.Env = append(os.Environ(), c.Env...)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = pr
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	time.Sleep(500 * time.Millisecond)
	fmt.Fprint(pw, "echo attached-$((40+2))\n")
	time.Sleep(500 * time.Millisecond)
	fmt.Fprint(pw, "\x10\x11")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("attach: %v\n%q", err, out.String())
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("attach did not detach:\n%q", out.String())
	}
	pw.Close()
	if !strings.Contains(out.String(), "attached-42") {
		t.Fatalf("attach output: %q", out.String())
	}
	if st := c.Must(t, "inspect", "--format", "{{.State.Status}}", "att"); st != "running" {
		t.Fatalf("after detach: %q", st)
	}
	c.Must(t, "rm", "-f", "-t", "0", "att")
	// -d --rm: removed once it exits on its own, and after stop.
	c.Must(t, "run", "-d", "--rm", "bb", "true")
	c.Must(t, "run", "-d", "--rm", "--name", "dr", "bb", "sleep", "100")
	c.Must(t, "stop", "-t", "0", "dr")
	deadline := time.Now().Add(10 * time.Second)
	for c.Must(t, "ps", "-a", "-q") != "" {
		if time.Now().After(deadline) {
			t.Fatalf("-d --rm containers left: %s", c.Must(t, "ps", "-a"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// execLayer is a layer with an executable busybox (as /bin/sh) plus the
// given symlinks (path -> target).
func execLayer(t *testing.T, busybox []byte, links map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	write := func(h *tar.Header, body []byte) {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if body != nil {
			if _, err := tw.Write(body); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(&tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755}, nil)
	write(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}, nil)
	write(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(busybox))}, busybox)
	for _, a := range []string{"sh", "cat"} {
		write(&tar.Header{Name: "bin/" + a, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777}, nil)
	}
	for name, target := range links {
		write(&tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}, nil)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
