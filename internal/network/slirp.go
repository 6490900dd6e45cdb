package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/selkie-containers/selkie/engine"
)

// SlirpOptions describe the slirp4netns instance of a container namespace.
type SlirpOptions struct {
	Binary    string // slirp4netns; found on $PATH when empty
	NetnsPath string
	PidFile   string
	APISocket string
	LogFile   string
	Ports     []engine.PortMapping
	// Args are --network slirp4netns:OPT=V,… (mtu, cidr, allow_host_loopback).
	Args []string
}

func slirpArgs(o SlirpOptions) ([]string, error) {
	mtu, cidr, loopback := "65520", "", false
	for _, a := range o.Args {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "mtu":
			if _, err := strconv.ParseUint(v, 10, 16); err != nil {
				return nil, invalid("invalid slirp4netns mtu %q", v)
			}
			mtu = v
		case "cidr":
			if _, _, err := net.ParseCIDR(v); err != nil {
				return nil, invalid("invalid slirp4netns cidr %q", v)
			}
			cidr = v
		case "allow_host_loopback":
			loopback = v == "true"
		case "port_handler", "enable_ipv6", "outbound_addr", "outbound_addr6":
			// accepted for compatibility; Selkie forwards through the API socket
		default:
			return nil, invalid("unknown option for slirp4netns: %q", a)
		}
	}
	args := []string{"--configure", "--mtu=" + mtu, "--netns-type=path", "--api-socket=" + o.APISocket, "--ready-fd=3"}
	if cidr != "" {
		args = append(args, "--cidr="+cidr)
	}
	if !loopback {
		args = append(args, "--disable-host-loopback")
	}
	return append(args, o.NetnsPath, "tap0"), nil
}

// StartSlirp starts slirp4netns in the background, waits until it has
// configured tap0 in the namespace, then adds the port forwards.
func StartSlirp(ctx context.Context, o SlirpOptions) error {
	if err := checkPrivilegedPorts(o.Ports); err != nil {
		return err
	}
	bin := o.Binary
	if bin == "" {
		p, err := exec.LookPath("slirp4netns")
		if err != nil {
			return errors.New("slirp4netns not found: install the slirp4netns package")
		}
		bin = p
	}
	args, err := slirpArgs(o)
	if err != nil {
		return err
	}
	_ = os.Remove(o.APISocket)
	logf, err := os.OpenFile(o.LogFile, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{w}
	// Its own session: a Ctrl-C at the terminal must not end the network.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("starting slirp4netns: %w", err)
	}
	w.Close()
	ready := make(chan error, 1)
	go func() {
		b := make([]byte, 1)
		_, err := r.Read(b)
		ready <- err
	}()
	select {
	case err = <-ready:
	case <-time.After(10 * time.Second):
		err = errors.New("timed out")
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log, _ := os.ReadFile(o.LogFile)
		msg := strings.TrimSpace(string(log))
		if terr := tunError("slirp4netns", msg); terr != nil {
			return terr
		}
		return fmt.Errorf("slirp4netns failed: %v: %s", err, msg)
	}
	if err := os.WriteFile(o.PidFile, []byte(strconv.Itoa(cmd.Process.Pid)), 0o600); err != nil {
		_ = cmd.Process.Kill()
		return err
	}
	_ = cmd.Process.Release()
	for _, p := range normalizePorts(o.Ports) {
		for _, proto := range strings.Split(p.Protocol, ",") {
			for i := uint16(0); i < p.Range; i++ {
				if err := slirpForward(o.APISocket, proto, p.HostIP, p.HostPort+i, p.ContainerPort+i); err != nil {
					_ = StopSlirp(o.PidFile)
					return err
				}
			}
		}
	}
	return nil
}

// slirpForward asks slirp4netns (API socket) to forward a host port.
func slirpForward(sock, proto, hostIP string, hostPort, ctrPort uint16) error {
	if hostIP == "" {
		hostIP = "0.0.0.0"
	}
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	req := map[string]any{"execute": "add_hostfwd", "arguments": map[string]any{
		"proto": proto, "host_addr": hostIP, "host_port": hostPort, "guest_port": ctrPort}}
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return err
	}
	if uc, ok := c.(*net.UnixConn); ok {
		_ = uc.CloseWrite()
	}
	var resp struct {
		Error *struct {
			Desc string `json:"desc"`
		} `json:"error"`
	}
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		return fmt.Errorf("slirp4netns port forward %d: %w", hostPort, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("cannot forward %s port %d with slirp4netns: %s", strings.ToUpper(proto), hostPort, resp.Error.Desc)
	}
	return nil
}

// StopSlirp ends the slirp4netns recorded in pidFile (idempotent; a
// recycled PID that is not slirp4netns is left alone).
func StopSlirp(pidFile string) error {
	return stopByPidFile(pidFile, "slirp4netns")
}

func stopByPidFile(pidFile string, names ...string) error {
	data, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer os.Remove(pidFile)
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return nil
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return nil
	}
	c := strings.TrimSpace(string(comm))
	for _, n := range names {
		if strings.HasPrefix(c, n) {
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
				return err
			}
			return nil
		}
	}
	return nil
}
