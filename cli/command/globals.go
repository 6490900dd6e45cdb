// Package command holds what every selkie command shares: the global flags,
// the lazily built engine, and the loop over many names.
package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// Globals are the root command's persistent flags plus the engine they select.
// One Globals lives for one selkie invocation; nothing here is package-level.
type Globals struct {
	Root           string
	RunRoot        string
	StorageDriver  string
	StorageOpts    []string
	LogLevel       string
	Runtime        string
	CgroupManager  string
	TmpDir         string
	RegistriesConf string
	Remote         bool
	URL            string
	// Conmon, NetworkConfigDir, EventsBackend and VolumePath override the
	// matching containers.conf keys; NoOut discards stdout; Syslog is accepted
	// for Podman compatibility.
	Conmon           string
	NetworkConfigDir string
	EventsBackend    string
	VolumePath       string
	NoOut            bool
	Syslog           bool

	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	eng  engine.Engine
	deps *deps
}

// NewGlobals returns Globals writing to the process's stdio.
func NewGlobals() *Globals {
	return &Globals{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
}

// Engine builds the engine on first use, so that commands which need none
// (version, help, completion) never open the store or read the config.
func (g *Globals) Engine() (engine.Engine, error) {
	if g.eng != nil {
		return g.eng, nil
	}
	eng, err := g.newEngine()
	if err != nil {
		return nil, err
	}
	g.eng = eng
	return eng, nil
}

// Close releases the engine if one was built.
func (g *Globals) Close() error {
	if g.eng == nil {
		return nil
	}
	return g.eng.Close()
}

// EachName runs fn for every name in turn, prints each name that succeeded
// (as Podman does for stop, rm, kill …) and reports every failure on stderr.
// The last error is returned so the exit code reflects a failure.
func (g *Globals) EachName(ctx context.Context, names []string, fn func(ctx context.Context, eng engine.Engine, name string) (string, error)) error {
	eng, err := g.Engine()
	if err != nil {
		return err
	}
	var last error
	for _, n := range names {
		out, err := fn(ctx, eng, n)
		if err != nil {
			if last != nil {
				fmt.Fprintln(g.Stderr, "Error:", last)
			}
			last = err
			continue
		}
		if out != "" {
			fmt.Fprintln(g.Stdout, out)
		}
	}
	return last
}

// ExitError makes selkie exit with Code after printing nothing more.
type ExitError = engine.ExitCodeError

// ExitCode maps an error to the process exit status as Podman does: 0 for
// success, the container's own code for an *engine.ExitCodeError, 125 for any
// other engine or usage error.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *engine.ExitCodeError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 125
}

// NoArgs is cobra.NoArgs with Podman's wording.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("`%s` takes no arguments", cmd.CommandPath())
	}
	return nil
}

// MinArgs requires at least n arguments, with Podman's wording.
func MinArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return fmt.Errorf("%q requires at least %d argument(s)", cmd.CommandPath(), n)
		}
		return nil
	}
}

// ExistsCommand is `NOUN exists NAME` for every noun: exit 0 when exists
// reports the object, 1 when not, 125 on an error, as Podman.
func ExistsCommand(g *Globals, use, short, long string, exists func(ctx context.Context, eng engine.Engine, name string) (bool, error)) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			ok, err := exists(cmd.Context(), eng, args[0])
			if err != nil {
				return err
			}
			if !ok {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
}
