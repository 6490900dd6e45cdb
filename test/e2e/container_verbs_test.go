package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// verbsCLI is a private store holding the busybox image "bb" and one
// running container "v" (sleep), for the exec/top/stats/… verbs.
func verbsCLI(t *testing.T) *testenv.CLI {
	t.Helper()
	testenv.RequiresRoot(t)
	testenv.RequiresBinary(t, "runc", "conmon")
	c := testenv.NewCLI(t)
	c.Timeout = 2 * time.Minute
	c.SeedImage(t, "bb", testenv.ImageSpec{})
	c.Must(t, "run", "-d", "--name", "v", "--network", "none", "bb", "sleep", "1000")
	return c
}

func wantRun(t *testing.T, r testenv.Result, code int, stdout, stderr string) {
	t.Helper()
	if r.ExitCode != code || !strings.Contains(r.Stdout, stdout) || !strings.Contains(r.Stderr, stderr) {
		t.Fatalf("want exit %d, stdout containing %q, stderr containing %q; got %s", code, stdout, stderr, r)
	}
}

func TestContainerVerbsExec(t *testing.T) {
	c := verbsCLI(t)
	wantRun(t, c.Run("exec", "v", "sh", "-c", "echo out; echo err >&2; exit 3"), 3, "out\n", "err\n")
	if got := c.Must(t, "exec", "-w", "/tmp", "-u", "tester", "-e", "FOO=bar", "v", "sh", "-c", "pwd; id -u; echo $FOO"); got != "/tmp\n1000\nbar" {
		t.Fatalf("exec -w -u -e: %q", got)
	}
	if r := c.RunStdin(strings.NewReader("from stdin\n"), "exec", "-i", "v", "cat"); r.ExitCode != 0 || r.Stdout != "from stdin\n" {
		t.Fatalf("exec -i: %s", r)
	}
	if r := c.RunStdin(strings.NewReader("ignored\n"), "exec", "v", "cat"); r.ExitCode != 0 || r.Stdout != "" {
		t.Fatalf("exec without -i must not read stdin: %s", r)
	}
	// A terminal is allocated even when selkie's own stdin is not one.
	if out := c.Must(t, "exec", "-t", "v", "tty"); !strings.HasPrefix(out, "/dev/pts/") {
		t.Fatalf("exec -t tty: %q", out)
	}
	// security.md R3: no inheritable capabilities through exec, privileged or not;
	// --privileged gets every capability the caller has.
	for _, args := range [][]string{{"exec", "v"}, {"exec", "--privileged", "v"}} {
		out := c.Must(t, append(args, "grep", "-E", "CapInh|CapEff", "/proc/self/status")...)
		if !strings.Contains(out, "CapInh:\t0000000000000000") {
			t.Fatalf("%v: %s", args, out)
		}
		if args[1] == "--privileged" && strings.Contains(out, "CapEff:\t00000000800405fb") {
			t.Fatalf("--privileged kept the default capabilities: %s", out)
		}
	}
	// Runtime start errors: Podman's exit codes, and only selkie's error line.
	r := c.Run("exec", "v", "/nonexistent")
	wantRun(t, r, 127, "", "not found")
	if n := strings.Count(r.Stderr, "exec failed"); n != 1 {
		t.Fatalf("runtime error printed %d times:\n%s", n, r.Stderr)
	}
	wantRun(t, c.Run("exec", "v", "/etc"), 126, "", "permission denied")
	wantRun(t, c.Run("exec", "nosuch", "true"), 125, "", "no such container")
	wantRun(t, c.Run("exec", "-u", "nobody-here", "v", "true"), 125, "", "unable to find user nobody-here")

	// Concurrent sessions from separate processes all succeed.
	results := make(chan testenv.Result, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			results <- c.Run("exec", "v", "sh", "-c", "echo "+strconv.Itoa(i)+"; exit "+strconv.Itoa(i))
		}(i)
	}
	for i := 0; i < 8; i++ {
		r := <-results
		if strings.TrimSpace(r.Stdout) != strconv.Itoa(r.ExitCode) {
			t.Fatalf("concurrent exec: %s", r)
		}
	}

	// Detached: prints the session ID, the process shows up in top.
	id := c.Must(t, "exec", "-d", "v", "sleep", "999")
	if len(id) != 64 {
		t.Fatalf("exec -d printed %q", id)
	}
	verbsWaitFor(t, func() bool { return strings.Contains(c.Must(t, "top", "v", "args"), "sleep 999") })

	// Exec into a container that is not running.
	c.Must(t, "create", "--name", "stopped", "bb", "true")
	wantRun(t, c.Run("exec", "stopped", "true"), 125, "", "can only create exec sessions on running containers: container state improper")

	// CVE-2024-21626 shape: a cwd through a leaked fd never reaches the host.
	for n := 3; n <= 8; n++ {
		r := c.Run("exec", "-w", "/proc/self/fd/"+strconv.Itoa(n), "v", "ls", "../../../")
		if strings.Contains(r.Stdout, "work") || strings.Contains(r.Stdout, "lost+found") {
			t.Fatalf("exec -w /proc/self/fd/%d listed the host:\n%s", n, r)
		}
	}
}

func verbsWaitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("condition not met in 5s")
}

func TestContainerVerbsTop(t *testing.T) {
	c := verbsCLI(t)
	out := c.Must(t, "top", "v")
	lines := strings.Split(out, "\n")
	if len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "USER PID PPID %CPU ELAPSED TTY TIME COMMAND" {
		t.Fatalf("top header/rows:\n%s", out)
	}
	if f := strings.Fields(lines[1]); f[0] != "root" || f[1] != "1" || f[2] != "0" || f[5] != "?" || !strings.HasSuffix(lines[1], "sleep 1000") {
		t.Fatalf("top row %q", lines[1])
	}
	if out := c.Must(t, "top", "v", "pid,comm", "huser"); !strings.Contains(out, "PID") || !strings.Contains(out, "sleep") || !strings.Contains(out, "HUSER") {
		t.Fatalf("top descriptors:\n%s", out)
	}
	wantRun(t, c.Run("top", "v", "bogus"), 125, "", "unknown descriptor")
	c.Must(t, "create", "--name", "stopped", "bb", "true")
	wantRun(t, c.Run("top", "stopped"), 125, "", "top can only be used on running containers")

	// security.md R6/B9: a hostile /etc/passwd (a FIFO) neither blocks top
	// nor is followed; top execs nothing from the container (no ps there).
	c.Must(t, "exec", "v", "sh", "-c", "rm /etc/passwd /bin/ps && mkfifo /etc/passwd")
	done := make(chan testenv.Result, 1)
	go func() { done <- c.Run("top", "v", "user", "pid") }()
	select {
	case r := <-done:
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "0 ") {
			t.Fatalf("top with a FIFO passwd: %s", r)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("top blocked on a FIFO /etc/passwd")
	}
}

func TestContainerVerbsStatsPauseUpdate(t *testing.T) {
	c := verbsCLI(t)
	var stats []map[string]string
	if err := json.Unmarshal([]byte(c.Must(t, "stats", "--no-stream", "--format", "json", "v")), &stats); err != nil || len(stats) != 1 {
		t.Fatalf("stats json: %v %v", stats, err)
	}
	s := stats[0]
	if s["name"] != "v" || s["pids"] != "1" || strings.HasPrefix(s["mem_usage"], "0B") || !strings.HasSuffix(s["cpu_percent"], "%") {
		t.Fatalf("implausible stats %v", s)
	}
	out := c.Must(t, "stats", "--no-stream", "v")
	if !strings.HasPrefix(out, "ID") || !strings.Contains(out, "MEM USAGE / LIMIT") || !strings.Contains(out, " v ") {
		t.Fatalf("stats table:\n%s", out)
	}
	if got := c.Must(t, "stats", "--no-stream", "--format", "{{.Name}} {{.PIDS}}", "v"); got != "v 1" {
		t.Fatalf("stats template: %q", got)
	}

	c.Must(t, "pause", "v")
	if st := c.Must(t, "inspect", "--format", "{{.State.Status}}", "v"); st != "paused" {
		t.Fatalf("after pause: %q", st)
	}
	wantRun(t, c.Run("pause", "v"), 125, "", "is already paused")
	c.Must(t, "unpause", "v")
	wantRun(t, c.Run("unpause", "v"), 125, "", "is not paused, can't unpause")
	if st := c.Must(t, "inspect", "--format", "{{.State.Status}}", "v"); st != "running" {
		t.Fatalf("after unpause: %q", st)
	}
	c.Must(t, "exec", "v", "true")

	c.Must(t, "update", "--memory", "256m", "--pids-limit", "50", "v")
	if got := c.Must(t, "inspect", "--format", "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}", "v"); got != "268435456 50" {
		t.Fatalf("inspect after update: %q", got)
	}
	if got := c.Must(t, "exec", "v", "sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max"); got != "268435456" {
		t.Fatalf("memory limit seen in the container: %q", got)
	}
	wantRun(t, c.Run("update", "--memory", "1k", "v"), 125, "", "minimum memory limit")
}

func TestContainerVerbsDiffExportCommit(t *testing.T) {
	c := verbsCLI(t)
	c.Must(t, "exec", "v", "sh", "-c", "echo committed > /newfile && rm /bin/ls && ln -s /etc/shadow /evil && ln -s ../../../../../etc/shadow /evil2")
	diff := c.Must(t, "diff", "v")
	for _, l := range []string{"A /newfile", "A /evil", "D /bin/ls", "C /bin"} {
		if !strings.Contains(diff+"\n", l+"\n") {
			t.Fatalf("diff lacks %q:\n%s", l, diff)
		}
	}
	if strings.Contains(diff, "/proc") || strings.Contains(diff, "/etc/hosts") {
		t.Fatalf("diff shows runtime mount points:\n%s", diff)
	}
	var dj struct{ Added, Deleted []string }
	if err := json.Unmarshal([]byte(c.Must(t, "diff", "--format", "json", "v")), &dj); err != nil || len(dj.Added) != 3 || dj.Added[2] != "/newfile" || len(dj.Deleted) != 1 {
		t.Fatalf("diff json %+v %v", dj, err)
	}

	out := filepath.Join(t.TempDir(), "v.tar")
	c.Must(t, "export", "-o", out, "v")
	files := exportedFiles(t, out)
	if files["newfile"] != "committed\n" {
		t.Fatalf("export lacks /newfile (has %d entries)", len(files))
	}
	if _, ok := files["bin/ls"]; ok {
		t.Fatal("export has the deleted /bin/ls")
	}
	if _, ok := files["bin/busybox"]; !ok {
		t.Fatal("export lacks /bin/busybox")
	}
	// security.md B5: symlinks are archived as links, never followed to the host.
	for _, l := range []string{"evil", "evil2"} {
		if v, ok := files[l]; !ok || v != "" {
			t.Fatalf("export of symlink %s: present %v, content %q", l, ok, v)
		}
	}

	id := c.Must(t, "commit", "-q", "--change", "CMD=/bin/cat /newfile", "--change", "ENV COMMITTED=yes", "v", "committed")
	if len(id) != 64 {
		t.Fatalf("commit printed %q", id)
	}
	if out := c.Must(t, "images", "--format", "{{.Repository}}:{{.Tag}}"); !strings.Contains(out, "localhost/committed:latest") {
		t.Fatalf("images after commit:\n%s", out)
	}
	if skopeo := testenv.LookPath("skopeo"); skopeo != "" {
		// containers/image (Podman, Skopeo) reads the committed image back
		// from the shared store, verifying every layer against its digest.
		out, err := boundedCmd(3*time.Minute, skopeo, "copy", "--quiet", "--policy", c.PolicyPath,
			c.StorageRef("localhost/committed:latest"), "oci:"+t.TempDir()+":x").CombinedOutput()
		if err != nil {
			t.Fatalf("skopeo copy of the committed image: %v\n%s", err, out)
		}
	}
	if got := c.Must(t, "run", "--rm", "committed"); got != "committed" {
		t.Fatalf("run of the committed image (CMD from --change): %q", got)
	}
	if got := c.Must(t, "run", "--rm", "committed", "sh", "-c", "echo $COMMITTED; ls /bin/ls 2>&1; true"); !strings.HasPrefix(got, "yes\n") || !strings.Contains(got, "No such file") {
		t.Fatalf("committed image content/env: %q", got)
	}
	c.Must(t, "commit", "-q", "--squash", "--format", "docker", "--author", "me", "-m", "msg", "v", "squashed")
	if got := c.Must(t, "run", "--rm", "squashed", "cat", "/newfile"); got != "committed" {
		t.Fatalf("squashed image: %q", got)
	}
	wantRun(t, c.Run("commit", "--change", "BOGUS x", "v", "bad"), 125, "", "invalid change")
	wantRun(t, c.Run("commit", "--format", "zip", "v", "bad"), 125, "", "unrecognized image type")
}

func exportedFiles(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if h.Typeflag == tar.TypeReg && h.Size < 1<<20 {
			io.Copy(&b, tr)
		}
		out[strings.TrimPrefix(h.Name, "./")] = b.String()
	}
}

func TestContainerVerbsMountPort(t *testing.T) {
	testenv.RequiresRoot(t)
	c := testenv.NewCLI(t)
	c.Timeout = 2 * time.Minute
	c.SeedImage(t, "bb", testenv.ImageSpec{})
	c.Must(t, "create", "--name", "m", "-p", "8080:80", "-p", "9000-9001:90-91/udp", "bb", "true")
	p := c.Must(t, "mount", "m")
	if _, err := os.Stat(filepath.Join(p, "bin/busybox")); err != nil {
		t.Fatalf("mounted rootfs: %v", err)
	}
	if out := c.Must(t, "mount"); !strings.Contains(out, p) {
		t.Fatalf("mount lists %q, want %s", out, p)
	}
	c.Must(t, "umount", "m")
	if _, err := os.Stat(filepath.Join(p, "bin/busybox")); err == nil {
		t.Fatal("rootfs still mounted after umount")
	}
	if out := c.Must(t, "mount"); strings.Contains(out, p) {
		t.Fatalf("mount still lists it: %q", out)
	}
	if got := c.Must(t, "port", "m"); got != "80/tcp -> 0.0.0.0:8080\n90/udp -> 0.0.0.0:9000\n91/udp -> 0.0.0.0:9001" {
		t.Fatalf("port: %q", got)
	}
	if got := c.Must(t, "port", "m", "91/udp"); got != "0.0.0.0:9001" {
		t.Fatalf("port 91/udp: %q", got)
	}
	wantRun(t, c.Run("port", "m", "81"), 125, "", "failed to find published port")
}

// TestContainerVerbsExportSymlinkRace is security.md B5 (CVE-2023-0778): while
// export walks the rootfs, the container keeps swapping /x between a
// directory holding a file and a symlink to the host's /. The tar is made in
// a chroot, so whatever it catches, it never holds a host file's content.
func TestContainerVerbsExportSymlinkRace(t *testing.T) {
	c := verbsCLI(t)
	canary := filepath.Join(t.TempDir(), "canary")
	secret := "host-secret-" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(canary, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	c.Must(t, "exec", "-d", "v", "sh", "-c",
		"while :; do mkdir -p /x; echo inside > /x/f; rm -rf /x; ln -sfn / /x; rm -f /x; done")
	out := filepath.Join(t.TempDir(), "e.tar")
	for i := 0; i < 15; i++ {
		c.Must(t, "export", "-o", out, "v")
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(secret)) {
			t.Fatalf("export %d contains the host canary %s", i, canary)
		}
		for name, content := range exportedFiles(t, out) {
			if strings.HasPrefix(name, "x/") && content != "" && content != "inside\n" {
				t.Fatalf("export %d: %s has %q", i, name, content)
			}
		}
	}
}

// TestContainerVerbsExecDetachedExitCode: a detached session runs under
// conmon, which records its exit code after selkie has exited; exec inspect
// (Docker's GET /exec/{id}/json) reports it.
func TestContainerVerbsExecDetachedExitCode(t *testing.T) {
	c := verbsCLI(t)
	id := c.Must(t, "exec", "-d", "v", "sh", "-c", "sleep 0.5; exit 7")
	svc := startService(t, c)
	hc := svc.httpClient()
	var got struct {
		Running  bool
		ExitCode int
	}
	for i := 0; i < 100; i++ {
		resp, err := hc.Get("http://d/v1.41/exec/" + id + "/json")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !got.Running {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got.Running || got.ExitCode != 7 {
		t.Fatalf("exec inspect: %+v, want exited with 7", got)
	}
}

// TestContainerVerbsExecDetachKeys: an interactive terminal session runs
// under conmon, so typing the detach keys (ctrl-p,ctrl-q) leaves the process
// running in the container, as with Podman.
func TestContainerVerbsExecDetachKeys(t *testing.T) {
	c := verbsCLI(t)
	script := testenv.LookPath("script")
	if script == "" {
		t.Skip("needs script(1) for a terminal")
	}
	var quoted []string
	for _, a := range append([]string{c.Bin}, c.Args("exec", "-it", "v", "sh", "-c", "echo started; exec sleep 4242")...) {
		quoted = append(quoted, "'"+a+"'")
	}
	line := strings.Join(quoted, " ")
	cmd := exec.Command(script, "-qec", line, "/dev/null")
	// An *os.File as stdin: exec.Cmd then copies nothing, so Wait does not
	// wait for our end of the pipe to close.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	cmd.Stdin = pr
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(1500 * time.Millisecond)
		pw.Write([]byte{0x10, 0x11}) // ctrl-p ctrl-q
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(out.String(), "started") {
			t.Fatalf("exec -it: %v\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("exec -it did not detach:\n%s", out.String())
	}
	pw.Close()
	if top := c.Must(t, "top", "v", "args"); !strings.Contains(top, "sleep 4242") {
		t.Fatalf("process gone after detaching:\n%s", top)
	}
}

// TestContainerVerbsExecSessionsExpire: ended sessions older than five
// minutes are dropped on the next exec instead of piling up.
func TestContainerVerbsExecSessionsExpire(t *testing.T) {
	c := verbsCLI(t)
	c.Must(t, "exec", "v", "true")
	id := c.Must(t, "inspect", "--format", "{{.Id}}", "v")
	exits, err := filepath.Glob(filepath.Join(c.RunRoot, "selkie", "containers", id, "exec-*", "exit", id))
	if err != nil || len(exits) != 1 {
		t.Fatalf("exit files of ended sessions: %v %v", exits, err)
	}
	old := time.Now().Add(-10 * time.Minute)
	if err := os.Chtimes(exits[0], old, old); err != nil {
		t.Fatal(err)
	}
	c.Must(t, "exec", "v", "true")
	if _, err := os.Stat(exits[0]); !os.IsNotExist(err) {
		t.Fatalf("expired session still on disk: %v", err)
	}
	if n := strings.Count(c.Must(t, "inspect", "--format", "{{json .ExecIDs}}", "v"), ","); n != 0 {
		t.Fatalf("expected one exec session left, inspect lists %d+1", n)
	}
}
