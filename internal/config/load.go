package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/BurntSushi/toml"
)

// Podman's system-wide containers.conf locations, read in this order.
const (
	// VendorConfig is the distribution's file.
	VendorConfig = "/usr/share/containers/containers.conf"
	// AdminConfig is the administrator's file.
	AdminConfig = "/etc/containers/containers.conf"
)

// LoadOptions says whose configuration to load.
type LoadOptions struct {
	// Rootless selects the per-user files and paths.
	Rootless bool
	// UID is the caller's uid, used for rootless fallbacks (/run/user/UID).
	UID int
	// Home is the user's home directory (rootless only).
	Home string
	// Getenv reads the environment; os.Getenv when nil.
	Getenv func(string) string
	// SystemFiles replaces [VendorConfig, AdminConfig]; tests point it at a
	// temp dir. Nil means the real system files.
	SystemFiles []string
}

// Load merges the containers.conf files in Podman's order onto the defaults:
// /usr/share/containers/containers.conf, /etc/containers/containers.conf and,
// rootless, $XDG_CONFIG_HOME (or ~/.config)/containers/containers.conf, each
// followed by its .d/ drop-ins in lexical order. CONTAINERS_CONF replaces that
// whole list with one file; CONTAINERS_CONF_OVERRIDE is read last. Later files
// override earlier ones key by key; unknown keys are ignored; a malformed file
// is an error naming the file and the line.
func Load(o LoadOptions) (*Config, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	c := Default()
	c.Rootless = o.Rootless
	c.Home = o.Home
	if o.Rootless {
		c.RuntimeDir = rootlessRuntimeDir(getenv, o.UID)
	}
	files, err := configFiles(o, getenv)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := c.mergeFile(f); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Files lists the containers.conf files Load would read, in order.
func Files(o LoadOptions) ([]string, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	return configFiles(o, getenv)
}

func configFiles(o LoadOptions, getenv func(string) string) ([]string, error) {
	var files []string
	if env := getenv("CONTAINERS_CONF"); env != "" {
		if _, err := os.Stat(env); err != nil {
			return nil, fmt.Errorf("CONTAINERS_CONF file: %w", err)
		}
		files = append(files, env)
	} else {
		system := o.SystemFiles
		if system == nil {
			system = []string{VendorConfig, AdminConfig}
		}
		for _, base := range system {
			files = append(files, withDropIns(base)...)
		}
		if o.Rootless {
			if user := userConfig(o.Home, getenv); user != "" {
				files = append(files, withDropIns(user)...)
			}
		}
	}
	if env := getenv("CONTAINERS_CONF_OVERRIDE"); env != "" {
		if _, err := os.Stat(env); err != nil {
			return nil, fmt.Errorf("CONTAINERS_CONF_OVERRIDE file: %w", err)
		}
		files = append(files, env)
	}
	return files, nil
}

// userConfig is the rootless per-user containers.conf path.
func userConfig(home string, getenv func(string) string) string {
	cfgHome := getenv("XDG_CONFIG_HOME")
	if cfgHome == "" {
		if home == "" {
			return ""
		}
		cfgHome = filepath.Join(home, ".config")
	}
	return filepath.Join(cfgHome, "containers", "containers.conf")
}

// rootlessRuntimeDir is $XDG_RUNTIME_DIR, else /run/user/UID when it exists
// and is ours, else a per-user directory under the temp dir (as Podman).
func rootlessRuntimeDir(getenv func(string) string, uid int) string {
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		return d
	}
	d := filepath.Join("/run/user", strconv.Itoa(uid))
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d
	}
	tmp := getenv("TMPDIR")
	if tmp == "" {
		tmp = "/tmp"
	}
	return filepath.Join(tmp, "podman-run-"+strconv.Itoa(uid))
}

// withDropIns returns path (when it exists) followed by path.d/*.conf.
func withDropIns(path string) []string {
	var out []string
	if _, err := os.Stat(path); err == nil {
		out = append(out, path)
	}
	return append(out, dropIns(path+".d")...)
}

// dropIns returns the *.conf files of dir in lexical order.
func dropIns(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && filepath.Ext(e.Name()) == ".conf" {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out
}

// mergeFile decodes one file over c. TOML decoding into an existing struct
// only overwrites the keys the file sets (tables such as [engine.runtimes]
// are merged key by key), which is exactly Podman's layering.
func (c *Config) mergeFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("reading system config %q: %w", path, err)
	}
	if _, err := toml.Decode(string(data), c); err != nil {
		// toml's message carries "line N (last key ...)"; Podman's wording around it.
		return fmt.Errorf("reading system config %q: decode configuration %s: %w", path, path, err)
	}
	c.Files = append(c.Files, path)
	return nil
}
