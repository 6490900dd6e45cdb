package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/engine"
)

// layout writes files (relative path -> content) under a temp dir and returns it.
func layout(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadLayers(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		env      map[string]string // values may use $DIR for the temp dir
		rootless bool
		wantTZ   string
		wantLog  string
		wantRel  []string // files read, relative to the temp dir
	}{
		{
			name:    "defaults only",
			wantTZ:  "",
			wantLog: "k8s-file",
		},
		{
			name: "etc overrides usr share key by key",
			files: map[string]string{
				"usr/containers.conf": "[containers]\ntz = \"usr\"\nlog_driver = \"journald\"\n",
				"etc/containers.conf": "[containers]\ntz = \"etc\"\n",
			},
			wantTZ: "etc", wantLog: "journald",
			wantRel: []string{"usr/containers.conf", "etc/containers.conf"},
		},
		{
			name: "drop-ins follow their file in lexical order",
			files: map[string]string{
				"usr/containers.conf":           "[containers]\ntz = \"usr\"\n",
				"usr/containers.conf.d/20.conf": "[containers]\ntz = \"usr-20\"\n",
				"usr/containers.conf.d/10.conf": "[containers]\ntz = \"usr-10\"\nlog_driver = \"none\"\n",
				"usr/containers.conf.d/30.txt":  "[containers]\ntz = \"ignored\"\n",
				"etc/containers.conf.d/05.conf": "[containers]\ntz = \"etc-05\"\n",
			},
			wantTZ: "etc-05", wantLog: "none",
			wantRel: []string{"usr/containers.conf", "usr/containers.conf.d/10.conf", "usr/containers.conf.d/20.conf", "etc/containers.conf.d/05.conf"},
		},
		{
			name: "rootless reads XDG_CONFIG_HOME after the system files",
			files: map[string]string{
				"etc/containers.conf":                     "[containers]\ntz = \"etc\"\n",
				"xdg/containers/containers.conf":          "[containers]\ntz = \"user\"\n",
				"xdg/containers/containers.conf.d/a.conf": "[containers]\nlog_driver = \"passthrough\"\n",
			},
			env:      map[string]string{"XDG_CONFIG_HOME": "$DIR/xdg"},
			rootless: true,
			wantTZ:   "user", wantLog: "passthrough",
			wantRel: []string{"etc/containers.conf", "xdg/containers/containers.conf", "xdg/containers/containers.conf.d/a.conf"},
		},
		{
			name: "rootless falls back to HOME/.config",
			files: map[string]string{
				"home/.config/containers/containers.conf": "[containers]\ntz = \"home\"\n",
			},
			rootless: true,
			wantTZ:   "home", wantLog: "k8s-file",
			wantRel: []string{"home/.config/containers/containers.conf"},
		},
		{
			name: "root ignores the user file",
			files: map[string]string{
				"xdg/containers/containers.conf": "[containers]\ntz = \"user\"\n",
			},
			env:     map[string]string{"XDG_CONFIG_HOME": "$DIR/xdg"},
			wantTZ:  "",
			wantLog: "k8s-file",
		},
		{
			name: "CONTAINERS_CONF replaces every other file",
			files: map[string]string{
				"etc/containers.conf":            "[containers]\ntz = \"etc\"\nlog_driver = \"journald\"\n",
				"etc/containers.conf.d/a.conf":   "[containers]\ntz = \"etc-a\"\n",
				"xdg/containers/containers.conf": "[containers]\ntz = \"user\"\n",
				"env.conf":                       "[containers]\ntz = \"env\"\n",
			},
			env:      map[string]string{"CONTAINERS_CONF": "$DIR/env.conf", "XDG_CONFIG_HOME": "$DIR/xdg"},
			rootless: true,
			wantTZ:   "env", wantLog: "k8s-file",
			wantRel: []string{"env.conf"},
		},
		{
			name: "CONTAINERS_CONF_OVERRIDE is read last",
			files: map[string]string{
				"etc/containers.conf":          "[containers]\ntz = \"etc\"\nlog_driver = \"journald\"\n",
				"etc/containers.conf.d/z.conf": "[containers]\ntz = \"etc-z\"\n",
				"override.conf":                "[containers]\ntz = \"override\"\n",
			},
			env:    map[string]string{"CONTAINERS_CONF_OVERRIDE": "$DIR/override.conf"},
			wantTZ: "override", wantLog: "journald",
			wantRel: []string{"etc/containers.conf", "etc/containers.conf.d/z.conf", "override.conf"},
		},
		{
			name: "unknown keys and tables are ignored",
			files: map[string]string{
				"etc/containers.conf": "[containers]\ntz = \"etc\"\nno_such_key = 3\n[no_such_table]\nx = \"y\"\n[engine.volume_plugins]\n",
			},
			wantTZ: "etc", wantLog: "k8s-file",
			wantRel: []string{"etc/containers.conf"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := layout(t, tc.files)
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = strings.ReplaceAll(v, "$DIR", dir)
			}
			c, err := Load(LoadOptions{
				Rootless:    tc.rootless,
				Home:        filepath.Join(dir, "home"),
				Getenv:      envFrom(env),
				SystemFiles: []string{filepath.Join(dir, "usr/containers.conf"), filepath.Join(dir, "etc/containers.conf")},
			})
			if err != nil {
				t.Fatal(err)
			}
			if c.Containers.TZ != tc.wantTZ || c.Containers.LogDriver != tc.wantLog {
				t.Errorf("tz=%q log_driver=%q, want %q %q", c.Containers.TZ, c.Containers.LogDriver, tc.wantTZ, tc.wantLog)
			}
			var rel []string
			for _, f := range c.Files {
				r, _ := filepath.Rel(dir, f)
				rel = append(rel, r)
			}
			if !reflect.DeepEqual(rel, tc.wantRel) {
				t.Errorf("files read %q, want %q", rel, tc.wantRel)
			}
		})
	}
}

func TestLoadMergesRuntimesAndReplacesLists(t *testing.T) {
	dir := layout(t, map[string]string{
		"etc/containers.conf": "[containers]\ndefault_capabilities = [\"chown\"]\n[engine.runtimes]\nkrun = [\"/usr/bin/krun\"]\nrunc = [\"/opt/runc\"]\n",
	})
	c, err := Load(LoadOptions{Getenv: envFrom(nil), SystemFiles: []string{filepath.Join(dir, "etc/containers.conf")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Engine.Runtimes["krun"]; !reflect.DeepEqual(got, []string{"/usr/bin/krun"}) {
		t.Errorf("krun = %q", got)
	}
	if got := c.Engine.Runtimes["runc"]; !reflect.DeepEqual(got, []string{"/opt/runc"}) {
		t.Errorf("runc = %q, want the file's list to replace the default", got)
	}
	if len(c.Engine.Runtimes["crun"]) == 0 {
		t.Error("crun default lost: [engine.runtimes] must merge, not replace")
	}
	if got := c.Capabilities(); !reflect.DeepEqual(got, []string{"CAP_CHOWN"}) {
		t.Errorf("capabilities = %q", got)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		env   map[string]string
		want  []string
	}{
		{
			name:  "syntax error names file and line",
			files: map[string]string{"etc/containers.conf": "[containers]\ntz = \"x\"\nfoo = \n"},
			want:  []string{"etc/containers.conf", "line 3", "containers.foo"},
		},
		{
			name:  "type error names file and line",
			files: map[string]string{"etc/containers.conf": "[containers]\n\npids_limit = \"many\"\n"},
			want:  []string{"etc/containers.conf", "line 3", "pids_limit"},
		},
		{
			name: "malformed drop-in is reported too",
			files: map[string]string{
				"etc/containers.conf":          "[containers]\n",
				"etc/containers.conf.d/b.conf": "[engine]\nruntime = \n",
			},
			want: []string{"containers.conf.d/b.conf", "line 2", "engine.runtime"},
		},
		{
			name: "missing CONTAINERS_CONF",
			env:  map[string]string{"CONTAINERS_CONF": "$DIR/nope.conf"},
			want: []string{"CONTAINERS_CONF file", "nope.conf", "no such file"},
		},
		{
			name: "missing CONTAINERS_CONF_OVERRIDE",
			env:  map[string]string{"CONTAINERS_CONF_OVERRIDE": "$DIR/nope.conf"},
			want: []string{"CONTAINERS_CONF_OVERRIDE file", "no such file"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := layout(t, tc.files)
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = strings.ReplaceAll(v, "$DIR", dir)
			}
			_, err := Load(LoadOptions{Getenv: envFrom(env), SystemFiles: []string{filepath.Join(dir, "etc/containers.conf")}})
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestPaths(t *testing.T) {
	root := &Config{}
	if got := root.Paths("/g"); got != (Paths{StaticDir: "/g/libpod", TmpDir: "/run/libpod", VolumePath: "/g/volumes", NetworkConfigDir: "/etc/containers/networks"}) {
		t.Errorf("root paths %+v", got)
	}
	rl := &Config{Rootless: true, RuntimeDir: "/run/user/1000"}
	if got := rl.Paths("/h/.local/share/containers/storage"); got != (Paths{
		StaticDir: "/h/.local/share/containers/storage/libpod", TmpDir: "/run/user/1000/libpod/tmp",
		VolumePath: "/h/.local/share/containers/storage/volumes", NetworkConfigDir: "/h/.local/share/containers/storage/networks",
	}) {
		t.Errorf("rootless paths %+v", got)
	}
	set := &Config{Engine: EngineConfig{StaticDir: "/s", TmpDir: "/t", VolumePath: "/v"}, Network: NetworkConfig{NetworkConfigDir: "/n"}}
	if got := set.Paths("/g"); got != (Paths{"/s", "/t", "/v", "/n"}) {
		t.Errorf("configured paths %+v", got)
	}
	c, err := Load(LoadOptions{Rootless: true, UID: 4242, Getenv: envFrom(map[string]string{"TMPDIR": "/tmpx"}), SystemFiles: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if c.RuntimeDir != "/tmpx/podman-run-4242" {
		t.Errorf("rootless runtime dir fallback %q", c.RuntimeDir)
	}
}

func TestFindBinaries(t *testing.T) {
	dir := t.TempDir()
	exe := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	myrunc := exe("myrunc")
	helper := exe("helper1")
	if err := os.WriteFile(filepath.Join(dir, "noexec"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.Engine.Runtimes = map[string][]string{"runc": {filepath.Join(dir, "missing"), myrunc}, "crun": {filepath.Join(dir, "noexec")}}
	c.Engine.HelperBinariesDir = []string{filepath.Join(dir, "none"), dir}
	c.Engine.ConmonPath = []string{filepath.Join(dir, "nope")}
	t.Setenv("PATH", dir)

	if p, err := c.FindRuntime("runc"); err != nil || p != myrunc {
		t.Errorf("FindRuntime(runc) = %q, %v", p, err)
	}
	if _, err := c.FindRuntime("crun"); !errors.Is(err, ErrBinaryNotFound) {
		t.Errorf("non-executable crun: %v", err)
	}
	if _, err := c.FindRuntime("bogus"); !errors.Is(err, engine.ErrInvalidArg) || !strings.Contains(err.Error(), `default OCI runtime "bogus" not found`) {
		t.Errorf("unknown runtime: %v", err)
	}
	if p, err := c.FindRuntime(myrunc); err != nil || p != myrunc {
		t.Errorf("runtime by path = %q, %v", p, err)
	}
	if got := c.RuntimeName(); got != "runc" {
		t.Errorf("RuntimeName with unusable crun = %q", got)
	}
	c.Engine.Runtime = "crun"
	if got := c.RuntimeName(); got != "crun" {
		t.Errorf("configured RuntimeName = %q", got)
	}
	if p, err := c.FindHelperBinary("helper1"); err != nil || p != helper {
		t.Errorf("FindHelperBinary = %q, %v", p, err)
	}
	if _, err := c.FindHelperBinary("absent"); !errors.Is(err, ErrBinaryNotFound) {
		t.Errorf("absent helper: %v", err)
	}
	if _, err := c.FindConmon(); !errors.Is(err, ErrBinaryNotFound) {
		t.Errorf("absent conmon: %v", err)
	}
	conmon := exe("conmon")
	if p, err := c.FindConmon(); err != nil || p != conmon {
		t.Errorf("conmon via helper dir = %q, %v", p, err)
	}
}
