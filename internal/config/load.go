package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/BurntSushi/toml"
)

// LoadOptions says whose configuration to load.
type LoadOptions struct {
	// Rootless selects the per-user files and paths.
	Rootless bool
	// Home is the user's home directory (rootless only).
	Home string
	// Getenv reads the environment; os.Getenv when nil.
	Getenv func(string) string
}

// Load merges the containers.conf files in Podman's order onto the defaults.
// Later files override earlier ones key by key; a malformed file is an error
// that names the file and the line.
func Load(o LoadOptions) (*Config, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	c := Default()
	c.Rootless = o.Rootless
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

// configFiles lists the files to read, in order. CONTAINERS_CONF replaces the
// system and user files; CONTAINERS_CONF_OVERRIDE is read last.
func configFiles(o LoadOptions, getenv func(string) string) ([]string, error) {
	var files []string
	if env := getenv("CONTAINERS_CONF"); env != "" {
		if _, err := os.Stat(env); err != nil {
			return nil, fmt.Errorf("CONTAINERS_CONF file: %w", err)
		}
		files = append(files, env)
	} else {
		for _, base := range []string{"/usr/share/containers/containers.conf", "/etc/containers/containers.conf"} {
			files = append(files, existing(base)...)
			files = append(files, dropIns(base+".d")...)
		}
		if o.Rootless {
			cfgHome := getenv("XDG_CONFIG_HOME")
			if cfgHome == "" && o.Home != "" {
				cfgHome = filepath.Join(o.Home, ".config")
			}
			if cfgHome != "" {
				user := filepath.Join(cfgHome, "containers", "containers.conf")
				files = append(files, existing(user)...)
				files = append(files, dropIns(user+".d")...)
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

func existing(path string) []string {
	if _, err := os.Stat(path); err == nil {
		return []string{path}
	}
	return nil
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
// only overwrites the keys the file sets, which is exactly the layering we want.
func (c *Config) mergeFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if _, err := toml.Decode(string(data), c); err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return fmt.Errorf("decoding %s: line %d: %s", path, perr.Position.Line, perr.Message)
		}
		return fmt.Errorf("decoding %s: %w", path, err)
	}
	c.Files = append(c.Files, path)
	return nil
}
