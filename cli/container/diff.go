package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// changeKinds are the letters `diff` prints, in Docker's Kind order.
var changeKinds = [...]string{"C", "A", "D"}

func newDiffCommand(g *command.Globals) *cobra.Command {
	var (
		latest bool
		fmtStr string
	)
	cmd := &cobra.Command{
		Use:   "diff [options] CONTAINER",
		Short: "Inspect changes to the container's file systems",
		Long:  "Displays changes to the container filesystem's'.  The container will be compared to its parent layer.",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			ref, err := singleTarget(cmd, g, args, latest)
			if err != nil {
				return err
			}
			changes, err := eng.ContainerChanges(ctx, ref)
			if err != nil {
				return err
			}
			switch {
			case format.IsJSON(fmtStr):
				out := struct {
					Changed []string `json:"changed,omitempty"`
					Added   []string `json:"added,omitempty"`
					Deleted []string `json:"deleted,omitempty"`
				}{}
				for _, c := range changes {
					switch c.Kind {
					case 0:
						out.Changed = append(out.Changed, c.Path)
					case 1:
						out.Added = append(out.Added, c.Path)
					case 2:
						out.Deleted = append(out.Deleted, c.Path)
					}
				}
				return format.JSON(g.Stdout, out)
			case fmtStr != "":
				return fmt.Errorf("only supported value for '--format' is 'json'")
			}
			for _, c := range changes {
				k := "?"
				if c.Kind >= 0 && c.Kind < len(changeKinds) {
					k = changeKinds[c.Kind]
				}
				fmt.Fprintf(g.Stdout, "%s %s\n", k, c.Path)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&fmtStr, "format", "", "Change the output format (json)")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	return cmd
}

// singleTarget resolves the single container a verb acts on: the argument, or
// the latest container with --latest.
func singleTarget(cmd *cobra.Command, g *command.Globals, args []string, latest bool) (string, error) {
	switch {
	case latest && len(args) > 0:
		return "", fmt.Errorf("--latest and containers cannot be used together")
	case latest:
		eng, err := g.Engine()
		if err != nil {
			return "", err
		}
		return latestID(cmd.Context(), eng)
	case len(args) != 1:
		return "", fmt.Errorf("%q requires a name, id, or the \"--latest\" flag", cmd.CommandPath())
	}
	return args[0], nil
}

// The helpers below keep the E2 verbs independent of run.go's, which may
// change with the lifecycle verbs.

// verbTargets resolves the names a multi-container verb acts on: the
// arguments, --all, --latest or --cidfile (exactly one of them).
func verbTargets(ctx context.Context, g *command.Globals, args []string, all, latest bool, cidfiles []string, runningOnly bool) ([]string, error) {
	n := 0
	for _, set := range []bool{len(args) > 0, all, latest, len(cidfiles) > 0} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, fmt.Errorf("--all, --latest, --cidfile and containers cannot be used together")
	}
	if n == 0 {
		return nil, fmt.Errorf("you must provide at least one container name or ID")
	}
	if len(cidfiles) > 0 {
		var ids []string
		for _, f := range cidfiles {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("reading CIDFile: %w", err)
			}
			ids = append(ids, strings.TrimSpace(string(data)))
		}
		return ids, nil
	}
	if !all && !latest {
		return args, nil
	}
	eng, err := g.Engine()
	if err != nil {
		return nil, err
	}
	if latest {
		id, err := latestID(ctx, eng)
		return []string{id}, err
	}
	return listIDs(ctx, eng, runningOnly)
}

// listIDs lists every (or every running) container's ID.
func listIDs(ctx context.Context, eng engine.Engine, runningOnly bool) ([]string, error) {
	list, err := eng.ContainerList(ctx, engine.ContainerListOptions{All: !runningOnly})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(list))
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// latestID is --latest: the most recently created container.
func latestID(ctx context.Context, eng engine.Engine) (string, error) {
	list, err := eng.ContainerList(ctx, engine.ContainerListOptions{All: true, Latest: true})
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "", fmt.Errorf("no containers to act on: %w", engine.ErrNoSuchContainer)
	}
	return list[0].ID, nil
}

// processExit turns "command not found" (127) and "not executable" (126)
// into Podman's exit codes, printing the error as main would.
func processExit(g *command.Globals, err error) error {
	code := 0
	switch {
	case errors.Is(err, engine.ErrOCIRuntimeNotFound):
		code = 127
	case errors.Is(err, engine.ErrOCIRuntimePermissionDenied):
		code = 126
	default:
		return err
	}
	fmt.Fprintln(g.Stderr, "Error:", err)
	return &engine.ExitCodeError{Code: code}
}
