//go:build linux

// Package rootless puts an unprivileged selkie invocation into the user's
// user and mount namespace, as Podman does: the first invocation creates the
// namespace with newuidmap/newgidmap from /etc/subuid and /etc/subgid
// (go.podman.io/storage/pkg/unshare) with a pause process in it; every
// invocation then joins the pause process's namespaces (join.c) so that
// mounts made by one invocation (container root filesystems) are seen by the
// next one.
package rootless

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"go.podman.io/storage/pkg/unshare"
	"golang.org/x/sys/unix"
)

const (
	// PauseArg0 is argv[0] of the pause process; it is also how a recycled
	// PID in a stale pause.pid is told apart from the real pause process.
	PauseArg0 = "selkie-pause"

	envJoinPID = "_SELKIE_JOIN_PID"
)

// Enabled reports whether this process runs rootless: as a normal user, or
// as root of a user namespace created for a normal user.
func Enabled() bool {
	return os.Geteuid() != 0 || os.Getenv(unshare.UsernsEnvName) != ""
}

// UID and GID are the user's IDs on the host (outside the namespace).
func UID() int { return unshare.GetRootlessUID() }

// GID is the user's primary GID on the host.
func GID() int { return unshare.GetRootlessGID() }

// RuntimeDir is the user's runtime directory: $XDG_RUNTIME_DIR, else
// /run/user/UID when it exists, else $TMPDIR/podman-run-UID (the same
// fallback internal/config uses).
func RuntimeDir(uid int) string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return d
	}
	d := filepath.Join("/run/user", strconv.Itoa(uid))
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d
	}
	tmp := os.Getenv("TMPDIR")
	if tmp == "" {
		tmp = "/tmp"
	}
	return filepath.Join(tmp, "podman-run-"+strconv.Itoa(uid))
}

// PausePIDFile is where the pause process's PID is kept.
func PausePIDFile(uid int) string {
	return filepath.Join(RuntimeDir(uid), "selkie", "pause.pid")
}

// IsPauseProcess reports whether this process was started as the pause
// process (checked in main before anything else).
func IsPauseProcess() bool {
	return len(os.Args) > 0 && os.Args[0] == PauseArg0
}

// Pause is the pause process's body: it keeps the namespaces alive and
// ignores the signals a terminal sends; SIGTERM/SIGKILL end it.
func Pause() {
	_ = os.Chdir("/")
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGPIPE)
	for s := range sigs {
		if s == syscall.SIGTERM {
			os.Exit(0)
		}
	}
}

// PausePID returns the PID of this user's live pause process, or 0. A
// pause.pid naming a dead process, or a recycled PID that is not our pause
// process (other command line, other owner, or in our own user namespace),
// yields 0.
func PausePID(uid int) int {
	data, err := os.ReadFile(PausePIDFile(uid))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0
	}
	if !isPause(pid, uid) {
		return 0
	}
	return pid
}

func isPause(pid, uid int) bool {
	proc := filepath.Join("/proc", strconv.Itoa(pid))
	cmdline, err := os.ReadFile(filepath.Join(proc, "cmdline"))
	if err != nil {
		return false
	}
	arg0, _, _ := bytes.Cut(cmdline, []byte{0})
	if string(arg0) != PauseArg0 {
		return false
	}
	theirs, err1 := os.Readlink(filepath.Join(proc, "ns", "user"))
	ours, err2 := os.Readlink("/proc/self/ns/user")
	if err1 != nil || err2 != nil {
		return false
	}
	if os.Geteuid() == 0 {
		// Inside the namespace: the pause process shares it.
		return theirs == ours
	}
	var st unix.Stat_t
	if err := unix.Stat(proc, &st); err != nil || int(st.Uid) != uid {
		return false
	}
	return theirs != ours
}

// NeedsNamespace decides from the command line whether this invocation uses
// the store (and so the user namespace). Help, version, completion and
// remote invocations stay cheap and outside.
func NeedsNamespace(args []string) bool {
	if os.Getenv("CONTAINER_HOST") != "" {
		return false
	}
	valued := map[string]bool{
		"--root": true, "--runroot": true, "--storage-driver": true, "--storage-opt": true,
		"--log-level": true, "--runtime": true, "--cgroup-manager": true, "--tmpdir": true,
		"--registries-conf": true, "--conmon": true, "--network-config-dir": true,
		"--events-backend": true, "--volumepath": true, "--url": true,
	}
	cmd := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--help":
			return false
		case cmd == "" && (a == "-h" || a == "--version" || a == "-v" || a == "--remote" || a == "-r"):
			return false
		case cmd == "" && (strings.HasPrefix(a, "--url") || strings.HasPrefix(a, "--remote")):
			return false
		case cmd == "" && valued[a]:
			i++
			continue
		case strings.HasPrefix(a, "-"):
			continue
		}
		if cmd == "" {
			cmd = a
			continue
		}
		break
	}
	switch cmd {
	case "", "help", "version", "completion", "__complete", "__completeNoDesc":
		return false
	}
	return true
}

// Enter puts this rootless invocation into the user's namespaces. It
// returns (and the caller continues) only in the process that is inside;
// the outer process waits for the inner one and exits with its status.
// As root, or already inside, it does nothing.
func Enter() error {
	if os.Geteuid() == 0 {
		return nil
	}
	uid := os.Getuid()
	dir := filepath.Dir(PausePIDFile(uid))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating the rootless runtime directory: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "pause.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		lock.Close()
		return fmt.Errorf("locking %s: %w", lock.Name(), err)
	}
	pid := PausePID(uid)
	if pid == 0 {
		// None, or a stale pause.pid: a new namespace and pause process.
		if pid, err = startPause(uid); err != nil {
			lock.Close()
			return err
		}
	}
	lock.Close()
	joinAndExit(pid, uid)
	return nil
}

// Mappings are the ID mappings of the user namespace: the user's own ID as
// 0, then the subordinate ranges of /etc/subuid and /etc/subgid from 1. A
// user without ranges gets the single-ID mapping and a warning.
func Mappings() (uids, gids []specs.LinuxIDMapping, err error) {
	me, err := user.Current()
	if err != nil {
		return nil, nil, fmt.Errorf("determining the current user: %w", err)
	}
	uid, gid := os.Getuid(), os.Getgid()
	subu, subg, err := unshare.GetSubIDMappings(me.Username, me.Username)
	if err != nil {
		logrus.Debugf("reading subordinate ID ranges: %v", err)
	}
	if len(subu) == 0 {
		logrus.Warnf("Found no UID ranges set aside for user %q in /etc/subuid; only your own UID is mapped (single-ID mapping): images with files owned by other users will fail to extract", me.Username)
	}
	if len(subg) == 0 {
		logrus.Warnf("Found no GID ranges set aside for user %q in /etc/subgid; only your own GID is mapped (single-ID mapping)", me.Username)
	}
	uids = append([]specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(uid), Size: 1}}, subu...)
	gids = append([]specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(gid), Size: 1}}, subg...)
	next := uint32(0)
	for i := range uids {
		uids[i].ContainerID = next
		next += uids[i].Size
	}
	next = 0
	for i := range gids {
		gids[i].ContainerID = next
		next += gids[i].Size
	}
	return uids, gids, nil
}

// startPause creates the user and mount namespace with the pause process in
// it and records its PID (atomically) in pause.pid.
func startPause(uid int) (int, error) {
	uids, gids, err := Mappings()
	if err != nil {
		return 0, err
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	cmd := unshare.Command(PauseArg0)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.UnshareFlags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS
	cmd.UseNewuidmap, cmd.UseNewgidmap = true, true
	cmd.UidMappings, cmd.GidMappings = uids, gids
	cmd.GidMappingsEnableSetgroups = true
	cmd.Setsid = true
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("creating the rootless user namespace: %w", err)
	}
	pid := cmd.Cmd.Process.Pid
	_ = cmd.Cmd.Process.Release()
	// Start returns once the ID maps are written; the child then unshares
	// its mount namespace and re-executes itself. Joining before that
	// would mean joining the host's mount namespace.
	ours, _ := os.Readlink("/proc/self/ns/mnt")
	deadline := time.Now().Add(10 * time.Second)
	for {
		theirs, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid))
		if err != nil {
			return 0, fmt.Errorf("the rootless pause process exited: %w", err)
		}
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if theirs != ours && exe != "" && isPause(pid, uid) {
			break
		}
		if time.Now().After(deadline) {
			return 0, errors.New("timed out waiting for the rootless pause process")
		}
		time.Sleep(time.Millisecond)
	}
	file := PausePIDFile(uid)
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o600); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, file); err != nil {
		return 0, err
	}
	return pid, nil
}

// joinAndExit re-executes this binary with the pause process's PID in the
// environment; join.c's constructor then enters its namespaces before the Go
// runtime starts. Signals are forwarded and the exit status relayed.
func joinAndExit(pid, uid int) {
	// No Pdeathsig: it fires when the forking thread ends, not the process
	// (go.dev/issue/27505), and killed the inner command at random. Signals
	// are forwarded instead.
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(125)
	}
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	env := os.Environ()
	if os.Getenv("XDG_RUNTIME_DIR") == "" {
		// Inside, the process is UID 0: without this, auth.json and the
		// like would be looked for under /run/…/0 instead of the user's.
		env = append(env, "XDG_RUNTIME_DIR="+RuntimeDir(uid))
	}
	cmd.Env = append(env,
		envJoinPID+"="+strconv.Itoa(pid),
		unshare.UsernsEnvName+"=done",
		"_CONTAINERS_ROOTLESS_UID="+strconv.Itoa(uid),
		"_CONTAINERS_ROOTLESS_GID="+strconv.Itoa(os.Getgid()),
	)
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGWINCH)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(125)
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			os.Exit(128 + int(ws.Signal()))
		}
		os.Exit(ee.ExitCode())
	}
	fmt.Fprintf(os.Stderr, "Error: %v\n", err)
	os.Exit(125)
}

// Migrate stops the pause process so that the next invocation creates a new
// namespace (after a change to /etc/subuid or the configuration).
func Migrate(uid int) error {
	pid := PausePID(uid)
	if pid == 0 {
		return nil
	}
	if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("stopping the pause process: %w", err)
	}
	_ = os.Remove(PausePIDFile(uid))
	// Wait (bounded) until it is gone or a zombie.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if i := bytes.LastIndexByte(data, ')'); err != nil || (i >= 0 && i+2 < len(data) && data[i+2] == 'Z') {
			break
		}
	}
	return nil
}

// Unshare runs args (default $SHELL, else /bin/sh) in the user's namespaces
// (the caller has already entered them), with CONTAINERS_GRAPHROOT and
// CONTAINERS_RUNROOT set, as `podman unshare` does; with netnsPath, in that
// network namespace too (`unshare --rootless-netns`). It returns the
// command's exit code.
func Unshare(args []string, graphRoot, runRoot, netnsPath string) (int, error) {
	if !Enabled() {
		return 125, errors.New("please use unshare with rootless")
	}
	if len(args) == 0 {
		sh := os.Getenv("SHELL")
		if sh == "" {
			sh = "/bin/sh"
		}
		args = []string{sh}
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "CONTAINERS_GRAPHROOT="+graphRoot, "CONTAINERS_RUNROOT="+runRoot)
	err := startIn(cmd, netnsPath)
	if err == nil {
		err = cmd.Wait()
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, os.ErrNotExist):
		return 127, err
	}
	return 126, err
}

// startIn starts cmd, in the network namespace at netnsPath when it is not
// empty: from a thread that joined it (a child inherits its creating
// thread's namespaces) and is never given back to the Go scheduler.
func startIn(cmd *exec.Cmd, netnsPath string) error {
	if netnsPath == "" {
		return cmd.Start()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with us
		f, err := os.Open(netnsPath)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("joining network namespace %s: %w", netnsPath, err)
			return
		}
		errc <- cmd.Start()
	}()
	return <-errc
}
