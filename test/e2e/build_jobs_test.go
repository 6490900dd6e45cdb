package e2e

import (
	"strings"
	"testing"
	"time"
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
