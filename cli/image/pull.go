package image

import (
	"fmt"
	"io"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newPullCommand(g *command.Globals) *cobra.Command {
	var o engine.ImagePullOptions
	var rf registryFlags
	var platform string
	cmd := &cobra.Command{
		Use:   "pull [options] IMAGE [IMAGE...]",
		Short: "Pull an image from a registry",
		Long:  "Pulls an image from a registry and stores it locally.\n\nAn image can be pulled by tag or digest. If a tag is not specified, the image with the 'latest' tag is pulled.",
		Args:  command.MinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rf.apply(cmd, &o.RegistryOptions)
			if platform != "" {
				if o.OS != "" || o.Arch != "" {
					return fmt.Errorf("--platform option can not be specified with --arch or --os")
				}
				parts := strings.Split(platform, "/")
				o.OS = parts[0]
				if len(parts) > 1 {
					o.Arch = parts[1]
				}
				if len(parts) > 2 {
					o.Variant = parts[2]
				}
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			var progress io.Writer = g.Stderr
			if o.Quiet {
				progress = nil
			}
			for _, ref := range args {
				rep, err := eng.ImagePull(cmd.Context(), ref, o, progress)
				if err != nil {
					return err
				}
				for _, id := range rep.Images {
					fmt.Fprintln(g.Stdout, id)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	addRegistryFlags(cmd, &o.RegistryOptions, &rf)
	f.BoolVarP(&o.AllTags, "all-tags", "a", false, "All tagged images in the repository will be pulled")
	f.StringVar(&o.Arch, "arch", "", "Use `ARCH` instead of the architecture of the machine for choosing images")
	f.StringVar(&o.OS, "os", "", "Use `OS` instead of the running OS for choosing images")
	f.StringVar(&o.Variant, "variant", "", "Use VARIANT instead of the running architecture variant for choosing images")
	f.StringVar(&platform, "platform", "", "Specify the platform for selecting the image.  (Conflicts with arch and os)")
	f.StringVar(&o.Policy, "policy", "always", `Pull image policy ("always"|"missing"|"never"|"newer")`)
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "Suppress output information when pulling images")
	return cmd
}

func newPushCommand(g *command.Globals) *cobra.Command {
	var o engine.ImagePushOptions
	var rf registryFlags
	cmd := &cobra.Command{
		Use:   "push [options] IMAGE [DESTINATION]",
		Short: "Push an image to a specified destination",
		Long:  "Pushes a source image to a specified destination.\n\nThe Image \"DESTINATION\" uses a \"transport\":\"details\" format. See podman-push(1) section \"DESTINATION\" for the expected format.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return fmt.Errorf("accepts 1 or 2 arg(s), received %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			rf.apply(cmd, &o.RegistryOptions)
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			dest := ""
			if len(args) == 2 {
				dest = args[1]
			}
			var progress io.Writer = g.Stderr
			if o.Quiet {
				progress = nil
			}
			return eng.ImagePush(cmd.Context(), args[0], dest, o, progress)
		},
	}
	f := cmd.Flags()
	addRegistryFlags(cmd, &o.RegistryOptions, &rf)
	f.StringVarP(&o.Format, "format", "f", "", "Manifest type (oci, v2s2, or v2s1) to use in the destination (default is manifest type of source, with fallbacks)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "Suppress output information when pushing images")
	f.BoolVar(&o.RemoveSignatures, "remove-signatures", false, "Discard any pre-existing signatures in the image")
	f.BoolVar(&o.Compress, "compress", false, "Compress tarball image layers when pushing to a directory using the 'dir' transport. (default is same compression type as source)")
	f.StringVar(&o.DigestFile, "digestfile", "", "Write the digest of the pushed image to the specified file")
	return cmd
}
