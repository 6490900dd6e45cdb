package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

const recImage = "localhost/bb:latest"

func newRecordsCLI(t *testing.T) *testenv.CLI {
	t.Helper()
	testenv.RequiresRoot(t)
	c := testenv.NewCLI(t)
	c.SeedImage(t, recImage, testenv.ImageSpec{})
	return c
}

func recLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// recFail runs args, wants exit code and a one-line stderr containing want.
func recFail(t *testing.T, c *testenv.CLI, code int, want string, args ...string) {
	t.Helper()
	r := c.Run(args...)
	if r.ExitCode != code || !strings.Contains(r.Stderr, want) {
		t.Errorf("selkie %s: want exit %d and %q; got %s", strings.Join(args, " "), code, want, r)
		return
	}
	if n := len(recLines(r.Stderr)); n != 1 {
		t.Errorf("selkie %s: %d lines of stderr, want 1: %q", strings.Join(args, " "), n, r.Stderr)
	}
}

func TestContainerRecordsLifecycle(t *testing.T) {
	c := newRecordsCLI(t)
	id := c.Must(t, "create", "--name", "web", "-e", "X=1", "--label", "tier=front", "--restart", "on-failure:2",
		"-p", "127.0.0.1:8080:80", recImage, "sleep", "100")
	if len(id) != 64 {
		t.Fatalf("id %q", id)
	}
	id2 := c.Must(t, "create", recImage, "true")

	// ps hides created containers unless -a
	if out := c.Must(t, "ps", "-q"); out != "" {
		t.Errorf("ps -q without -a: %q", out)
	}
	ps := c.Must(t, "ps", "-a")
	rows := recLines(ps)
	if len(rows) != 3 || !strings.HasPrefix(rows[0], "CONTAINER ID  IMAGE") || !strings.Contains(rows[1], id[:12]) ||
		!strings.Contains(rows[1], "Created") || !strings.Contains(rows[1], "127.0.0.1:8080->80/tcp") || !strings.HasSuffix(rows[1], "web") {
		t.Errorf("ps -a:\n%s", ps)
	}
	if got := c.Must(t, "ps", "-aq", "--no-trunc"); got != id+"\n"+id2 {
		t.Errorf("ps -aq --no-trunc = %q", got)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(c.Must(t, "ps", "-a", "--format", "json")), &list); err != nil || len(list) != 2 {
		t.Fatalf("ps json: %v %d", err, len(list))
	}
	if list[0]["Id"] != id || list[0]["State"] != "created" || list[0]["Status"] != "Created" {
		t.Errorf("ps json row: %v", list[0])
	}
	for filter, want := range map[string]string{
		"name=web": id[:12], "name=^w.b$": id[:12], "label=tier=front": id[:12], "label=tier": id[:12],
		"status=created": id[:12] + "\n" + id2[:12], "id=" + id2[:6]: id2[:12], "status=running": "",
		"ancestor=" + recImage: id[:12] + "\n" + id2[:12], "label=tier=back": "", "since=web": id2[:12], "before=" + id2[:12]: id[:12],
	} {
		if got := c.Must(t, "ps", "-aq", "--filter", filter); got != want {
			t.Errorf("--filter %s = %q, want %q", filter, got, want)
		}
	}
	if got := c.Must(t, "ps", "-a", "--format", "{{.Names}} {{.State}} {{.Image}}", "--filter", "name=web"); got != "web created "+recImage {
		t.Errorf("template: %q", got)
	}
	recFail(t, c, 125, "unknown container state: bogus", "ps", "-a", "--filter", "status=bogus")
	recFail(t, c, 125, "foo is an invalid filter", "ps", "-a", "--filter", "foo=bar")

	// inspect from the record
	got := c.Must(t, "container", "inspect", "--format",
		"{{.Name}}|{{.State.Status}}|{{.Config.Labels.tier}}|{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}|{{.Path}}|{{index .Args 0}}|{{.Image}}|{{.ImageName}}", id[:8])
	if !strings.HasPrefix(got, "web|created|front|on-failure:2|sleep|100|") || !strings.HasSuffix(got, "|"+recImage) {
		t.Errorf("inspect: %q", got)
	}
	var insp []map[string]any
	if err := json.Unmarshal([]byte(c.Must(t, "container", "inspect", "web")), &insp); err != nil || len(insp) != 1 {
		t.Fatalf("inspect json: %v", err)
	}
	cfg := insp[0]["Config"].(map[string]any)
	if !strings.Contains(fmt.Sprint(cfg["Env"]), "X=1") || !strings.Contains(fmt.Sprint(cfg["CreateCommand"]), "--name web") {
		t.Errorf("inspect Config: %v", cfg)
	}
	if insp[0]["Id"] != id {
		t.Errorf("inspect Id %v", insp[0]["Id"])
	}

	// names: in use, rename, exists
	recFail(t, c, 125, `the container name "web" is already in use by `+id, "create", "--name", "web", recImage, "true")
	c.Must(t, "rename", "web", "api")
	recFail(t, c, 125, "inspecting object: no such container web", "container", "inspect", "web")
	if r := c.Run("container", "exists", "api"); r.ExitCode != 0 {
		t.Errorf("exists api: %s", r)
	}
	if r := c.Run("container", "exists", "web"); r.ExitCode != 1 || r.Stderr != "" {
		t.Errorf("exists web: %s", r)
	}
	c.Must(t, "create", "--name", "web", recImage, "true") // old name is free again
	recFail(t, c, 125, "already in use", "rename", "web", "api")
	recFail(t, c, 125, "names must match", "rename", "web", "bad/name")

	// rm: by name prints the name; unknown gives 1; rm -f unknown is silent
	if out := c.Must(t, "rm", "api"); out != "api" {
		t.Errorf("rm printed %q", out)
	}
	recFail(t, c, 1, `no container with name or ID "api" found: no such container`, "rm", "api")
	if r := c.Run("rm", "-f", "api"); r.ExitCode != 0 || r.Stdout != "" {
		t.Errorf("rm -f missing: %s", r)
	}
	// storage container went with the record
	if out := c.Must(t, "ps", "-aq", "--external", "--no-trunc"); strings.Contains(out, id) {
		t.Errorf("storage container of %s left behind: %q", id, out)
	}
	// prune removes the rest and prints their IDs
	out := c.Must(t, "container", "prune", "-f")
	if len(recLines(out)) != 2 || !strings.Contains(out, id2) {
		t.Errorf("prune printed %q", out)
	}
	if out := c.Must(t, "ps", "-aq", "--external"); out != "" {
		t.Errorf("after prune: %q", out)
	}

	// --cidfile, --replace
	cid := filepath.Join(t.TempDir(), "cid")
	first := c.Must(t, "create", "--cidfile", cid, "--name", "rep", recImage, "true")
	if data, _ := os.ReadFile(cid); string(data) != first {
		t.Errorf("cidfile holds %q, want %q", data, first)
	}
	recFail(t, c, 125, "container id file exists. Ensure another container is not using it or delete "+cid, "create", "--cidfile", cid, recImage, "true")
	second := c.Must(t, "create", "--replace", "--name", "rep", recImage, "true")
	if got := c.Must(t, "ps", "-aq", "--no-trunc"); got != second || second == first {
		t.Errorf("--replace: ps shows %q (first %s, second %s)", got, first, second)
	}
	recFail(t, c, 125, "cannot replace container without --name being set", "create", "--replace", recImage, "true")
	os.WriteFile(cid, []byte(second), 0o644)
	if out := c.Must(t, "rm", "--cidfile", cid); out != second {
		t.Errorf("rm --cidfile printed %q", out)
	}
}

func TestContainerRecordsBadInput(t *testing.T) {
	c := newRecordsCLI(t)
	c.Must(t, "create", "--name", "taken", recImage, "true")
	cases := []struct {
		want string
		args []string
	}{
		{"names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument", []string{"create", "--name", "a/b", recImage}},
		{"names must match", []string{"create", "--name", "-x", recImage}},
		{"is already in use by", []string{"create", "--name", "taken", recImage}},
		{"invalid value for memory: invalid size: 'lots'", []string{"create", "--memory", "lots", recImage}},
		{"invalid ulimit type: bogus", []string{"create", "--ulimit", "bogus=1:2", recImage}},
		{"port numbers must be between 1 and 65535", []string{"create", "-p", "99999", recImage}},
		{"invalid container path \"rel\", must be an absolute path", []string{"create", "-v", "/tmp:rel", recImage}},
		{"is not a valid restart policy", []string{"create", "--restart", "sometimes", recImage}},
		{"invalid signal: NOPE", []string{"create", "--stop-signal", "NOPE", recImage}},
		{"localhost/nonexistent:1: image not known", []string{"create", "--pull", "never", "localhost/nonexistent:1", "true"}},
		{`no container with name or ID "ghost" found: no such container`, []string{"rename", "ghost", "x"}},
		{"inspecting object: no such container ghost", []string{"container", "inspect", "ghost"}},
		{"invalid argument \"bogus\" for \"--sort\" flag", []string{"ps", "--sort", "bogus"}},
	}
	for _, tc := range cases {
		recFail(t, c, 125, tc.want, tc.args...)
	}
	// nothing half-made by the failures
	if out := c.Must(t, "ps", "-a", "--external", "--format", "{{.Names}}"); out != "taken" {
		t.Errorf("leftovers after bad input: %q", out)
	}
	// a name longer than anything sane, and hostile text, are just names or errors
	long := strings.Repeat("a", 300)
	if r := c.Run("create", "--name", long, recImage, "true"); r.ExitCode != 0 {
		t.Errorf("long name: %s", r)
	}
	recFail(t, c, 125, "inspecting object: no such container %", "container", "inspect", "%")
	recFail(t, c, 1, `no container with name or ID "_" found: no such container`, "rm", "_")
	recFail(t, c, 1, `no container with name or ID "t%" found: no such container`, "rm", "t%")
	recFail(t, c, 125, "reading CIDFile: open /nonexistent/x: no such file or directory", "rm", "--cidfile", "/nonexistent/x")
}

// TestContainerRecordsConcurrent: 10 create processes at once on one store
// while ps runs in a loop; nothing may fail and every container is listed.
func TestContainerRecordsConcurrent(t *testing.T) {
	c := newRecordsCLI(t)
	stop := make(chan struct{})
	var psErrs []string
	var psRuns int
	var mu sync.Mutex
	var psWG sync.WaitGroup
	psWG.Add(1)
	go func() {
		defer psWG.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			r := c.Run("ps", "-a", "--format", "{{.ID}} {{.Names}}")
			mu.Lock()
			psRuns++
			if r.ExitCode != 0 {
				psErrs = append(psErrs, r.String())
			}
			mu.Unlock()
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan string, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := c.Run("create", "--name", fmt.Sprintf("par%d", i), recImage, "true")
			if r.ExitCode != 0 {
				errs <- r.String()
			}
		}(i)
	}
	wg.Wait()
	close(stop)
	psWG.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("create: %s", e)
	}
	for _, e := range psErrs {
		t.Errorf("ps during creates: %s", e)
	}
	if got := len(recLines(c.Must(t, "ps", "-aq"))); got != 10 {
		t.Errorf("%d containers, want 10", got)
	}
	t.Logf("ps ran %d times during the creates", psRuns)
	// and 10 concurrent removals of the same containers
	var rmWG sync.WaitGroup
	for i := 0; i < 10; i++ {
		rmWG.Add(1)
		go func(i int) {
			defer rmWG.Done()
			if r := c.Run("rm", "-f", fmt.Sprintf("par%d", i), fmt.Sprintf("par%d", (i+1)%10)); r.ExitCode != 0 {
				t.Errorf("rm: %s", r)
			}
		}(i)
	}
	rmWG.Wait()
	if out := c.Must(t, "ps", "-aq", "--external"); out != "" {
		t.Errorf("left after concurrent rm: %q", out)
	}

	// one name, six processes: exactly one wins
	var nameWG sync.WaitGroup
	results := make(chan testenv.Result, 6)
	for i := 0; i < 6; i++ {
		nameWG.Add(1)
		go func() {
			defer nameWG.Done()
			results <- c.Run("create", "--name", "contested", recImage, "true")
		}()
	}
	nameWG.Wait()
	close(results)
	wins := 0
	for r := range results {
		switch {
		case r.ExitCode == 0:
			wins++
		case r.ExitCode != 125 || !strings.Contains(r.Stderr, `the container name "contested" is already in use`):
			t.Errorf("loser: %s", r)
		}
	}
	if wins != 1 {
		t.Errorf("%d creates of one name succeeded", wins)
	}
	if out := c.Must(t, "ps", "-a", "--external", "--format", "{{.Names}}"); out != "contested" {
		t.Errorf("after the contest: %q", out)
	}
}

// TestContainerRecordsKillDuringCreate kills `create` with SIGKILL at
// random moments; the store must stay consistent and rm -f must clean it.
func TestContainerRecordsKillDuringCreate(t *testing.T) {
	c := newRecordsCLI(t)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for i := 0; i < 12; i++ {
		cmd := exec.Command(c.Bin, c.Args("create", "--name", fmt.Sprintf("k%d", i), recImage, "true")...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Intn(60)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		r := c.Run("ps", "-a", "--format", "{{.Names}} {{.State}}")
		if r.ExitCode != 0 {
			t.Fatalf("ps after kill #%d: %s", i, r)
		}
		for _, l := range recLines(r.Stdout) {
			if !strings.HasSuffix(l, " created") && !strings.HasSuffix(l, " removing") {
				t.Errorf("invalid state after kill: %q", l)
			}
		}
	}
	// every record can be removed, and then nothing is left in storage
	for _, id := range recLines(c.Must(t, "ps", "-aq")) {
		c.Must(t, "rm", "-f", id)
	}
	if out := c.Must(t, "ps", "-aq", "--external"); out != "" {
		// a create killed between the storage and the record step would
		// leave a storage-only container; Selkie writes the record first.
		t.Errorf("storage containers without a record: %q", out)
	}
	// names are reusable
	for i := 0; i < 12; i++ {
		c.Must(t, "create", "--name", fmt.Sprintf("k%d", i), recImage, "true")
	}
	// and rm killed half-way leaves something the next rm finishes
	for i := 0; i < 12; i++ {
		cmd := exec.Command(c.Bin, c.Args("rm", fmt.Sprintf("k%d", i))...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Intn(60)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		if r := c.Run("ps", "-a"); r.ExitCode != 0 {
			t.Fatalf("ps after killed rm: %s", r)
		}
	}
	for _, id := range recLines(c.Must(t, "ps", "-aq")) {
		c.Must(t, "rm", id)
	}
	if out := c.Must(t, "ps", "-aq", "--external"); out != "" {
		t.Errorf("left after killed rms: %q", out)
	}
}

// TestContainerRecordsRunning covers the record side of running containers:
// ps status strings, rm refusing a running one (exit 2), rm -f, --depend,
// and a process killed behind Selkie's back showing as exited.
func TestContainerRecordsRunning(t *testing.T) {
	testenv.RequiresBinary(t, "runc", "conmon")
	c := newRecordsCLI(t)
	id := c.Must(t, "run", "-d", "--network", "none", "--name", "up", recImage, "sleep", "1000")
	if got := c.Must(t, "ps", "--format", "{{.Names}} {{.State}} {{.Status}}"); !strings.HasPrefix(got, "up running Up ") || !strings.HasSuffix(got, " ago") {
		t.Errorf("ps running: %q", got)
	}
	if got := c.Must(t, "ps", "-q", "--filter", "status=running"); got != id[:12] {
		t.Errorf("status=running: %q", got)
	}
	recFail(t, c, 2, "cannot remove container "+id+" as it is running - running or paused containers cannot be removed without force: container state improper", "rm", "up")
	c.Must(t, "create", "--name", "dep", "--network", "container:up", recImage, "true")
	recFail(t, c, 125, "has dependent containers which must be removed before it", "rm", "-f", "up")
	start := time.Now()
	out := c.Must(t, "rm", "-f", "-t", "0", "--depend", "up")
	if len(recLines(out)) != 2 || !strings.Contains(out, id) {
		t.Errorf("rm --depend printed %q", out)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("rm -f -t 0 took %s", d)
	}
	if out := c.Must(t, "ps", "-aq", "--external"); out != "" {
		t.Errorf("left after rm -f: %q", out)
	}

	// created in the runtime (init) but never started: rm needs no -f and
	// leaves no conmon behind
	c.Must(t, "create", "--network", "none", "--name", "inited", recImage, "sleep", "1000")
	c.Must(t, "init", "inited")
	conmon, _ := strconv.Atoi(c.Must(t, "container", "inspect", "--format", "{{.State.ConmonPid}}", "inited"))
	if out := c.Must(t, "rm", "inited"); out != "inited" {
		t.Errorf("rm of an initialized container printed %q", out)
	}
	if conmon > 0 {
		deadline := time.Now().Add(5 * time.Second)
		for syscall.Kill(conmon, 0) == nil && !isZombie(conmon) {
			if time.Now().After(deadline) {
				t.Errorf("conmon %d of the removed container still runs", conmon)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// killed outside Selkie: ps must not say Up for long
	c.Must(t, "run", "-d", "--network", "none", "--name", "victim", recImage, "sleep", "1000")
	pid := c.Must(t, "container", "inspect", "--format", "{{.State.Pid}}", "victim")
	n, _ := strconv.Atoi(pid)
	if n <= 0 {
		t.Fatalf("pid %q", pid)
	}
	if err := syscall.Kill(n, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := c.Must(t, "ps", "-a", "--format", "{{.State}} {{.Status}}", "--filter", "name=victim")
		if strings.HasPrefix(got, "exited Exited (137)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ps after kill: %q", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.Must(t, "rm", "victim")
}

// TestContainerRecordsReboot wipes the run root (what a reboot does to the
// tmpfs): a running container must show as created afterwards, start again,
// and be removable.
func TestContainerRecordsReboot(t *testing.T) {
	testenv.RequiresBinary(t, "runc", "conmon")
	c := newRecordsCLI(t)
	c.Must(t, "run", "-d", "--network", "none", "--name", "survivor", recImage, "sleep", "1000")
	if r := c.Run("run", "--network", "none", "--name", "done", recImage, "sh", "-c", "exit 4"); r.ExitCode != 4 {
		t.Fatalf("run exit 4: %s", r)
	}
	// "power off": every process and mount of this store goes away, and so
	// does the run root.
	if err := testenv.CleanupDir(c.RunRoot); err != nil {
		t.Fatal(err)
	}
	if err := testenv.CleanupDir(c.Root); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(c.RunRoot); err != nil {
		t.Fatal(err)
	}
	got := c.Must(t, "ps", "-a", "--format", "{{.Names}} {{.Status}}")
	if got != "survivor Created\ndone Exited (4) Less than a second ago" && !strings.HasPrefix(got, "survivor Created\ndone Exited (4)") {
		t.Errorf("after reboot:\n%s", got)
	}
	if r := c.Run("start", "survivor"); r.ExitCode != 0 {
		t.Fatalf("start after reboot: %s", r)
	}
	if got := c.Must(t, "ps", "--format", "{{.Names}} {{.State}}"); got != "survivor running" {
		t.Errorf("ps after restart: %q", got)
	}
	c.Must(t, "rm", "-f", "-t", "0", "survivor", "done")
	if out := c.Must(t, "ps", "-aq", "--external"); out != "" {
		t.Errorf("left: %q", out)
	}
}

// TestContainerRecordsExternal: a storage container made by another tool
// (Podman here, standing in for Buildah) is listed by ps --external, seen by
// exists --external, and removed by rm, as Podman does.
func TestContainerRecordsExternal(t *testing.T) {
	testenv.RequiresBinary(t, "podman")
	testenv.RequiresRoot(t)
	c := testenv.NewCLI(t)
	// Podman refuses run roots longer than 50 characters.
	short, err := os.MkdirTemp("", "skr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Run("rm", "-af", "-t", "0")
		testenv.CleanupDir(short)
		os.RemoveAll(short)
	})
	c.RunRoot = short
	c.SeedImage(t, recImage, testenv.ImageSpec{})
	pod := boundedCmd(2*time.Minute, "podman", "--root", c.Root, "--runroot", c.RunRoot, "--storage-driver", "overlay",
		"create", "--name", "foreign", "--network", "none", recImage, "true")
	if out, err := pod.CombinedOutput(); err != nil {
		t.Skipf("podman create on the test store: %v\n%s", err, out)
	}
	mine := c.Must(t, "create", "--name", "mine", recImage, "true")
	got := c.Must(t, "ps", "-a", "--external", "--format", "{{.Names}} {{.State}}")
	if got != "foreign storage\nmine created" {
		t.Errorf("ps --external:\n%s", got)
	}
	if got := c.Must(t, "ps", "-a", "--format", "{{.Names}}"); got != "mine" {
		t.Errorf("ps without --external: %q", got)
	}
	if r := c.Run("container", "exists", "foreign"); r.ExitCode != 1 {
		t.Errorf("exists without --external: %s", r)
	}
	if r := c.Run("container", "exists", "--external", "foreign"); r.ExitCode != 0 {
		t.Errorf("exists --external: %s", r)
	}
	recFail(t, c, 125, `the container name "foreign" is already in use by a storage container`, "create", "--name", "foreign", recImage, "true")
	c.Must(t, "rm", "foreign")
	if got := c.Must(t, "ps", "-a", "--external", "-q", "--no-trunc"); got != mine {
		t.Errorf("after rm of the external container: %q", got)
	}
}

func isZombie(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(data), ')')
	return i > 0 && len(data) > i+2 && data[i+2] == 'Z'
}
