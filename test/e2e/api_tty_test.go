package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// TestAPITerminalSize: through the service, a -t process sees the caller's
// terminal size from its first instruction. The size must travel with the
// start (libpod: the request's ttySize; Docker: HostConfig.ConsoleSize and
// the exec start's ConsoleSize), since a resize request sent after the
// upgrade races with the start; that race lost the size every time for
// `selkie --remote run -it` and `docker run -it`.
func TestAPITerminalSize(t *testing.T) {
	if testenv.LookPath("script") == "" {
		t.Skip("script(1) not installed (bsdutils)")
	}
	hasDocker := testenv.LookPath("docker") != ""
	c := newAPICLI(t)
	c.SeedImage(t, apiImage, testenv.ImageSpec{})
	s := startService(t, c)
	c.Must(t, "run", "-d", "--name", "ttyx", "--network", "none", apiImage, "sleep", "300")
	dockerEnv := []string{"DOCKER_HOST=unix://" + s.sock, "DOCKER_CONFIG=" + filepath.Join(filepath.Dir(s.sock), "docker-config"), "DOCKER_CONTEXT="}
	remote := strings.Join([]string{c.Bin, "--url", "unix://" + s.sock}, " ")
	cases := []struct {
		name, cmdline string
		docker        bool
	}{
		// The process outlives its output by a moment: a known bug loses all
		// the output of a -it process that exits at once while input (here
		// script's end of input) reaches its terminal (conmon attach socket;
		// exec and run, local too; about 1 in 30), not the size race tested.
		{"remote run -it", remote + " run --rm -it --network none " + apiImage + " sh -c 'stty size; sleep 0.5'", false},
		{"remote exec -it", remote + " exec -it ttyx sh -c 'stty size; sleep 0.5'", false},
		{"docker run -it", "docker run --rm -it --network none " + apiImage + " sh -c 'stty size; sleep 0.5'", true},
		{"docker exec -it", "docker exec -it ttyx sh -c 'stty size; sleep 0.5'", true},
	}
	for i, tc := range cases {
		if tc.docker && !hasDocker {
			t.Logf("%s: docker CLI not installed", tc.name)
			continue
		}
		for round := 0; round < 2; round++ {
			rows, cols := 30+i, 100+round
			cmd := boundedCmd(90*time.Second, "script", "-qec", fmt.Sprintf("stty rows %d cols %d; %s", rows, cols, tc.cmdline), "/dev/null")
			cmd.Env = append(append(os.Environ(), c.Env...), dockerEnv...)
			cmd.Stdin = strings.NewReader("")
			out, err := cmd.CombinedOutput()
			if want := fmt.Sprintf("%d %d\r\n", rows, cols); err != nil || !strings.Contains(string(out), want) {
				t.Errorf("%s (round %d): %v %q, want %q", tc.name, round, err, out, want)
			}
		}
	}
}
