package image

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newSaveCommand(g *command.Globals) *cobra.Command {
	var o engine.ImageSaveOptions
	cmd := &cobra.Command{
		Use:   "save [options] IMAGE [IMAGE...]",
		Short: "Save image(s) to an archive",
		Long:  "Save an image to docker-archive or oci-archive on the local machine. Default is docker-archive.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("need at least 1 argument")
			}
			switch o.Format {
			case engine.SaveFormatDockerArchive, engine.SaveFormatOCIArchive, engine.SaveFormatOCIDir, engine.SaveFormatDockerDir:
			default:
				return fmt.Errorf("format value must be one of %s", strings.Join([]string{engine.SaveFormatDockerArchive, engine.SaveFormatOCIArchive, engine.SaveFormatOCIDir, engine.SaveFormatDockerDir}, " "))
			}
			if o.Output == "" && isTerminal(g.Stdout) {
				return errors.New("refusing to save to terminal. Use -o flag or redirect")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			if len(args) > 1 && !o.MultiImageArchive && o.Format == engine.SaveFormatDockerArchive {
				// Podman reads extra names as tags of the first image in a
				// docker archive; writing each named image gives the same archive.
				o.MultiImageArchive = true
			}
			if o.Output != "" && !o.Quiet && isTerminal(g.Stderr) {
				o.Progress = g.Stderr // Podman shows progress only then
			}
			return eng.ImageSave(cmd.Context(), args, o, g.Stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Format, "format", engine.SaveFormatDockerArchive, "Save image to oci-archive, oci-dir (directory with oci manifest type), docker-archive, docker-dir (directory with v2s2 manifest type)")
	f.StringVarP(&o.Output, "output", "o", "", "Write to a specified file (default: stdout, which must be redirected)")
	f.BoolVar(&o.Compress, "compress", false, "Compress tarball image layers when saving to a directory using the 'dir' transport. (default is same compression type as source)")
	f.BoolVarP(&o.MultiImageArchive, "multi-image-archive", "m", false, "Interpret additional arguments as images not tags and create a multi-image-archive (only for docker-archive)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "Suppress the output")
	f.Bool("uncompressed", false, "Accept uncompressed layers when copying OCI images")
	return cmd
}

func newLoadCommand(g *command.Globals) *cobra.Command {
	var o engine.ImageLoadOptions
	cmd := &cobra.Command{
		Use:   "load [options]",
		Short: "Load image(s) from a tar archive",
		Long:  "Loads an image from a locally stored archive (tar file) into container storage.",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader
			if o.Input == "" {
				if isTerminal(g.Stdin) {
					return errors.New("cannot read from terminal, use command-line redirection or the --input flag")
				}
				in = g.Stdin
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			var progress io.Writer = g.Stderr
			if o.Quiet {
				progress = nil
			}
			rep, err := eng.ImageLoad(cmd.Context(), in, o, progress)
			if err != nil {
				return err
			}
			for _, n := range rep.Names {
				fmt.Fprintln(g.Stdout, "Loaded image: "+n)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Input, "input", "i", "", "Read from specified archive file (default: stdin)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "Suppress the output")
	f.StringVar(&o.SignaturePolicy, "signature-policy", "", "Pathname of signature policy file")
	_ = f.MarkHidden("signature-policy")
	return cmd
}

func newImportCommand(g *command.Globals) *cobra.Command {
	var o engine.ImageImportOptions
	cmd := &cobra.Command{
		Use:   "import [options] PATH [REFERENCE]",
		Short: "Import a tarball to create a filesystem image",
		Long:  "Create a container image from the contents of the specified tarball (.tar, .tar.gz, .tgz, .bzip, .tar.xz, .txz).\n\nNote remote tar balls can be specified, via web address.\nOptionally tag the image. You can specify the instructions using the --change option.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return fmt.Errorf("accepts between 1 and 2 arg(s), received %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Source = args[0]
			if len(args) == 2 {
				o.Reference = args[1]
			}
			var in io.Reader
			if o.Source == "-" {
				in = g.Stdin
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			var progress io.Writer = g.Stderr
			if o.Quiet {
				progress = nil
			}
			id, err := eng.ImageImport(cmd.Context(), in, o, progress)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.Stdout, "sha256:"+id)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.Changes, "change", "c", nil, "Apply the following possible instructions to the created image (default []): CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | STOPSIGNAL | USER | VOLUME | WORKDIR")
	f.StringVarP(&o.Message, "message", "m", "", "Set commit message for imported image")
	f.StringVar(&o.OS, "os", "", "Set the OS of the imported image")
	f.StringVar(&o.Arch, "arch", "", "Set the architecture of the imported image")
	f.StringVar(&o.Variant, "variant", "", "Set the variant of the imported image")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "Suppress output")
	f.StringVar(&o.SignaturePolicy, "signature-policy", "", "Path to a signature-policy file")
	_ = f.MarkHidden("signature-policy")
	return cmd
}
