// Package inspect is the top-level `inspect` command: one document per name,
// whatever kind of object the name denotes.
package inspect

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/container"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// kinds in Podman's lookup order for --type all.
var kinds = []string{"container", "image", "volume", "network", "pod"}

type flags struct {
	format, kind string
	size, latest bool
}

// NewCommand returns `inspect`.
func NewCommand(g *command.Globals) *cobra.Command {
	var f flags
	cmd := &cobra.Command{
		Use:   "inspect [options] {CONTAINER|IMAGE|POD|NETWORK|VOLUME} [...]",
		Short: "Display the configuration of object denoted by ID",
		Long:  "Displays the low-level information on an object identified by name or ID.",
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd.Context(), g, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "format", "f", "json", "Format the output to a Go template or json")
	fl.StringVarP(&f.kind, "type", "t", "all", "Specify inspect-object type")
	fl.BoolVarP(&f.size, "size", "s", false, "Display total file size")
	fl.BoolVarP(&f.latest, "latest", "l", false, "Act on the latest container podman is aware of")
	_ = fl.MarkHidden("latest")
	return cmd
}

func run(ctx context.Context, g *command.Globals, f flags, args []string) error {
	switch f.kind {
	case "all", "container", "image", "volume", "network", "pod":
	default:
		return fmt.Errorf("invalid type %q: must be \"image\", \"container\", \"pod\", \"network\", \"volume\", or \"all\"", f.kind)
	}
	if f.size && f.kind == "pod" {
		return fmt.Errorf("size is not supported for type %q", f.kind)
	}
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
	var errs []error
	if f.latest {
		l, err := eng.ContainerList(ctx, engine.ContainerListOptions{Latest: true})
		if err != nil {
			return err
		}
		if len(l) == 0 {
			errs = append(errs, fmt.Errorf("no containers to inspect: %w", engine.ErrNoSuchContainer))
		} else {
			args, f.kind = []string{l[0].ID}, "container"
		}
	}
	docs := []any{}
	for _, name := range args {
		doc, err := lookup(ctx, eng, f, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		docs = append(docs, doc)
	}
	if format.IsJSON(f.format) || f.format == "" {
		if err := format.JSONIndent(g.Stdout, docs, "     "); err != nil {
			return err
		}
	} else if len(docs) > 0 {
		t := container.NormalizeInspectFormat(strings.TrimPrefix(f.format, "table "))
		if !strings.HasSuffix(t, "\n") {
			t += "\n"
		}
		if err := format.WriteNamed(g.Stdout, "inspect", t, "", docs, nil, true); err != nil {
			return err
		}
	}
	if len(errs) == 0 {
		return nil
	}
	// Podman: the first failure is the command's error, the others precede it.
	for _, e := range errs[1:] {
		fmt.Fprintln(g.Stderr, "error inspecting object:", e)
	}
	return fmt.Errorf("inspecting object: %w", errs[0])
}

// lookup finds name as f.kind, or as each kind in turn for "all".
func lookup(ctx context.Context, eng engine.Engine, f flags, name string) (any, error) {
	if f.kind != "all" {
		return lookupKind(ctx, eng, f.kind, name, f.size)
	}
	for _, k := range kinds {
		doc, err := lookupKind(ctx, eng, k, name, f.size)
		if err == nil {
			return doc, nil
		}
		if !notFound(err) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("no such object: %q", name)
}

func notFound(err error) bool {
	for _, e := range []error{engine.ErrNoSuchContainer, engine.ErrNoSuchImage, engine.ErrNoSuchVolume,
		engine.ErrNoSuchNetwork, engine.ErrNoSuchPod, engine.ErrNotImplemented} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// lookupKind inspects name as one kind, with Podman's "not found" texts.
func lookupKind(ctx context.Context, eng engine.Engine, kind, name string, size bool) (any, error) {
	var doc any
	var err error
	var missing string
	switch kind {
	case "container":
		doc, err = eng.ContainerInspect(ctx, name, engine.ContainerInspectOptions{Size: size})
		missing = "no such container " + name
	case "image":
		doc, err = eng.ImageInspect(ctx, name)
		missing = name + ": image not known"
	case "volume":
		doc, err = eng.VolumeInspect(ctx, name)
		missing = "no such volume " + name
	case "network":
		doc, err = eng.NetworkInspect(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("network %s: %w", name, err)
		}
	case "pod":
		doc, err = eng.PodInspect(ctx, name)
		missing = "no such pod " + name
	}
	if err != nil && missing != "" && notFound(err) {
		return nil, notFoundError{missing, err}
	}
	return doc, err
}

// notFoundError says Podman's text and keeps the sentinel for errors.Is.
type notFoundError struct {
	msg string
	err error
}

func (e notFoundError) Error() string { return e.msg }
func (e notFoundError) Unwrap() error { return e.err }
