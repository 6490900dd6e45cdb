package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// save shows copy progress only as Podman does: to a file (-o), from a
// terminal, without -q. Not a terminal, or -q: nothing on stderr.
func TestImageSaveProgress(t *testing.T) {
	c := newImageCLI(t)
	c.pullArchive(t, "bb:1")
	dir := t.TempDir()
	r := c.Run("save", "-o", filepath.Join(dir, "plain.tar"), "bb:1")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stderr) != "" {
		t.Fatalf("save to a file, stderr not a terminal: want silence, got %s", r)
	}
	if testenv.LookPath("script") == "" {
		t.Skip("script (util-linux) not installed: no terminal to test progress on")
	}
	onTTY := func(args ...string) string {
		t.Helper()
		cmdline := "stty rows 40 cols 120; " + strings.Join(append([]string{c.Bin}, c.Args(args...)...), " ")
		cmd := boundedCmd(90*time.Second, "script", "-qec", cmdline, "/dev/null")
		cmd.Env = append(os.Environ(), c.Env...)
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("selkie %s on a terminal: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	out := onTTY("save", "-o", filepath.Join(dir, "tty.tar"), "bb:1")
	for _, want := range []string{"Copying blob", "Copying config", "Writing manifest to image destination"} {
		if !strings.Contains(out, want) {
			t.Errorf("save on a terminal: no %q in\n%q", want, out)
		}
	}
	if out := onTTY("save", "-q", "-o", filepath.Join(dir, "quiet.tar"), "bb:1"); strings.Contains(out, "Copying") {
		t.Errorf("save -q on a terminal printed progress: %q", out)
	}
	// The archives are the same whatever was shown.
	a, _ := os.ReadFile(filepath.Join(dir, "plain.tar"))
	b, _ := os.ReadFile(filepath.Join(dir, "tty.tar"))
	if len(a) == 0 || string(a) != string(b) {
		t.Errorf("archives differ: %d and %d bytes", len(a), len(b))
	}
}
