package network

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"go.podman.io/storage/pkg/lockfile"
)

// Config says where network definitions and runtime state live and which
// binaries drive them.
type Config struct {
	// ConfigDir holds <name>.json definitions (Podman's network config dir).
	ConfigDir string
	// RunDir is netavark's --config directory (aardvark-dns state) and holds
	// Selkie's IPAM records.
	RunDir string
	// DefaultNetwork and DefaultSubnet describe the implicit default network.
	DefaultNetwork string
	DefaultSubnet  string
	// Rootless selects netavark's rootless mode.
	Rootless bool
	// Netavark and Aardvark are binary paths; empty means "not installed".
	Netavark string
	Aardvark string
	// Netns, when set, is the namespace netavark runs in (the rootless
	// network namespace, where user networks' bridges live).
	Netns string
}

// Manager reads and writes network definitions. It holds no state between
// calls: every call reads the directory again, under the shared lock file
// Podman also uses, so concurrent selkie and podman processes agree.
type Manager struct {
	cfg Config
}

// New returns a manager for cfg.
func New(cfg Config) *Manager {
	if cfg.DefaultNetwork == "" {
		cfg.DefaultNetwork = "podman"
	}
	if cfg.DefaultSubnet == "" {
		cfg.DefaultSubnet = "10.88.0.0/16"
	}
	return &Manager{cfg: cfg}
}

// Config returns the manager's configuration.
func (m *Manager) Config() Config { return m.cfg }

// DefaultName is the name of the default network.
func (m *Manager) DefaultName() string { return m.cfg.DefaultNetwork }

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// lock takes the config directory lock (netavark.lock, shared with Podman).
func (m *Manager) lock() (func(), error) {
	if err := os.MkdirAll(m.cfg.ConfigDir, 0o755); err != nil {
		return nil, err
	}
	l, err := lockfile.GetLockFile(filepath.Join(m.cfg.ConfigDir, "netavark.lock"))
	if err != nil {
		return nil, err
	}
	l.Lock()
	return l.Unlock, nil
}

// IDFromName is the ID Podman gives the default network: sha256 of its name.
func IDFromName(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

func (m *Manager) defaultNetwork() engine.Network {
	n := engine.Network{
		Name:             m.cfg.DefaultNetwork,
		ID:               IDFromName(m.cfg.DefaultNetwork),
		Driver:           "bridge",
		NetworkInterface: "podman0",
		Created:          time.Now(),
		IPAMOptions:      map[string]string{"driver": "host-local"},
	}
	if _, ipn, err := parseCIDR(m.cfg.DefaultSubnet); err == nil {
		n.Subnets = []engine.Subnet{{Subnet: ipn.String(), Gateway: firstIP(ipn).String()}}
	}
	return n
}

// load reads every definition; files that do not parse are skipped, as
// Podman skips them (with a warning there).
func (m *Manager) load() (map[string]engine.Network, error) {
	out := map[string]engine.Network{}
	entries, err := os.ReadDir(m.cfg.ConfigDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(m.cfg.ConfigDir, e.Name()))
		if err != nil {
			continue
		}
		var n engine.Network
		if json.Unmarshal(data, &n) != nil || n.Name+".json" != e.Name() || !nameRE.MatchString(n.Name) {
			continue
		}
		out[n.Name] = n
	}
	if _, ok := out[m.cfg.DefaultNetwork]; !ok {
		out[m.cfg.DefaultNetwork] = m.defaultNetwork()
	}
	return out, nil
}

// List returns all networks sorted by name.
func (m *Manager) List() ([]engine.Network, error) {
	nets, err := m.load()
	if err != nil {
		return nil, err
	}
	out := make([]engine.Network, 0, len(nets))
	for _, n := range nets {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Get finds a network by name, full ID or unique ID prefix. "bridge" means
// the default network, for Docker users.
func (m *Manager) Get(nameOrID string) (engine.Network, error) {
	nets, err := m.load()
	if err != nil {
		return engine.Network{}, err
	}
	return lookup(nets, nameOrID, m.cfg.DefaultNetwork)
}

func lookup(nets map[string]engine.Network, nameOrID, def string) (engine.Network, error) {
	if n, ok := nets[nameOrID]; ok {
		return n, nil
	}
	if nameOrID == "bridge" {
		return nets[def], nil
	}
	var found []engine.Network
	if nameOrID != "" && len(nameOrID) <= 64 && isHex(nameOrID) {
		for _, n := range nets {
			if strings.HasPrefix(n.ID, nameOrID) {
				found = append(found, n)
			}
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return engine.Network{}, ErrNotFound(nameOrID)
	}
	return engine.Network{}, errorf(engine.ErrAmbiguous, "more than one result for network ID %s", nameOrID)
}

func isHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// Create validates o, fills in a free subnet and interface name when none
// were given, and writes the definition atomically.
func (m *Manager) Create(o engine.NetworkCreateOptions) (engine.Network, error) {
	unlock, err := m.lock()
	if err != nil {
		return engine.Network{}, err
	}
	defer unlock()
	nets, err := m.load()
	if err != nil {
		return engine.Network{}, err
	}
	if o.Name != "" {
		if n, ok := nets[o.Name]; ok {
			if o.Ignore {
				return n, nil
			}
			return engine.Network{}, errorf(engine.ErrNameInUse, "network name %s already used: network already exists", o.Name)
		}
	}
	n, err := m.build(o, nets)
	if err != nil {
		return engine.Network{}, err
	}
	if err := writeJSONAtomic(filepath.Join(m.cfg.ConfigDir, n.Name+".json"), n); err != nil {
		return engine.Network{}, err
	}
	return n, nil
}

// Remove deletes the definition of name. The caller checks that no
// container uses it.
func (m *Manager) Remove(name string) error {
	if name == m.cfg.DefaultNetwork {
		return errorf(engine.ErrInvalidArg, "default network %s cannot be removed", name)
	}
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	nets, err := m.load()
	if err != nil {
		return err
	}
	n, ok := nets[name]
	if !ok || name == m.cfg.DefaultNetwork {
		return ErrNotFound(name)
	}
	if err := os.Remove(filepath.Join(m.cfg.ConfigDir, name+".json")); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotFound(name)
		}
		return err
	}
	// The definition is gone; what remains of it on the host goes too.
	_ = m.releaseBridge(context.Background(), n)
	if st, err := m.loadIPAM(); err == nil {
		delete(st.Networks, name)
		_ = m.saveIPAM(st)
	}
	return nil
}

func randomID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// writeJSONAtomic writes v as Podman formats network files (5-space indent)
// through a temp file, fsync and rename.
func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "     ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(data, '\n'), 0o644, true)
}

// writeFileAtomic writes through a temp file and a rename. sync adds an
// fsync, for files that must survive a power loss; run-dir state (IPAM,
// attachments) lives on tmpfs and only needs to survive a killed process.
func writeFileAtomic(path string, data []byte, mode os.FileMode, sync bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
