package build

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// SSHSource is one `build --ssh` entry: an SSH agent socket to forward,
// or private key files served by an agent of our own.
type SSHSource struct {
	ID     string
	Socket string   // an agent's unix socket
	Keys   []string // private key files (unencrypted)
}

// ParseSSH reads the --ssh values: "default" (the agent named by
// SSH_AUTH_SOCK), "ID" alone (the same agent under that id), or
// "ID=PATH[,PATH…]" where PATH is an agent socket or key files. getenv
// reads the caller's environment.
func ParseSSH(values []string, getenv func(string) string) (map[string]SSHSource, error) {
	out := map[string]SSHSource{}
	for _, v := range values {
		id, paths, hasPaths := strings.Cut(v, "=")
		if id == "" {
			return nil, fmt.Errorf("invalid --ssh %q: no id", v)
		}
		src := SSHSource{ID: id}
		if !hasPaths || paths == "" {
			sock := getenv("SSH_AUTH_SOCK")
			if sock == "" {
				return nil, fmt.Errorf("--ssh %s: SSH_AUTH_SOCK is not set and no socket or key was given", id)
			}
			src.Socket = sock
		} else {
			for _, p := range strings.Split(paths, ",") {
				fi, err := os.Stat(p)
				if err != nil {
					return nil, fmt.Errorf("--ssh %s: %w", id, err)
				}
				if fi.Mode()&os.ModeSocket != 0 {
					if src.Socket != "" || len(src.Keys) > 0 {
						return nil, fmt.Errorf("--ssh %s: a socket cannot be combined with other sockets or keys", id)
					}
					src.Socket = p
					continue
				}
				if src.Socket != "" {
					return nil, fmt.Errorf("--ssh %s: a socket cannot be combined with other sockets or keys", id)
				}
				src.Keys = append(src.Keys, p)
			}
		}
		if len(src.Keys) > 0 {
			if _, err := src.keyring(); err != nil {
				return nil, err
			}
		}
		out[id] = src
	}
	return out, nil
}

func (s SSHSource) keyring() (agent.Agent, error) {
	kr := agent.NewKeyring()
	for _, p := range s.Keys {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("--ssh %s: %w", s.ID, err)
		}
		key, err := ssh.ParseRawPrivateKey(data)
		if err != nil {
			return nil, fmt.Errorf("--ssh %s: reading key %s: %w", s.ID, p, err)
		}
		if err := kr.Add(agent.AddedKey{PrivateKey: key}); err != nil {
			return nil, fmt.Errorf("--ssh %s: %w", s.ID, err)
		}
	}
	return kr, nil
}

// SSHAgent is an agent socket a RUN step sees: it forwards each
// connection to the source's agent, or answers from the source's keys.
// The host socket's path is never shown to the container.
type SSHAgent struct {
	l    net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	conn map[net.Conn]bool
}

// Serve listens on sockPath (owned by uid:gid with mode) for the step.
func (s SSHSource) Serve(sockPath string, uid, gid int, mode os.FileMode) (*SSHAgent, error) {
	var kr agent.Agent
	if len(s.Keys) > 0 {
		var err error
		if kr, err = s.keyring(); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("unix", sockPath)
	if err != nil {
		return nil, fmt.Errorf("ssh agent socket: %w", err)
	}
	if err := os.Chown(sockPath, uid, gid); err == nil {
		err = os.Chmod(sockPath, mode)
	}
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("ssh agent socket: %w", err)
	}
	a := &SSHAgent{l: l, conn: map[net.Conn]bool{}}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if !a.track(c, true) {
				c.Close()
				return
			}
			a.wg.Add(1)
			go func() {
				defer a.wg.Done()
				defer a.track(c, false)
				defer c.Close()
				if kr != nil {
					_ = agent.ServeAgent(kr, c)
					return
				}
				up, err := net.Dial("unix", s.Socket)
				if err != nil {
					return
				}
				defer up.Close()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
				go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	return a, nil
}

// track adds or removes a live connection; false once closed.
func (a *SSHAgent) track(c net.Conn, add bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.conn == nil {
		return false
	}
	if add {
		a.conn[c] = true
	} else {
		delete(a.conn, c)
	}
	return true
}

// Close stops the listener and ends the connections still open.
func (a *SSHAgent) Close() error {
	err := a.l.Close()
	a.mu.Lock()
	for c := range a.conn {
		c.Close()
	}
	a.conn = nil
	a.mu.Unlock()
	a.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
