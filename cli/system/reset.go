package system

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// newResetCommand is `selkie system reset`: remove every pod, container,
// image, volume and network of this store (the user's, rootless), then end
// the rootless pause process. Without --force it asks first, as Podman.
func newResetCommand(g *command.Globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "reset [options]",
		Short: "Reset podman storage",
		Long:  "Reset podman storage back to default state: remove all pods, containers, images, networks and volumes.",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !force {
				fmt.Fprint(g.Stdout, `WARNING! This will remove:
        - all containers
        - all pods
        - all images
        - all networks
        - all build cache
        - all machines
        - all volumes
Are you sure you want to continue? [y/N] `)
				answer, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
					return nil
				}
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			if err := reset(cmd.Context(), eng); err != nil {
				return err
			}
			return g.MigratePause()
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	return cmd
}

// reset removes everything through the engine; failures are reported and
// the rest still removed, the first error returned.
func reset(ctx context.Context, eng engine.Engine) error {
	var first error
	fail := func(what string, err error) {
		if err != nil && first == nil {
			first = fmt.Errorf("%s: %w", what, err)
		}
	}
	zero := uint(0)
	if pods, err := eng.PodList(ctx, engine.PodListOptions{}); err == nil {
		for _, p := range pods {
			_, err := eng.PodRemove(ctx, p.ID, engine.PodRemoveOptions{Force: true, Ignore: true, Timeout: &zero})
			fail("removing pod "+p.ID, err)
		}
	} else {
		fail("listing pods", err)
	}
	if cs, err := eng.ContainerList(ctx, engine.ContainerListOptions{All: true, External: true}); err == nil {
		for _, c := range cs {
			_, err := eng.ContainerRemove(ctx, c.ID, engine.ContainerRemoveOptions{Force: true, Volumes: true, Ignore: true, Timeout: &zero})
			fail("removing container "+c.ID, err)
		}
	} else {
		fail("listing containers", err)
	}
	if imgs, err := eng.ImageList(ctx, engine.ImageListOptions{All: true}); err == nil {
		for _, i := range imgs {
			_, err := eng.ImageRemove(ctx, i.ID, engine.ImageRemoveOptions{Force: true, AllNames: true})
			if err != nil && !strings.Contains(err.Error(), "image not known") && !strings.Contains(err.Error(), "no such image") {
				fail("removing image "+i.ID, err)
			}
		}
	} else {
		fail("listing images", err)
	}
	if vols, err := eng.VolumeList(ctx, engine.VolumeListOptions{}); err == nil {
		for _, v := range vols {
			fail("removing volume "+v.Name, eng.VolumeRemove(ctx, v.Name, engine.VolumeRemoveOptions{Force: true, Timeout: &zero}))
		}
	} else {
		fail("listing volumes", err)
	}
	if nets, err := eng.NetworkList(ctx, engine.NetworkListOptions{}); err == nil {
		for _, n := range nets {
			if n.Name == "podman" {
				continue // the default network is built in
			}
			_, err := eng.NetworkRemove(ctx, n.Name, engine.NetworkRemoveOptions{Force: true, Timeout: &zero})
			fail("removing network "+n.Name, err)
		}
	} else {
		fail("listing networks", err)
	}
	return first
}
