package image

import (
	"fmt"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/spf13/cobra"
)

func newImageMountCommand(g *command.Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "mount [options] IMAGE [IMAGE...]",
		Short: "Mount an image's root filesystem",
		Long:  "Mount the root filesystem of one or more images read-only and print where.",
		Args:  command.MinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			var last error
			for _, a := range args {
				p, err := eng.ImageMount(cmd.Context(), a)
				if err != nil {
					if last != nil {
						fmt.Fprintln(g.Stderr, "Error:", last)
					}
					last = err
					continue
				}
				if len(args) == 1 {
					fmt.Fprintln(g.Stdout, p)
				} else {
					fmt.Fprintln(g.Stdout, a, p)
				}
			}
			return last
		},
	}
}

func newImageUnmountCommand(g *command.Globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "unmount [options] IMAGE [IMAGE...]",
		Aliases: []string{"umount"},
		Short:   "Unmount an image's root filesystem",
		Long:    "Image storage increments a mount counter each time an image is mounted. When an image is unmounted, the mount counter is decremented.",
		Args:    command.MinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			var last error
			for _, a := range args {
				if err := eng.ImageUnmount(cmd.Context(), a, force); err != nil {
					if last != nil {
						fmt.Fprintln(g.Stderr, "Error:", last)
					}
					last = err
					continue
				}
				fmt.Fprintln(g.Stdout, a)
			}
			return last
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force the complete unmount of the specified mounted images")
	return cmd
}
