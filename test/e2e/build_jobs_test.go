package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// TestBuildJobs: with --jobs 2 two independent stages that each sleep run
// at once (clearly faster than --jobs 1), the output stays whole
// prefixed lines, and the image has the same content; a failing stage
// stops the build with its RUN's exit status and leaves no containers.
func TestBuildJobs(t *testing.T) {
	c := buildCLI(t)
	// Stages a and b meet through a shared cache mount: each writes its
	// marker and waits (bounded) for the other's, so the build succeeds
	// only when they run at the same time. No wall-clock comparison.
	sync := "sync-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	meet := func(me, other string) string {
		return "RUN --mount=type=cache,id=" + sync + ",target=/sync touch /sync/" + me + " && i=0; while [ ! -e /sync/" + other + " ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done; test -e /sync/" + other + " && echo from-" + me + " > /" + me + ".txt"
	}
	cf := "FROM localhost/busybox AS a\n" + meet("a", "b") + "\nFROM localhost/busybox AS b\n" + meet("b", "a") + `
FROM localhost/busybox
COPY --from=a /a.txt /a.txt
COPY --from=b /b.txt /b.txt
CMD ["cat", "/a.txt", "/b.txt"]
`
	ctx := buildContext(t, map[string]string{"Containerfile": cf})
	r := c.Run("build", "--no-cache", "--jobs", "2", "-t", "jobs2", ctx)
	if r.ExitCode != 0 {
		t.Fatalf("build --jobs 2 (stages a and b must run at once): %v", r)
	}
	for _, want := range []string{"[1/3] STEP 1/2: FROM localhost/busybox AS a", "[2/3] STEP 1/2: FROM localhost/busybox AS b", "[3/3] STEP 3/4: COPY --from=b /b.txt /b.txt", "[3/3] COMMIT jobs2"} {
		if !strings.Contains(r.Stdout, want+"\n") {
			t.Errorf("--jobs 2: no whole line %q in:\n%s", want, r.Stdout)
		}
	}
	for _, l := range strings.Split(r.Stdout, "\n") {
		if i := strings.Index(l, "STEP "); i > 0 && !strings.HasPrefix(l, "[") {
			t.Errorf("--jobs 2: broken line %q", l)
		}
	}
	if out := c.Must(t, "run", "--rm", "jobs2"); out != "from-a\nfrom-b" {
		t.Errorf("jobs2: content %q", out)
	}
	// --jobs 1 builds the stages one after the other.
	seq := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox AS a\nRUN echo from-a > /a.txt\nFROM localhost/busybox AS b\nRUN echo from-b > /b.txt\nFROM localhost/busybox\nCOPY --from=a /a.txt /a.txt\nCOPY --from=b /b.txt /b.txt\nCMD [\"cat\", \"/a.txt\", \"/b.txt\"]\n"})
	r = c.Run("build", "--no-cache", "--jobs", "1", "-t", "jobs1", seq)
	if r.ExitCode != 0 || strings.Index(r.Stdout, "[2/3] STEP 1/2") < strings.Index(r.Stdout, "[1/3] STEP 2/2") {
		t.Errorf("--jobs 1: %v", r)
	}
	if out := c.Must(t, "run", "--rm", "jobs1"); out != "from-a\nfrom-b" {
		t.Errorf("jobs1: content %q", out)
	}
	ctx = seq
	// --jobs 0 is no limit.
	if r := c.Run("build", "--jobs", "0", "-t", "jobs0", ctx); r.ExitCode != 0 {
		t.Errorf("--jobs 0: %v", r)
	}
	mustFail(t, c, 125, "invalid value for jobs", "build", "--jobs", "-1", ctx)
	// A failing stage cancels the other one and the build.
	bad := buildContext(t, map[string]string{"Containerfile": `FROM localhost/busybox AS a
RUN sleep 300
FROM localhost/busybox AS b
RUN sleep 0.5; exit 3
FROM localhost/busybox
COPY --from=a /etc/passwd /a
COPY --from=b /etc/passwd /b
`})
	start := time.Now()
	r = c.Run("build", "--no-cache", "--jobs", "2", bad)
	if r.ExitCode != 3 || !strings.Contains(r.Stderr, "exit status 3") {
		t.Errorf("failing stage: %v", r)
	}
	if d := time.Since(start); d > 150*time.Second { // the other stage sleeps 300 s
		t.Errorf("the failure did not stop the other stage: %s", d)
	}
	noContainersLeft(t, c)
}

// TestBuildKilled: a build killed with SIGKILL leaves its RUN step's
// container (labelled as a build step) running; ps -a --external lists
// it and rm -f removes it with its process.
func TestBuildKilled(t *testing.T) {
	c := buildCLI(t)
	ctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nWORKDIR /new/dir\nRUN echo started; sleep 341\n"})
	ids := killedBuild(t, c, ctx)
	if out := c.Must(t, "ps", "-a", "-q", "--filter", "label=io.selkie.build-step=true"); out == "" {
		t.Errorf("the step's container is not labelled as a build step")
	}
	c.Must(t, append([]string{"rm", "-f"}, ids...)...)
	noContainersLeft(t, c)
	if ps, _ := exec.Command("pgrep", "-f", "sleep 341").Output(); len(ps) > 0 {
		t.Errorf("RUN process left after rm -f: %s", ps)
	}
	// Once stopped, container prune removes it too.
	ids = killedBuild(t, c, ctx)
	c.Must(t, append([]string{"stop", "-t", "0"}, ids...)...)
	c.Must(t, "container", "prune", "-f")
	noContainersLeft(t, c)
}

// killedBuild starts a build of ctx, SIGKILLs it once its RUN printed
// "started", and returns the containers left (ps -a --external).
func killedBuild(t *testing.T, c *testenv.CLI, ctx string) []string {
	t.Helper()
	cmd := c.Command(context.Background(), "build", "--no-cache", ctx)
	outPath := filepath.Join(t.TempDir(), "out")
	outFile, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer outFile.Close()
	cmd.Stdout, cmd.Stderr = outFile, outFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	output := func() string { data, _ := os.ReadFile(outPath); return string(data) }
	deadline := time.Now().Add(3 * time.Minute)
	// The RUN's own output line (the STEP line also holds the word).
	for !strings.Contains(output(), "\nstarted\n") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if !strings.Contains(output(), "\nstarted\n") {
		t.Fatalf("the RUN step never started: %s", output())
	}
	ids := strings.Fields(c.Must(t, "ps", "-a", "-q", "--external"))
	if len(ids) == 0 {
		t.Fatalf("no container left by the killed build in ps -a --external")
	}
	return ids
}
