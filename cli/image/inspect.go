package image

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
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
			return inspect(g, cmd, args, f)
		},
	}
	cmd.Flags().StringVarP(&f, "format", "f", "json", "Format the output to a Go template or json")
	return cmd
}

// inspect prints the inspect documents of the images named.
func inspect(g *command.Globals, cmd *cobra.Command, names []string, f string) error {
	eng, err := g.Engine()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	var docs []any
	var errs []error
	for _, n := range names {
		img, err := eng.ImageInspect(ctx, n)
		if err != nil {
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
