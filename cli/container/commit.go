package container

import (
	"fmt"
	"os"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newCommitCommand(g *command.Globals) *cobra.Command {
	var (
		o              engine.ContainerCommitOptions
		iidfile        string
		includeVolumes bool
	)
	cmd := &cobra.Command{
		Use:   "commit [options] CONTAINER [IMAGE]",
		Short: "Create new image based on the changed container",
		Long:  "Create an image from a container's changes. Optionally tag the image created, set the author with the --author flag, set the commit message with the --message flag, and make changes to the instructions with the --change flag.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return fmt.Errorf("accepts between 1 and 2 arg(s), received %d", len(args))
			}
			if len(args) == 2 {
				o.Image = args[1]
			}
			if !o.Quiet {
				o.Progress = g.Stderr
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			id, err := eng.ContainerCommit(cmd.Context(), args[0], o)
			if err != nil {
				return err
			}
			if iidfile != "" {
				if err := os.WriteFile(iidfile, []byte("sha256:"+id), 0o644); err != nil {
					return err
				}
			}
			fmt.Fprintln(g.Stdout, id)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.Author, "author", "a", "", "Set the author for the image committed")
	fs.StringArrayVarP(&o.Changes, "change", "c", nil, "Apply the following possible instructions to the created image (default []): CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | ONBUILD | STOPSIGNAL | USER | VOLUME | WORKDIR")
	fs.StringVarP(&o.Format, "format", "f", "oci", "Format of the image manifest and metadata")
	fs.StringVar(&iidfile, "iidfile", "", "file to write the image ID to")
	fs.BoolVar(&includeVolumes, "include-volumes", false, "Include container volumes as image volumes")
	fs.StringVarP(&o.Message, "message", "m", "", "Set commit message for imported image")
	fs.BoolVarP(&o.Pause, "pause", "p", false, "Pause container during commit")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "Suppress output")
	fs.BoolVarP(&o.Squash, "squash", "s", false, "squash newly built layers into a single new layer")
	return cmd
}
