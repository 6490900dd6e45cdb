package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// BuildTags are the tags every selkie build uses.
const BuildTags = "containers_image_openpgp exclude_graphdriver_btrfs"

// builtBinary is the one piece of package state: a test process builds the
// binary at most once, however many tests ask for it (go test runs each
// package in its own process, so this is per package, never shared).
var builtBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary returns the path of the selkie binary under test: $SELKIE_BINARY if
// set (make test sets it to bin/selkie), else the binary built once per test
// process with the build tags into a temp dir (see RemoveBuiltBinary).
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("SELKIE_BINARY"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("SELKIE_BINARY: %v", err)
		}
		return p
	}
	b := &builtBinary
	b.once.Do(func() { b.dir, b.path, b.err = buildBinary() })
	if b.err != nil {
		t.Fatalf("building selkie: %v", b.err)
	}
	return b.path
}

// RemoveBuiltBinary deletes the binary Binary built, if any; call it at the
// end of TestMain.
func RemoveBuiltBinary() {
	if builtBinary.dir != "" {
		os.RemoveAll(builtBinary.dir)
	}
}

func buildBinary() (dir, path string, err error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", "", err
	}
	dir, err = os.MkdirTemp("", "selkie-testbin-")
	if err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, "selkie")
	cmd := exec.Command("go", "build", "-tags", BuildTags, "-o", path, "./cmd/selkie")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", "", fmt.Errorf("%v: %s", err, out)
	}
	return dir, path, nil
}

// ModuleRoot returns the directory of selkie's go.mod, searching upwards
// from the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(data, []byte("module github.com/selkie-containers/selkie\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("selkie's go.mod not found above the working directory")
		}
		dir = parent
	}
}

// CLI runs the selkie binary against private storage.
type CLI struct {
	Bin            string
	Root, RunRoot  string // passed as --root / --runroot
	RegistriesConf string // passed as --registries-conf when set
	// PolicyPath is an insecureAcceptAnything policy.json. It is not passed
	// automatically (--signature-policy is a per-command flag): add it to
	// pull/push/load arguments where a test needs it.
	PolicyPath string
	Env        []string      // extra environment (KEY=VALUE) on top of the test's
	Timeout    time.Duration // per command; default 5 minutes
}

// Result is the outcome of one command. ExitCode is -1 when the command
// could not be started or was killed at its timeout.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
}

// String describes the result for test failure messages.
func (r Result) String() string {
	return fmt.Sprintf("exit code %d\nstdout:\n%s\nstderr:\n%s", r.ExitCode, r.Stdout, r.Stderr)
}

// NewCLI returns a CLI whose --root and --runroot are fresh dirs under a temp
// dir. t.Cleanup removes containers (rm -af), kills processes left running
// inside that storage, unmounts anything mounted below it and removes it.
func NewCLI(t testing.TB) *CLI {
	t.Helper()
	base := t.TempDir()
	c := &CLI{
		Bin:        Binary(t),
		Root:       filepath.Join(base, "root"),
		RunRoot:    filepath.Join(base, "runroot"),
		PolicyPath: filepath.Join(base, "policy.json"),
	}
	if err := os.WriteFile(c.PolicyPath, []byte(InsecurePolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cc := *c
		cc.Timeout = 60 * time.Second
		// Pods first: pod rm also removes the pod's cgroup (/libpod_parent/<pod>).
		cc.Run("pod", "rm", "--all", "--force", "--time", "0")
		cc.Run("rm", "--all", "--force", "--time", "0")
		if err := CleanupDir(base); err != nil {
			t.Logf("cleaning up %s: %v", base, err)
		}
	})
	return c
}

// Args returns the full argument list (global flags first) for args.
func (c *CLI) Args(args ...string) []string {
	a := []string{"--root", c.Root, "--runroot", c.RunRoot}
	if c.RegistriesConf != "" {
		a = append(a, "--registries-conf", c.RegistriesConf)
	}
	return append(a, args...)
}

// Command returns an unstarted *exec.Cmd for args, for tests that need to
// drive the process themselves (stdin, signals, streaming output).
func (c *CLI) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.Bin, c.Args(args...)...)
	cmd.Env = append(os.Environ(), c.Env...)
	return cmd
}

// Run runs `selkie --root R --runroot RR [--registries-conf X] args...`.
func (c *CLI) Run(args ...string) Result { return c.RunStdin(nil, args...) }

// RunStdin is Run with stdin connected to r.
func (c *CLI) RunStdin(r io.Reader, args ...string) Result {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := c.Command(ctx, args...)
	cmd.Stdin = r
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A container process may inherit stdout; do not wait for it forever.
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		res.ExitCode = -1
		res.Stderr += fmt.Sprintf("\n[testenv: killed after %s]", timeout)
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	case err != nil:
		res.ExitCode = -1
		res.Stderr += "\n[testenv: " + err.Error() + "]"
	}
	return res
}

// Must runs args and fails the test unless selkie exits 0; it returns the
// trimmed stdout.
func (c *CLI) Must(t testing.TB, args ...string) string {
	t.Helper()
	r := c.Run(args...)
	if r.ExitCode != 0 {
		t.Fatalf("selkie %s: %s", strings.Join(args, " "), r)
	}
	return strings.TrimSpace(r.Stdout)
}

// CleanupDir kills processes whose root, working directory or command line
// lies under dir (conmon, container processes), then unmounts every mount
// point below dir, deepest first. It does not remove dir.
func CleanupDir(dir string) error {
	dir = filepath.Clean(dir)
	killUnder(dir)
	var last error
	for round := 0; round < 3; round++ {
		mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
		if err != nil {
			return err
		}
		if len(mounts) == 0 {
			return nil
		}
		sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].Mountpoint) > len(mounts[j].Mountpoint) })
		for _, m := range mounts {
			if err := unix.Unmount(m.Mountpoint, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
				last = fmt.Errorf("unmounting %s: %w", m.Mountpoint, err)
			}
		}
	}
	return last
}

// killUnder SIGKILLs every process (except this one) that lives in dir: its
// root, working directory or command line is under dir, or it runs in
// another mount namespace whose mounts come from dir (a container's rootfs).
func killUnder(dir string) {
	victims := ProcessesUnder(dir)
	for _, pid := range victims {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if len(victims) > 0 {
		time.Sleep(100 * time.Millisecond)
	}
}

// ProcessesUnder lists the processes (except this one and zombies) whose
// root, working directory or command line is under dir, or whose mount
// namespace's root mount comes from dir.
func ProcessesUnder(dir string) []int {
	dir = filepath.Clean(dir)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	selfNS, _ := os.Readlink("/proc/self/ns/mnt")
	in := func(p string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }
	var victims []int
	parent := map[int]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self || pid == 1 {
			continue
		}
		proc := "/proc/" + e.Name()
		if stat, _ := os.ReadFile(proc + "/stat"); len(stat) > 0 && !bytes.Contains(stat, []byte(") Z ")) {
			if i := bytes.LastIndexByte(stat, ')'); i > 0 {
				if f := bytes.Fields(stat[i+1:]); len(f) > 1 {
					parent[pid], _ = strconv.Atoi(string(f[1]))
				}
			}
		}
		root, _ := os.Readlink(proc + "/root")
		cwd, _ := os.Readlink(proc + "/cwd")
		cmdline, _ := os.ReadFile(proc + "/cmdline")
		inContainer := false
		if ns, _ := os.Readlink(proc + "/ns/mnt"); ns != "" && ns != selfNS {
			// Only the root mount counts: a rootless user's namespace holds
			// copies of every host mount that existed when it was made,
			// other tests' included, but its root is the host's.
			mounts, _ := os.ReadFile(proc + "/mountinfo")
			for _, line := range bytes.Split(mounts, []byte("\n")) {
				if f := bytes.Fields(line); len(f) > 4 && string(f[4]) == "/" {
					inContainer = bytes.Contains(line, []byte(dir+"/"))
				}
			}
		}
		if inContainer || in(root) || in(cwd) || bytes.Contains(cmdline, []byte(dir+"/")) {
			if stat, _ := os.ReadFile(proc + "/stat"); bytes.Contains(stat, []byte(") Z ")) {
				continue // a zombie is dead already; its parent reaps it
			}
			victims = append(victims, pid)
		}
	}
	// and their descendants (a test's shell leaves its children behind)
	in2 := map[int]bool{}
	for _, v := range victims {
		in2[v] = true
	}
	for grew := true; grew; {
		grew = false
		for pid, pp := range parent {
			if !in2[pid] && in2[pp] {
				in2[pid], grew = true, true
				victims = append(victims, pid)
			}
		}
	}
	return victims
}

// MountsUnder lists the mount points at or below dir.
func MountsUnder(dir string) []string {
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(filepath.Clean(dir)))
	if err != nil {
		return nil
	}
	var out []string
	for _, m := range mounts {
		out = append(out, m.Mountpoint)
	}
	return out
}

// StorageRef returns the containers-storage transport reference of ref in
// this CLI's store, e.g. for skopeo: containers-storage:[overlay@ROOT+RUNROOT]ref.
func (c *CLI) StorageRef(ref string) string {
	return fmt.Sprintf("containers-storage:[overlay@%s+%s]%s", c.Root, c.RunRoot, ref)
}

// SeedImage puts the image s, named ref, into this CLI's store with skopeo,
// independently of Selkie's own pull/load (for container tests). It skips
// the test when skopeo is missing.
func (c *CLI) SeedImage(t testing.TB, ref string, s ImageSpec) {
	t.Helper()
	RequiresBinary(t, "skopeo")
	dir := t.TempDir()
	if _, err := WriteOCILayout(dir, "img", s); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "skopeo", "copy", "--quiet", "--policy", c.PolicyPath, "oci:"+dir+":img", c.StorageRef(ref))
	cmd.WaitDelay = 10 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("skopeo copy into %s: %v\n%s", c.Root, err, out)
	}
}
