// Package e2e is Selkie's black-box suite: it drives the selkie binary (see
// testenv.Binary) against real runc, conmon, docker-registry and busybox
// images built offline, each test with private storage (testenv.NewCLI).
// A missing component skips the tests that need it, with the reason.
package e2e

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/selkie-containers/selkie/internal/testenv"
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Fprintln(os.Stderr, "e2e: skipped in -short mode")
		os.Exit(0)
	}
	var missing []string
	for _, b := range []string{"runc", "conmon", "docker-registry", "skopeo"} {
		if testenv.LookPath(b) == "" {
			missing = append(missing, b)
		}
	}
	if _, err := testenv.BusyboxPath(); err != nil {
		missing = append(missing, "busybox-static")
	}
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "e2e: not installed: %v; tests needing them skip (run hack/install-deps.sh)\n", missing)
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "e2e: not root; tests needing root skip")
	}
	code := m.Run()
	testenv.RemoveBuiltBinary()
	os.Exit(code)
}
