// Package e2e is Selkie's black-box suite: it drives the selkie binary (see
// testenv.Binary) against real runc, conmon, docker-registry and busybox
// images built offline, each test with private storage (testenv.NewCLI).
// A missing component skips the tests that need it, with the reason.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/network"
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
	// Every temp dir of the run (t.TempDir, os.MkdirTemp) lives under one
	// private dir, so what the tests leave behind can be found afterwards
	// without touching other packages' tests running at the same time.
	// Short (Podman refuses run roots over 50 bytes) and 0755 (rootless
	// tests' users traverse it).
	tmp, err := os.MkdirTemp("", "e2e")
	if err == nil {
		err = os.Chmod(tmp, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Setenv("TMPDIR", tmp)
	links := hostLinks()
	stop := guard(tmp)
	code := m.Run()
	stop()
	testenv.RemoveBuiltBinary()
	if leakCheck(tmp, links) && code == 0 {
		code = 1
	}
	removeIfUnmounted(tmp)
	os.Exit(code)
}

// guard cleans the run's temp dir (kills its processes, unmounts) when the
// suite is interrupted or about to hit go test's -timeout, whose panic
// skips every t.Cleanup and would leave conmon, containers and mounts.
func guard(tmp string) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	var timer <-chan time.Time
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > 2*time.Minute {
			timer = time.After(d - time.Minute)
		}
	}
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(os.Stderr, "e2e: %v: cleaning up %s\n", s, tmp)
			testenv.CleanupDir(tmp)
			removeIfUnmounted(tmp)
			os.Exit(2)
		case <-timer:
			// Killing the tests' processes also unblocks a hung test, so the
			// timeout panic that follows names it with a readable stack.
			fmt.Fprintf(os.Stderr, "e2e: -test.timeout is one minute away: killing processes and unmounting under %s\n", tmp)
			testenv.CleanupDir(tmp)
		case <-done:
		}
	}()
	return func() { signal.Stop(sigs); close(done) }
}

// leakCheck reports and removes what the tests left behind: processes and
// mounts under tmp, and network interfaces that appeared during the run
// (bridges, veths). It returns whether anything leaked. Interfaces count as
// leaks only under CI (a developer's machine has other work creating them).
func leakCheck(tmp string, before map[string]bool) bool {
	leaked := false
	// Give exiting conmons and exit commands a moment.
	for i := 0; i < 20 && len(testenv.ProcessesUnder(tmp)) > 0; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if pids := testenv.ProcessesUnder(tmp); len(pids) > 0 {
		leaked = true
		for _, pid := range pids {
			cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			s := strings.ReplaceAll(strings.TrimRight(string(cmd), "\x00"), "\x00", " ")
			if len(s) > 200 {
				s = s[:200] + "..."
			}
			fmt.Fprintf(os.Stderr, "e2e: LEAK: process %d left running: %s\n", pid, s)
		}
	}
	if ms := testenv.MountsUnder(tmp); len(ms) > 0 {
		leaked = true
		sort.Strings(ms)
		for _, m := range ms {
			fmt.Fprintf(os.Stderr, "e2e: LEAK: mount left: %s\n", m)
		}
	}
	if err := testenv.CleanupDir(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cleanup:", err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		fmt.Fprintf(os.Stderr, "e2e: note: temp dirs not removed by their tests: %s\n", strings.Join(names, " "))
	}
	if before != nil {
		// The default network's bridge stays up between containers by design
		// (as docker0), held by a keeper veth pair: not a leak. The suite
		// still removes them, keeper first, to leave the machine as it was.
		keeper, peer := network.KeeperNames(defaultBridge)
		for _, name := range []string{keeper, peer, defaultBridge} {
			if !before[name] && hostLinks()[name] && !bridgeInUse(defaultBridge, keeper, peer) {
				fmt.Fprintf(os.Stderr, "e2e: note: removing the default bridge's %s, kept up by design\n", name)
				_ = exec.Command("ip", "link", "del", name).Run()
			}
		}
		for name := range hostLinks() {
			if before[name] {
				continue
			}
			if os.Getenv("CI") != "" {
				leaked = true
				fmt.Fprintf(os.Stderr, "e2e: LEAK: network interface left: %s (deleted)\n", name)
				_ = exec.Command("ip", "link", "del", name).Run()
			} else {
				fmt.Fprintf(os.Stderr, "e2e: note: network interface created during the run still exists: %s\n", name)
			}
		}
	}
	if leaked {
		fmt.Fprintln(os.Stderr, "e2e: FAIL: the tests leaked the resources above (cleaned up now)")
	}
	return leaked
}

// defaultBridge is the bridge of the built-in default network "podman".
const defaultBridge = "podman0"

// bridgeInUse reports whether anything but the keeper is attached to bridge
// (a container started meanwhile by someone else keeps it).
func bridgeInUse(bridge string, keeper ...string) bool {
	out, err := exec.Command("ip", "-o", "link", "show", "master", bridge).Output()
	if err != nil {
		return false
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		if name != keeper[0] && name != keeper[1] {
			return true
		}
	}
	return false
}

// removeIfUnmounted removes tmp unless something is still mounted below it
// (removing through a bind mount would delete the host's files).
func removeIfUnmounted(tmp string) {
	if ms := testenv.MountsUnder(tmp); len(ms) > 0 {
		fmt.Fprintf(os.Stderr, "e2e: %s kept: still mounted: %v\n", tmp, ms)
		return
	}
	os.RemoveAll(tmp)
}

// hostLinks lists the host's network interfaces (nil when it cannot).
func hostLinks() map[string]bool {
	entries, err := os.ReadDir("/sys/class/net")
	if err != nil {
		return nil
	}
	m := map[string]bool{}
	for _, e := range entries {
		m[filepath.Base(e.Name())] = true
	}
	return m
}

// boundedCmd is exec.Command killed after d, whose Wait gives up 10 s later
// on output pipes its children still hold: no external command may hang
// the suite.
func boundedCmd(d time.Duration, name string, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	time.AfterFunc(d, cancel)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 10 * time.Second
	return cmd
}
