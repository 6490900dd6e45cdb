package image

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

var idRE = regexp.MustCompile(`\.Id(\W|$)`)

func newImageInspectCommand(g *command.Globals) *cobra.Command {
	var f string
	cmd := &cobra.Command{
		Use:   "inspect [options] IMAGE [IMAGE...]",
		Short: "Display the configuration of an image",
		Long:  "Displays the low-level information of an image identified by name or ID.",
		Args:  command.MinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return inspect(g, cmd, args, f, "image")
		},
	}
	cmd.Flags().StringVarP(&f, "format", "f", "json", "Format the output to a Go template or json")
	return cmd
}

func newInspectCommand(g *command.Globals) *cobra.Command {
	var f, typ string
	var size, latest bool
	cmd := &cobra.Command{
		Use:   "inspect [options] {CONTAINER|IMAGE|POD|NETWORK|VOLUME} [...]",
		Short: "Display the configuration of object denoted by ID",
		Long:  "Displays the low-level information on an object identified by name or ID.",
		Args:  command.MinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch typ {
			case "all", "image", "container", "network":
			default:
				return fmt.Errorf("invalid type %q: must be 'container', 'image', 'pod', 'network', 'volume' or 'all'", typ)
			}
			return inspect(g, cmd, args, f, typ)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f, "format", "f", "json", "Format the output to a Go template or json")
	fl.StringVarP(&typ, "type", "t", "all", "Specify inspect-object type")
	fl.BoolVarP(&size, "size", "s", false, "Display total file size")
	fl.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	_ = fl.MarkHidden("latest")
	return cmd
}

// inspect prints the inspect documents of names. With typ "all" a name is
// tried as a container first (once containers exist), then as an image.
func inspect(g *command.Globals, cmd *cobra.Command, names []string, f, typ string) error {
	eng, err := g.Engine()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	var docs []any
	var errs []error
	for _, n := range names {
		if typ == "all" || typ == "container" {
			c, err := eng.ContainerInspect(ctx, n, engine.ContainerInspectOptions{})
			if err == nil {
				docs = append(docs, c)
				continue
			}
			if typ == "container" || !(errors.Is(err, engine.ErrNoSuchContainer) || errors.Is(err, engine.ErrNotImplemented)) {
				errs = append(errs, err)
				continue
			}
		}
		if typ == "network" {
			nw, err := eng.NetworkInspect(ctx, n)
			if err != nil {
				errs = append(errs, err)
			} else {
				docs = append(docs, nw)
			}
			continue
		}
		img, err := eng.ImageInspect(ctx, n)
		if err != nil && typ == "all" && errors.Is(err, engine.ErrNoSuchImage) {
			if nw, nerr := eng.NetworkInspect(ctx, n); nerr == nil {
				docs = append(docs, nw)
				continue
			}
		}
		if err != nil {
			if typ == "all" && errors.Is(err, engine.ErrNoSuchImage) {
				err = fmt.Errorf("no such object: %q", n)
			}
			errs = append(errs, err)
			continue
		}
		docs = append(docs, img)
	}
	if docs == nil {
		docs = []any{}
	}
	if format.IsJSON(f) || f == "" {
		// Podman indents inspect documents by five spaces.
		if err := format.JSONIndent(g.Stdout, docs, "     "); err != nil {
			return err
		}
	} else {
		// Podman accepts Docker's {{.Id}} for the ID field.
		f = idRE.ReplaceAllString(f, ".ID$1")
		if !strings.HasSuffix(f, "\n") {
			f += "\n"
		}
		if err := format.WriteNamed(g.Stdout, "inspect", f, "", docs, nil, true); err != nil {
			return err
		}
	}
	if len(errs) == 0 {
		return nil
	}
	for _, e := range errs[:len(errs)-1] {
		fmt.Fprintln(g.Stderr, "Error:", e)
	}
	return errs[len(errs)-1]
}
