package container

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

type inspectFlags struct {
	format string
	size   bool
	latest bool
}

func newInspectCommand(g *command.Globals) *cobra.Command {
	var f inspectFlags
	cmd := &cobra.Command{
		Use:   "inspect [options] CONTAINER [CONTAINER...]",
		Short: "Display the configuration of a container",
		Long:  "Displays the configuration of a container, by name or ID.",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInspect(cmd.Context(), g, f, args)
		},
	}
	addInspectFlags(cmd, &f)
	return cmd
}

func addInspectFlags(cmd *cobra.Command, f *inspectFlags) {
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "format", "f", "json", "Format the output to a Go template or json")
	fl.BoolVarP(&f.size, "size", "s", false, "Display total file size")
	fl.BoolVarP(&f.latest, "latest", "l", false, "Act on the latest container podman is aware of")
}

func runInspect(ctx context.Context, g *command.Globals, f inspectFlags, args []string) error {
	if f.latest && len(args) > 0 {
		return errors.New("--latest and containers cannot be used together")
	}
	if !f.latest && len(args) == 0 {
		return errors.New("no names or ids specified")
	}
	eng, err := g.Engine()
	if err != nil {
		return err
	}
	if f.latest {
		l, err := eng.ContainerList(ctx, engine.ContainerListOptions{Latest: true})
		if err != nil {
			return err
		}
		if len(l) == 0 {
			return fmt.Errorf("no containers to inspect: %w", engine.ErrNoSuchContainer)
		}
		args = []string{l[0].ID}
	}
	var items []any
	var errs []error
	for _, ref := range args {
		item, err := inspectOne(ctx, eng, f, ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		items = append(items, item)
	}
	if items == nil {
		items = []any{}
	}
	var werr error
	if format.IsJSON(f.format) || f.format == "" {
		werr = format.JSON(g.Stdout, items)
	} else {
		werr = format.Write(g.Stdout, NormalizeInspectFormat(strings.TrimPrefix(f.format, "table ")), "", items, nil, true)
	}
	if len(errs) > 0 {
		for _, e := range errs[:len(errs)-1] {
			fmt.Fprintln(g.Stderr, "Error:", e)
		}
		return errs[len(errs)-1]
	}
	return werr
}

func inspectOne(ctx context.Context, eng engine.Engine, f inspectFlags, ref string) (any, error) {
	c, err := eng.ContainerInspect(ctx, ref, engine.ContainerInspectOptions{Size: f.size})
	if errors.Is(err, engine.ErrNoSuchContainer) {
		return nil, fmt.Errorf("inspecting object: no such container %s", ref)
	}
	return c, err
}

var idField = regexp.MustCompile(`{{\s*\.Id\s*}}`)

// NormalizeInspectFormat accepts Docker's field names in inspect templates as
// Podman does: {{.Id}} for {{.ID}}, .Src/.Dst for mounts, .ImageID for .Image.
func NormalizeInspectFormat(f string) string {
	f = idField.ReplaceAllString(f, "{{.ID}}")
	return strings.NewReplacer(".Src", ".Source", ".Dst", ".Destination", ".ImageID", ".Image").Replace(f)
}
