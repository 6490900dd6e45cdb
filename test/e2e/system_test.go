package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/internal/testenv"
	"sigs.k8s.io/yaml"
)

// writeConf writes a containers.conf into the test's temp dir.
func writeConf(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Configuration precedence is visible in `info --format`: CONTAINERS_CONF
// replaces the system files, CONTAINERS_CONF_OVERRIDE beats it, flags beat both.
func TestSystemConfigPrecedence(t *testing.T) {
	testenv.RequiresRoot(t)
	conf := writeConf(t, "containers.conf", `
[containers]
log_driver = "journald"
unknown_key_is_ignored = true
[engine]
events_logger = "none"
cgroup_manager = "systemd"
runtime = "runc"
[network]
network_backend = "cni"
[not_a_table_selkie_knows]
x = 1
`)
	override := writeConf(t, "override.conf", "[network]\nnetwork_backend = \"netavark\"\n")
	c := testenv.NewCLI(t)
	const tmpl = "{{.Host.LogDriver}} {{.Host.EventLogger}} {{.Host.CgroupManager}} {{.Host.NetworkBackend}} {{.Host.OCIRuntime.Name}}"
	tests := []struct {
		name  string
		env   []string
		flags []string
		want  string
	}{
		{"CONTAINERS_CONF", []string{"CONTAINERS_CONF=" + conf}, nil, "journald none systemd cni runc"},
		{"override wins over CONTAINERS_CONF", []string{"CONTAINERS_CONF=" + conf, "CONTAINERS_CONF_OVERRIDE=" + override}, nil, "journald none systemd netavark runc"},
		{"flags win over files", []string{"CONTAINERS_CONF=" + conf}, []string{"--cgroup-manager", "cgroupfs", "--events-backend", "file"}, "journald file cgroupfs cni runc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cc := *c
			cc.Env = tc.env
			got := cc.Must(t, append(tc.flags, "info", "--format", tmpl)...)
			if got != tc.want {
				t.Errorf("info = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSystemMalformedConfig(t *testing.T) {
	c := testenv.NewCLI(t)
	tests := []struct {
		name, content string
		want          []string
	}{
		{"syntax", "[containers]\nlog_driver = \"k8s-file\"\npids_limit = \n", []string{"line 3", "containers.pids_limit"}},
		{"type", "[engine]\n\nstop_timeout = \"ten\"\n", []string{"line 3", "stop_timeout"}},
		{"unterminated table", "[engine]\n[network\n", []string{"line ", "to end table name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conf := writeConf(t, "bad.conf", tc.content)
			cc := *c
			cc.Env = []string{"CONTAINERS_CONF=" + conf}
			r := cc.Run("info")
			if r.ExitCode != 125 {
				t.Fatalf("want exit 125: %s", r)
			}
			for _, w := range append(tc.want, conf) {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, r.Stderr)
				}
			}
			if r.Stdout != "" {
				t.Errorf("stdout not empty: %q", r.Stdout)
			}
			// version never reads the configuration, so it still works.
			if v := cc.Run("version"); v.ExitCode != 0 {
				t.Errorf("version with a broken containers.conf: %s", v)
			}
		})
	}
	for _, flags := range [][]string{
		{"--cgroup-manager", "bogus"},
		{"--events-backend", "bogus"},
		{"--runtime", "bogus"},
	} {
		if r := c.Run(append(flags, "info")...); r.ExitCode != 125 || !strings.Contains(r.Stderr, "invalid argument") {
			t.Errorf("%v: want exit 125 with invalid argument: %s", flags, r)
		}
	}
	cc := *c
	cc.Env = []string{"CONTAINERS_CONF=/nonexistent/containers.conf"}
	if r := cc.Run("info"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "CONTAINERS_CONF file") {
		t.Errorf("missing CONTAINERS_CONF: %s", r)
	}
}

func TestSystemInfoFormats(t *testing.T) {
	testenv.RequiresRoot(t)
	c := testenv.NewCLI(t)
	regConf := writeConf(t, "registries.conf", "unqualified-search-registries = [\"registry.example:5000\", \"docker.io\"]\n[[registry]]\nlocation = \"registry.example:5000\"\ninsecure = true\n")
	c.RegistriesConf = regConf

	// Default: YAML with Podman's keys.
	out := c.Must(t, "info")
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("info is not YAML: %v\n%s", err, out)
	}
	for _, k := range []string{"host", "store", "registries", "version", "plugins"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("info lacks %q:\n%s", k, out)
		}
	}
	for _, want := range []string{"  conmon:\n", "  ociRuntime:\n", "graphRoot: " + c.Root, "runRoot: " + c.RunRoot, "imageStore:\n    number: 0", "cgroupVersion: v"} {
		if !strings.Contains(out, want) {
			t.Errorf("info YAML lacks %q", want)
		}
	}

	// JSON carries the same tree.
	var info struct {
		Host struct {
			Conmon     struct{ Path, Version string } `json:"conmon"`
			OCIRuntime struct{ Name, Path string }    `json:"ociRuntime"`
		} `json:"host"`
		Store struct {
			GraphRoot       string `json:"graphRoot"`
			GraphDriverName string `json:"graphDriverName"`
			ContainerStore  struct {
				Number int `json:"number"`
			} `json:"containerStore"`
		} `json:"store"`
		Registries map[string]json.RawMessage `json:"registries"`
	}
	js := c.Must(t, "info", "--format", "json")
	if err := json.Unmarshal([]byte(js), &info); err != nil {
		t.Fatalf("info --format json: %v\n%s", err, js)
	}
	if info.Store.GraphRoot != c.Root || info.Store.GraphDriverName == "" {
		t.Errorf("store %+v", info.Store)
	}
	if testenv.LookPath("conmon") != "" && (info.Host.Conmon.Path == "" || !strings.Contains(info.Host.Conmon.Version, "conmon version")) {
		t.Errorf("conmon not detected: %+v", info.Host.Conmon)
	}
	if testenv.LookPath("runc") != "" && info.Host.OCIRuntime.Path == "" {
		t.Errorf("OCI runtime not detected: %+v", info.Host.OCIRuntime)
	}
	var search bytes.Buffer
	if err := json.Compact(&search, info.Registries["search"]); err != nil || search.String() != `["registry.example:5000","docker.io"]` {
		t.Errorf("registries search = %s (%v)", info.Registries["search"], err)
	}
	if _, ok := info.Registries["registry.example:5000"]; !ok {
		t.Errorf("registries lack the [[registry]] entry: %v", info.Registries)
	}

	// Templates over Go field names, as Podman's.
	if got := c.Must(t, "info", "--format", "{{.Store.GraphRoot}}|{{.Store.RunRoot}}|{{.Store.ImageStore.Number}}"); got != c.Root+"|"+c.RunRoot+"|0" {
		t.Errorf("info template = %q", got)
	}
	if got := c.Must(t, "system", "info", "--format", "{{json .Registries.search}}"); got != `["registry.example:5000","docker.io"]` {
		t.Errorf("system info json template = %q", got)
	}
	if r := c.Run("info", "--format", "{{.Store.Bogus}}"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "can't evaluate field Bogus") || r.Stdout != "" {
		t.Errorf("bad template: %s", r)
	}
}

func TestSystemVersionAndErrors(t *testing.T) {
	c := testenv.NewCLI(t)
	if got := c.Must(t, "version", "--format", "{{.Client.APIVersion}} {{.Client.Os}}"); got != "4.3.1 linux" {
		t.Errorf("version template %q", got)
	}
	js := c.Must(t, "version", "--format", "{{json .Client}}")
	var v map[string]any
	if err := json.Unmarshal([]byte(js), &v); err != nil || v["Version"] == "" {
		t.Errorf("version {{json .Client}} = %q (%v)", js, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nosuchcommand"}, "unrecognized command `selkie nosuchcommand`"},
		{[]string{"--nosuchflag", "version"}, "unknown flag: --nosuchflag"},
		{[]string{"version", "--format", "{{.Client.Version"}, "unclosed action"},
		{[]string{"system"}, "missing command 'selkie system COMMAND'"},
	} {
		r := c.Run(tc.args...)
		if r.ExitCode != 125 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v: want exit 125 and %q: %s", tc.args, tc.want, r)
		}
	}
}
