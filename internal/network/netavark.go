package network

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/selkie-containers/selkie/engine"
)

// PerNetworkOptions is how one container joins one network (netavark's
// "networks" map values).
type PerNetworkOptions struct {
	StaticIPs     []string `json:"static_ips,omitempty"`
	Aliases       []string `json:"aliases,omitempty"`
	StaticMAC     string   `json:"static_mac,omitempty"`
	InterfaceName string   `json:"interface_name"`
}

// StatusBlock is netavark's answer for one network.
type StatusBlock struct {
	DNSServerIPs     []string                `json:"dns_server_ips,omitempty"`
	DNSSearchDomains []string                `json:"dns_search_domains,omitempty"`
	Interfaces       map[string]NetInterface `json:"interfaces,omitempty"`
}

// NetInterface is one interface netavark created in the container.
type NetInterface struct {
	Subnets    []NetAddress `json:"subnets,omitempty"`
	MacAddress string       `json:"mac_address"`
}

// NetAddress is one address of an interface, in CIDR form.
type NetAddress struct {
	IPNet   string `json:"ipnet"`
	Gateway string `json:"gateway,omitempty"`
}

// SetupOptions describe a container's attachment to its networks.
type SetupOptions struct {
	ContainerID   string
	ContainerName string
	// Networks maps a network name to how the container joins it.
	Networks     map[string]PerNetworkOptions
	PortMappings []engine.PortMapping
	DNSServers   []string
}

// netavarkInput is the JSON netavark reads on stdin.
type netavarkInput struct {
	ContainerID   string                       `json:"container_id"`
	ContainerName string                       `json:"container_name"`
	PortMappings  []engine.PortMapping         `json:"port_mappings,omitempty"`
	Networks      map[string]PerNetworkOptions `json:"networks"`
	NetworkInfo   map[string]engine.Network    `json:"network_info"`
	DNSServers    []string                     `json:"dns_servers,omitempty"`
}

// netavarkError is netavark's {"error": "..."} on failure.
type netavarkError struct {
	Msg    string `json:"error"`
	stderr string
	code   int
}

func (e *netavarkError) Error() string {
	msg := "netavark: " + e.Msg
	if e.Msg == "" {
		msg = "netavark: exit status " + strconv.Itoa(e.code)
		if e.stderr != "" {
			msg += ": " + e.stderr
		}
	}
	return msg
}

// execNetavark runs `netavark [common] args...` with in as stdin JSON and
// decodes stdout into out (when non-nil). It is not cancelled with ctx: a
// half-finished setup is worse than a late one.
func (m *Manager) execNetavark(ctx context.Context, args []string, in, out any) error {
	if m.cfg.Netavark == "" {
		return errors.New("netavark binary not found: install the netavark package")
	}
	input, err := json.Marshal(in)
	if err != nil {
		return err
	}
	common := []string{"--config", m.cfg.RunDir, "--rootless=" + strconv.FormatBool(m.cfg.Rootless)}
	if m.cfg.Aardvark != "" {
		common = append(common, "--aardvark-binary="+m.cfg.Aardvark)
	}
	bin, argv := m.cfg.Netavark, append(common, args...)
	if m.cfg.Netns != "" {
		// nsenter moves netavark into the rootless network namespace: the
		// bridges, firewall rules and aardvark-dns live there.
		argv = append([]string{"--net=" + m.cfg.Netns, "--", bin}, argv...)
		bin = "nsenter"
	}
	cmd := exec.CommandContext(context.WithoutCancel(ctx), bin, argv...)
	env := append(os.Environ(), "RUST_LOG=netavark=warn")
	if p := os.Getenv("PATH"); !strings.Contains(p, "/usr/sbin") {
		env = append(env, "PATH="+p+":/usr/sbin:/sbin")
	}
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := os.MkdirAll(m.cfg.RunDir, 0o755); err != nil {
		return err
	}
	runErr := cmd.Run()
	if runErr != nil {
		var ee *exec.ExitError
		if errors.As(runErr, &ee) {
			ne := &netavarkError{stderr: strings.TrimSpace(stderr.String()), code: ee.ExitCode()}
			_ = json.Unmarshal(stdout.Bytes(), ne)
			return ne
		}
		return fmt.Errorf("netavark: %w", runErr)
	}
	if out != nil {
		if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
			return fmt.Errorf("netavark: failed to decode result: %w", err)
		}
	}
	return nil
}
