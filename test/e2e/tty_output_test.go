package e2e

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// ttyOutputRuns is how many times each -it case runs: the output loss it
// guards against showed about once in 12-30 runs.
func ttyOutputRuns() int {
	if n, err := strconv.Atoi(os.Getenv("SELKIE_TTY_RUNS")); err == nil && n > 0 {
		return n
	}
	return 40
}

// TestTTYOutputPipedStdin: a -i -t process that exits at once while piped
// input reaches its terminal keeps all its output, for run and exec (a
// regression: ~1 run in 30, 1 exec in 12 printed nothing).
func TestTTYOutputPipedStdin(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	n := ttyOutputRuns()
	lost := 0
	for i := 0; i < n; i++ {
		r := c.RunStdin(strings.NewReader("x"), "run", "--rm", "-i", "-t", "--network", "none", "bb", "echo", "hi")
		if r.ExitCode != 0 {
			t.Fatalf("run %d: %s", i, r)
		}
		if !strings.Contains(r.Stdout, "hi") {
			lost++
			t.Errorf("run -it %d: output lost: %q", i, r.Stdout)
		}
	}
	c.Must(t, "run", "-d", "--name", "ttyctr", "--network", "none", "bb", "sleep", "1000")
	for i := 0; i < n; i++ {
		r := c.RunStdin(strings.NewReader("x"), "exec", "-i", "-t", "ttyctr", "echo", "hi")
		if r.ExitCode != 0 {
			t.Fatalf("exec %d: %s", i, r)
		}
		if !strings.Contains(r.Stdout, "hi") {
			lost++
			t.Errorf("exec -it %d: output lost: %q", i, r.Stdout)
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d -it runs lost their output", lost, 2*n)
	}
}
