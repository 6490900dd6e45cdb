package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

func TestSmokeVersion(t *testing.T) {
	c := testenv.NewCLI(t)
	out := c.Must(t, "version")
	for _, want := range []string{"Version:", "API Version:", "Go Version:", "OS/Arch:"} {
		if !strings.Contains(out, want) {
			t.Errorf("selkie version lacks %q:\n%s", want, out)
		}
	}
	if v := c.Must(t, "--version"); !regexp.MustCompile(`^selkie version \S+$`).MatchString(v) {
		t.Errorf("selkie --version = %q", v)
	}
	var doc struct {
		Client struct{ Version, APIVersion, OsArch string }
	}
	if err := json.Unmarshal([]byte(c.Must(t, "version", "--format", "json")), &doc); err != nil {
		t.Fatalf("version --format json: %v", err)
	}
	if doc.Client.Version == "" || doc.Client.OsArch == "" {
		t.Errorf("version json incomplete: %+v", doc)
	}
	if got := c.Must(t, "version", "--format", "{{.Client.Version}}"); got != doc.Client.Version {
		t.Errorf("template version %q, json %q", got, doc.Client.Version)
	}
}

func TestSmokeInfoJSON(t *testing.T) {
	testenv.RequiresRoot(t)
	c := testenv.NewCLI(t)
	var info struct {
		Host  map[string]any `json:"host"`
		Store struct {
			GraphRoot string `json:"graphRoot"`
			RunRoot   string `json:"runRoot"`
		} `json:"store"`
	}
	out := c.Must(t, "info", "--format", "json")
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("info --format json does not parse: %v\n%s", err, out)
	}
	if info.Store.GraphRoot != c.Root || info.Store.RunRoot != c.RunRoot {
		t.Errorf("store roots %q %q, want %q %q", info.Store.GraphRoot, info.Store.RunRoot, c.Root, c.RunRoot)
	}
	if info.Host["os"] != "linux" {
		t.Errorf("host.os = %v", info.Host["os"])
	}
	if got := c.Must(t, "info", "--format", "{{.Store.GraphRoot}}"); got != c.Root {
		t.Errorf("info template graphRoot %q, want %q", got, c.Root)
	}
}

func TestSmokeUnknownCommand(t *testing.T) {
	c := testenv.NewCLI(t)
	for _, args := range [][]string{{"no-such-command"}, {"version", "--no-such-flag"}} {
		r := c.Run(args...)
		if r.ExitCode != 125 {
			t.Errorf("selkie %v: exit %d, want 125\n%s", args, r.ExitCode, r)
		}
		if !strings.Contains(r.Stderr, "Error:") {
			t.Errorf("selkie %v: no error message on stderr: %q", args, r.Stderr)
		}
		if r.Stdout != "" {
			t.Errorf("selkie %v: unexpected stdout %q", args, r.Stdout)
		}
	}
}

func TestSmokeHelpListsCommands(t *testing.T) {
	c := testenv.NewCLI(t)
	out := c.Must(t, "--help")
	if !strings.Contains(out, "Available Commands:") {
		t.Fatalf("no command list in --help:\n%s", out)
	}
	for _, cmd := range []string{"info", "version"} {
		if !regexp.MustCompile(`(?m)^\s+` + cmd + `\s`).MatchString(out) {
			t.Errorf("--help does not list %q", cmd)
		}
	}
	if got := c.Must(t, "help"); got != out {
		t.Errorf("`selkie help` differs from `selkie --help`")
	}
}

// TestSmokeDemo is `make demo` in private storage: an offline busybox
// oci-archive is pulled, tagged and run.
func TestSmokeDemo(t *testing.T) {
	testenv.RequiresRoot(t)
	testenv.RequiresBinary(t, "runc", "conmon")
	c := testenv.NewCLI(t)
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	if err := testenv.WriteOCIArchive(archive, "localhost/busybox:latest", testenv.ImageSpec{}); err != nil {
		t.Fatal(err)
	}
	out := c.Must(t, "pull", "oci-archive:"+archive)
	id := out[strings.LastIndex(out, "\n")+1:]
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
		t.Fatalf("pull did not print an image ID: %q", out)
	}
	c.Must(t, "tag", id, "localhost/demo:latest")
	if got := c.Must(t, "run", "--rm", "localhost/demo", "echo", "Hello from Selkie"); got != "Hello from Selkie" {
		t.Errorf("run printed %q", got)
	}
	if ps := c.Must(t, "ps", "-aq"); ps != "" {
		t.Errorf("run --rm left containers: %q", ps)
	}
}

// TestSmokeDemoScript runs hack/demo.sh (what `make demo` runs after
// installing packages and building) against private storage.
func TestSmokeDemoScript(t *testing.T) {
	testenv.RequiresRoot(t)
	testenv.RequiresBinary(t, "runc", "conmon", "go", "bash")
	c := testenv.NewCLI(t)
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := boundedCmd(5*time.Minute, "bash", filepath.Join(root, "hack", "demo.sh"))
	cmd.Env = append(os.Environ(), "SELKIE="+c.Bin, "DEMO_FLAGS="+strings.Join(c.Args(), " "))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo.sh: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^Hello from Selkie$`).Match(out) {
		t.Errorf("demo did not print the greeting:\n%s", out)
	}
	if !strings.Contains(c.Must(t, "images"), "localhost/busybox") {
		t.Errorf("demo image not in the store")
	}
}
