package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/spf13/cobra"
)

// runCLI runs selkie in-process and returns stdout, stderr and the exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &command.Globals{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	err := run(context.Background(), args, g)
	return out.String(), errb.String(), ExitCode(err)
}

func TestRootErrors(t *testing.T) {
	tests := []struct {
		args       []string
		wantCode   int
		wantStderr []string
		wantStdout string
	}{
		{args: nil, wantCode: 125, wantStderr: []string{"Error: missing command 'selkie COMMAND'"}, wantStdout: "Usage:"},
		{args: []string{"system"}, wantCode: 125, wantStderr: []string{"Error: missing command 'selkie system COMMAND'"}, wantStdout: "info"},
		{args: []string{"bogus"}, wantCode: 125, wantStderr: []string{"Error: unrecognized command `selkie bogus`", "Try 'selkie --help' for more information"}},
		{args: []string{"verson"}, wantCode: 125, wantStderr: []string{"Did you mean this?\n\tversion"}},
		{args: []string{"system", "bogus"}, wantCode: 125, wantStderr: []string{"Error: unrecognized command `selkie system bogus`", "Try 'selkie system --help'"}},
		{args: []string{"--bogus"}, wantCode: 125, wantStderr: []string{"Error: unknown flag: --bogus", "See 'selkie --help'"}},
		{args: []string{"version", "--bogus"}, wantCode: 125, wantStderr: []string{"Error: unknown flag: --bogus", "See 'selkie version --help'"}},
		{args: []string{"version", "extra"}, wantCode: 125, wantStderr: []string{"Error: `selkie version` takes no arguments"}},
		{args: []string{"--log-level", "bogus", "version"}, wantCode: 125, wantStderr: []string{`Log Level "bogus" is not supported`}},
		{args: []string{"version", "--format", "{{.Nope}}"}, wantCode: 125, wantStderr: []string{`Error: template: version:1:2: executing "version" at <.Nope>: can't evaluate field Nope`}},
		{args: []string{"version", "--format", "{{.Client.Version"}, wantCode: 125, wantStderr: []string{"unclosed action"}},
		{args: []string{"--version"}, wantCode: 0, wantStdout: "selkie version "},
		{args: []string{"-v"}, wantCode: 0, wantStdout: "selkie version "},
		{args: []string{"help"}, wantCode: 0, wantStdout: "Available Commands:"},
		{args: []string{"help", "version"}, wantCode: 0, wantStdout: "selkie version [options]"},
		{args: []string{"completion", "bash"}, wantCode: 0, wantStdout: "bash completion"},
		{args: []string{"completion", "zsh"}, wantCode: 0, wantStdout: "#compdef selkie"},
		{args: []string{"completion", "fish"}, wantCode: 0, wantStdout: "complete -c selkie"},
		{args: []string{"completion", "--no-desc", "powershell"}, wantCode: 0, wantStdout: "Register-ArgumentCompleter"},
		{args: []string{"completion"}, wantCode: 125, wantStderr: []string{"Error: accepts 1 arg(s), received 0"}},
		{args: []string{"completion", "tcsh"}, wantCode: 125, wantStderr: []string{`invalid argument "tcsh" for "selkie completion"`}},
		{args: []string{"__complete", "vers"}, wantCode: 0, wantStdout: "version\t"},
		{args: []string{"version", "--help"}, wantCode: 0, wantStdout: "Description:\n  Display the version"},
		{args: []string{"--help"}, wantCode: 0, wantStdout: "Usage:\n  selkie [options] [command]\n\nAvailable Commands:"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := runCLI(t, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errOut)
			}
			for _, w := range tc.wantStderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
			if !strings.Contains(out, tc.wantStdout) {
				t.Errorf("stdout %q lacks %q", out, tc.wantStdout)
			}
			if strings.Contains(out, "[=true|false]") {
				t.Errorf("help shows pflag's boolean suffix: %q", out)
			}
			if tc.wantCode != 0 && strings.Count(errOut, "Error:") != 1 {
				t.Errorf("want exactly one Error: line, got %q", errOut)
			}
		})
	}
}

func TestVersionFormats(t *testing.T) {
	out, _, code := runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(out, "Client:       Selkie Engine\nVersion:      ") || !strings.Contains(out, "\nOS/Arch:      linux/") {
		t.Errorf("version: %d %q", code, out)
	}
	out, _, _ = runCLI(t, "version", "--format", "json")
	if !strings.HasPrefix(out, `{"Client":{"Version":"`) || strings.Count(out, "\n") != 1 {
		t.Errorf("version json %q", out)
	}
	out, _, _ = runCLI(t, "version", "--format", "{{json .Client.OsArch}} {{.Client.APIVersion}}")
	if out != "\"linux/amd64\" 4.3.1\n" && !strings.HasSuffix(out, " 4.3.1\n") {
		t.Errorf("version template %q", out)
	}
}

// Commands that need no engine must not read containers.conf or open the
// store: with a CONTAINERS_CONF that does not exist and a --root that cannot
// be created they still succeed.
func TestNoEngineCommandsTouchNothing(t *testing.T) {
	t.Setenv("CONTAINERS_CONF", "/nonexistent/containers.conf")
	for _, args := range [][]string{
		{"--root", "/proc/nope", "version"},
		{"--root", "/proc/nope", "--version"},
		{"--root", "/proc/nope", "help"},
		{"--root", "/proc/nope", "completion", "bash"},
	} {
		if out, errOut, code := runCLI(t, args...); code != 0 {
			t.Errorf("%v: exit %d: %s %s", args, code, out, errOut)
		}
	}
	// info does need the config: the bad CONTAINERS_CONF is reported.
	_, errOut, code := runCLI(t, "--root", t.TempDir(), "info")
	if code != 125 || !strings.Contains(errOut, "CONTAINERS_CONF file") {
		t.Errorf("info with missing CONTAINERS_CONF: %d %q", code, errOut)
	}
}

// Every command documents itself.
func TestEveryCommandHasHelp(t *testing.T) {
	g := command.NewGlobals()
	root := newRoot(g)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Short == "" {
			t.Errorf("%q has no Short help", c.CommandPath())
		}
		if !strings.HasPrefix(c.Use, c.Name()) {
			t.Errorf("%q: Use %q does not start with the name", c.CommandPath(), c.Use)
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
}
