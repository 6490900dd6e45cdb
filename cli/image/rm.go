package image

import (
	"context"
	"errors"
	"fmt"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newRemoveCommand(g *command.Globals, use string) *cobra.Command {
	var o engine.ImageRemoveOptions
	var all, ignore bool
	cmd := &cobra.Command{
		Use:   use + " [options] IMAGE [IMAGE...]",
		Short: "Remove one or more images from local storage",
		Long:  "Removes one or more previously pulled or locally created images.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !all {
				return errors.New("image name or ID must be specified")
			}
			if len(args) > 0 && all {
				return errors.New("when using the --all switch, you may not pass any images names or IDs")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if all {
				imgs, err := eng.ImageList(ctx, engine.ImageListOptions{All: true})
				if err != nil {
					return err
				}
				for _, img := range imgs {
					args = append(args, img.ID)
				}
				o.AllNames = true // every name goes; containers still need --force
			}
			// Podman's exit codes: 1 when an image did not exist, 2 when
			// one is in use, 125 for anything else.
			code := 0
			for _, name := range args {
				rep, err := eng.ImageRemove(ctx, name, o)
				if err != nil {
					if errors.Is(err, engine.ErrNoSuchImage) && (ignore || all) {
						continue
					}
					fmt.Fprintln(g.Stderr, "Error:", err)
					switch {
					case errors.Is(err, engine.ErrNoSuchImage):
						code = max(code, 1)
					case errors.Is(err, engine.ErrImageInUse):
						code = max(code, 2)
					default:
						code = 125
					}
					continue
				}
				for _, u := range rep.Untagged {
					fmt.Fprintln(g.Stdout, "Untagged: "+u)
				}
				for _, d := range rep.Deleted {
					fmt.Fprintln(g.Stdout, "Deleted: "+d)
				}
			}
			if code != 0 {
				return &command.ExitError{Code: code}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all", "a", false, "Remove all images")
	f.BoolVarP(&o.Force, "force", "f", false, "Force Removal of the image")
	f.BoolVarP(&ignore, "ignore", "i", false, "Ignore errors if a specified image does not exist")
	return cmd
}

func newTagCommand(g *command.Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "tag IMAGE TARGET_NAME [TARGET_NAME...]",
		Short: "Add an additional name to a local image",
		Long:  "Adds one or more additional names to locally-stored image.",
		Args:  command.MinArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			for _, n := range args[1:] {
				if err := eng.ImageTag(cmd.Context(), args[0], n); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func newUntagCommand(g *command.Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "untag IMAGE [IMAGE...]",
		Short: "Remove a name from a local image",
		Long:  "Removes one or more names from a locally-stored image.",
		Args:  command.MinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				return eng.ImageUntag(cmd.Context(), args[0], "")
			}
			for _, n := range args[1:] {
				if err := eng.ImageUntag(cmd.Context(), args[0], n); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func newExistsCommand(g *command.Globals) *cobra.Command {
	return command.ExistsCommand(g, "exists IMAGE", "Check if an image exists in local storage",
		"If the named image exists in local storage, podman image exists exits with 0, otherwise the exit code will be 1.",
		func(ctx context.Context, eng engine.Engine, name string) (bool, error) {
			return eng.ImageExists(ctx, name)
		})
}
