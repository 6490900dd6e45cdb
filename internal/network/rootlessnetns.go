package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/lock"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"go.podman.io/storage/pkg/lockfile"
	"golang.org/x/sys/unix"
)

// The rootless network namespace (Podman 4's "rootless-netns"): one network
// namespace per user, created inside the user namespace and bind-mounted
// under the user's run directory. slirp4netns gives it outbound access;
// netavark runs inside it, so user networks' bridges, firewall rules and
// aardvark-dns live there, and published ports reach it through
// slirp4netns forwards to the same port on tap0, which netavark's DNAT rules
// send on to the container. As in Podman, it lives while something uses it:
// each container on a user network (and each `unshare --rootless-netns`)
// holds it through Acquire and lets go with Release, and the last one out
// stops slirp4netns and removes the namespace. The holders are files in a
// directory beside it, changed under the same lock that creates it.

// RootlessNetns locates the per-user namespace and its slirp4netns.
type RootlessNetns struct {
	Dir   string // under the user's run directory
	Slirp string // slirp4netns binary; $PATH when empty
}

func (r RootlessNetns) Path() string { return filepath.Join(r.Dir, "rootless-netns") }
func (r RootlessNetns) pidFile() string {
	return filepath.Join(r.Dir, "rootless-netns-slirp4netns.pid")
}
func (r RootlessNetns) socket() string { return filepath.Join(r.Dir, "rootless-netns.sock") }
func (r RootlessNetns) logFile() string {
	return filepath.Join(r.Dir, "rootless-netns-slirp4netns.log")
}

// alive: the namespace file is a mounted netns and its slirp4netns runs.
func (r RootlessNetns) alive() bool {
	var st unix.Statfs_t
	if unix.Statfs(r.Path(), &st) != nil || st.Type != unix.NSFS_MAGIC {
		return false
	}
	data, err := os.ReadFile(r.pidFile())
	if err != nil {
		return false
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && pid > 1 && strings.HasPrefix(strings.TrimSpace(string(comm)), "slirp4netns")
}

func (r RootlessNetns) holdersDir() string { return filepath.Join(r.Dir, "rootless-netns-holders") }

func (r RootlessNetns) lock() (func(), error) {
	if err := os.MkdirAll(r.Dir, 0o700); err != nil {
		return nil, err
	}
	l, err := lockfile.GetLockFile(filepath.Join(r.Dir, "rootless-netns.lock"))
	if err != nil {
		return nil, err
	}
	l.Lock()
	return l.Unlock, nil
}

// ProcessHolder is the holder name of a process (selkie unshare
// --rootless-netns): Release drops it once the process is gone.
func ProcessHolder(pid int) string { return "pid-" + strconv.Itoa(pid) }

// Acquire records holder (a container ID, or ProcessHolder) as a user of
// the namespace, creating the namespace and starting slirp4netns first when
// they are not running, and returns the namespace path. Acquiring twice
// under one name counts once.
func (r RootlessNetns) Acquire(ctx context.Context, holder string) (string, error) {
	if !lock.ValidName(holder) {
		return "", fmt.Errorf("invalid rootless network namespace holder %q", holder)
	}
	unlock, err := r.lock()
	if err != nil {
		return "", err
	}
	defer unlock()
	p, err := r.ensureLocked(ctx)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(r.holdersDir(), 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(r.holdersDir(), holder), nil, 0o600); err != nil {
		return "", err
	}
	return p, nil
}

// Release drops holder. When no holder is left the namespace is removed with
// its slirp4netns (and so with the bridges, firewall rules and aardvark-dns
// of the user's networks inside it). gone, when not nil, tells whether a
// remaining container holder no longer exists (removed without a network
// teardown); such holders are dropped too. Process holders are dropped
// once their process has exited.
func (r RootlessNetns) Release(holder string, gone func(id string) bool) error {
	unlock, err := r.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if lock.ValidName(holder) {
		if err := os.Remove(filepath.Join(r.holdersDir(), holder)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	entries, err := os.ReadDir(r.holdersDir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	left := 0
	for _, e := range entries {
		name := e.Name()
		stale := false
		if pid, ok := strings.CutPrefix(name, "pid-"); ok {
			_, serr := os.Stat("/proc/" + pid)
			stale = serr != nil
		} else if gone != nil {
			stale = gone(name)
		}
		if stale {
			_ = os.Remove(filepath.Join(r.holdersDir(), name))
			continue
		}
		left++
	}
	if left > 0 {
		return nil
	}
	return r.stopLocked()
}

// Holders lists the current holders (for tests and diagnostics).
func (r RootlessNetns) Holders() []string {
	entries, _ := os.ReadDir(r.holdersDir())
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// Alive reports whether the namespace exists with its slirp4netns running.
func (r RootlessNetns) Alive() bool { return r.alive() }

// Ensure creates the namespace and starts slirp4netns unless both are
// already there, and returns the namespace path. It records no holder:
// Acquire does.
func (r RootlessNetns) Ensure(ctx context.Context) (string, error) {
	unlock, err := r.lock()
	if err != nil {
		return "", err
	}
	defer unlock()
	return r.ensureLocked(ctx)
}

func (r RootlessNetns) ensureLocked(ctx context.Context) (string, error) {
	if r.alive() {
		return r.Path(), nil
	}
	_ = StopSlirp(r.pidFile())
	if err := RemoveNetns(r.Path()); err != nil {
		return "", err
	}
	// unshare(1) in a child process: slirp4netns, started next by this
	// process, must stay in the host's namespace, whatever thread forks it.
	if err := os.WriteFile(r.Path(), nil, 0o444); err != nil {
		return "", err
	}
	if out, err := exec.CommandContext(ctx, "unshare", "--net="+r.Path(), "true").CombinedOutput(); err != nil {
		_ = os.Remove(r.Path())
		return "", fmt.Errorf("creating the rootless network namespace: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if err := linkUp(r.Path(), "lo"); err != nil {
		_ = RemoveNetns(r.Path())
		return "", err
	}
	o := SlirpOptions{Binary: r.Slirp, NetnsPath: r.Path(), PidFile: r.pidFile(), APISocket: r.socket(), LogFile: r.logFile()}
	if err := StartSlirp(ctx, o); err != nil {
		_ = RemoveNetns(r.Path())
		return "", fmt.Errorf("rootless network namespace: %w", err)
	}
	// slirp4netns reports ready once tap0 is configured; its API socket may
	// come a moment later.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		// A real request: slirp4netns stops serving its API after an
		// empty one.
		err := slirpCall(r.socket(), map[string]any{"execute": "list_hostfwd"}, nil)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = r.stopLocked()
			return "", fmt.Errorf("rootless network namespace: slirp4netns API socket: %w", err)
		}
	}
	return r.Path(), nil
}

// Stop ends slirp4netns and removes the namespace and its holders
// (idempotent).
func (r RootlessNetns) Stop() error {
	unlock, err := r.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return r.stopLocked()
}

func (r RootlessNetns) stopLocked() error {
	_ = os.RemoveAll(r.holdersDir())
	err := StopSlirp(r.pidFile())
	if rerr := RemoveNetns(r.Path()); err == nil {
		err = rerr
	}
	_ = os.Remove(r.socket())
	return err
}

func linkUp(path, name string) error {
	return inThrowawayThread(func() error { return linkUpLocked(path, name) })
}

func linkUpLocked(path, name string) error {
	h, err := netns.GetFromPath(path)
	if err != nil {
		return err
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		return err
	}
	defer nl.Close()
	l, err := nl.LinkByName(name)
	if err != nil {
		return err
	}
	return nl.LinkSetUp(l)
}

// Forward publishes ports on the host: slirp4netns forwards each host port
// to the same port on the namespace's tap0, where netavark's DNAT rules
// take over. On error the forwards already added are removed.
func (r RootlessNetns) Forward(ports []engine.PortMapping) error {
	if err := checkPrivilegedPorts(ports); err != nil {
		return err
	}
	fw := expandPorts(ports)
	for i, p := range fw {
		if err := slirpForward(r.socket(), p.proto, p.hostIP, p.port, p.port); err != nil {
			_ = r.unforward(fw[:i])
			return err
		}
	}
	return nil
}

type hostFwd struct {
	proto, hostIP string
	port          uint16
}

func expandPorts(ports []engine.PortMapping) []hostFwd {
	var out []hostFwd
	for _, p := range normalizePorts(ports) {
		for _, proto := range strings.Split(p.Protocol, ",") {
			for i := uint16(0); i < p.Range; i++ {
				out = append(out, hostFwd{proto: proto, hostIP: p.HostIP, port: p.HostPort + i})
			}
		}
	}
	return out
}

// Unforward removes the forwards of ports (those that are present).
func (r RootlessNetns) Unforward(ports []engine.PortMapping) error {
	return r.unforward(expandPorts(ports))
}

func (r RootlessNetns) unforward(ports []hostFwd) error {
	if len(ports) == 0 {
		return nil
	}
	// slirp4netns answers {"entries": [...]} (no "return" wrapper).
	var list struct {
		Entries []struct {
			ID       int    `json:"id"`
			Proto    string `json:"proto"`
			HostAddr string `json:"host_addr"`
			HostPort uint16 `json:"host_port"`
		} `json:"entries"`
	}
	if err := slirpCall(r.socket(), map[string]any{"execute": "list_hostfwd"}, &list); err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ECONNREFUSED) {
			return nil
		}
		return err
	}
	var firstErr error
	for _, p := range ports {
		for _, e := range list.Entries {
			if e.Proto == p.proto && e.HostPort == p.port {
				if err := slirpCall(r.socket(), map[string]any{"execute": "remove_hostfwd", "arguments": map[string]any{"id": e.ID}}, nil); err != nil && firstErr == nil {
					firstErr = err
				}
			}
		}
	}
	return firstErr
}

func slirpCall(sock string, req, out any) error {
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return err
	}
	if uc, ok := c.(*net.UnixConn); ok {
		_ = uc.CloseWrite()
	}
	var raw json.RawMessage
	if err := json.NewDecoder(c).Decode(&raw); err != nil {
		return err
	}
	var e struct {
		Error *struct {
			Desc string `json:"desc"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Error != nil {
		return fmt.Errorf("slirp4netns: %s", e.Error.Desc)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}
