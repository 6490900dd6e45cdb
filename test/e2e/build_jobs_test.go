package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
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
	cf := `FROM localhost/busybox AS a
RUN sleep 2 && echo from-a > /a.txt
FROM localhost/busybox AS b
RUN sleep 2 && echo from-b > /b.txt
FROM localhost/busybox
COPY --from=a /a.txt /a.txt
COPY --from=b /b.txt /b.txt
CMD ["cat", "/a.txt", "/b.txt"]
`
	ctx := buildContext(t, map[string]string{"Containerfile": cf})
	timed := func(jobs, tag string) (time.Duration, bool) {
		start := time.Now()
		r := c.Run("build", "--no-cache", "--jobs", jobs, "-t", tag, ctx)
		d := time.Since(start)
		if r.ExitCode != 0 {
			t.Errorf("build --jobs %s: %v", jobs, r)
			return d, false
		}
		for _, want := range []string{"[1/3] STEP 1/2: FROM localhost/busybox AS a", "[2/3] STEP 2/2: RUN sleep 2 && echo from-b > /b.txt", "[3/3] STEP 3/4: COPY --from=b /b.txt /b.txt", "[3/3] COMMIT " + tag} {
			if !strings.Contains(r.Stdout, want+"\n") {
				t.Errorf("--jobs %s: no whole line %q in:\n%s", jobs, want, r.Stdout)
			}
		}
		for _, l := range strings.Split(r.Stdout, "\n") {
			if i := strings.Index(l, "STEP "); i > 0 && !strings.HasPrefix(l, "[") {
				t.Errorf("--jobs %s: broken line %q", jobs, l)
			}
		}
		return d, true
	}
	d1, ok1 := timed("1", "jobs1")
	d2, ok2 := timed("2", "jobs2")
	t.Logf("--jobs 1: %s, --jobs 2: %s", d1, d2)
	if ok1 && ok2 && d2 >= d1*8/10 {
		t.Errorf("--jobs 2 took %s, not clearly less than --jobs 1 (%s)", d2, d1)
	}
	for _, tag := range []string{"jobs1", "jobs2"} {
		if out := c.Must(t, "run", "--rm", tag); out != "from-a\nfrom-b" {
			t.Errorf("%s: content %q", tag, out)
		}
	}
	// --jobs 0 is no limit.
	if r := c.Run("build", "--jobs", "0", "-t", "jobs0", ctx); r.ExitCode != 0 {
		t.Errorf("--jobs 0: %v", r)
	}
	mustFail(t, c, 125, "invalid value for jobs", "build", "--jobs", "-1", ctx)
	// A failing stage cancels the other one and the build.
	bad := buildContext(t, map[string]string{"Containerfile": `FROM localhost/busybox AS a
RUN sleep 30
FROM localhost/busybox AS b
RUN sleep 0.5; exit 3
FROM localhost/busybox
COPY --from=a /etc/passwd /a
COPY --from=b /etc/passwd /b
`})
	start := time.Now()
	r := c.Run("build", "--no-cache", "--jobs", "2", bad)
	if r.ExitCode != 3 || !strings.Contains(r.Stderr, "exit status 3") {
		t.Errorf("failing stage: %v", r)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the failure did not stop the other stage: %s", d)
	}
	noContainersLeft(t, c)
}

// TestBuildKilled: a build killed with SIGKILL leaves its RUN step's
// container (labelled as a build step) running; ps -a --external lists
// it and rm -f removes it with its process.
func TestBuildKilled(t *testing.T) {
	c := buildCLI(t)
	ctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nWORKDIR /new/dir\nRUN echo started; sleep 41\n"})
	ids := killedBuild(t, c, ctx)
	if out := c.Must(t, "ps", "-a", "-q", "--filter", "label=io.selkie.build-step=true"); out == "" {
		t.Errorf("the step's container is not labelled as a build step")
	}
	c.Must(t, append([]string{"rm", "-f"}, ids...)...)
	noContainersLeft(t, c)
	if ps, _ := exec.Command("pgrep", "-f", "sleep 41").Output(); len(ps) > 0 {
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
	deadline := time.Now().Add(30 * time.Second)
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
