package system

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/docker/go-units"
	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/container"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newPruneCommand(g *command.Globals) *cobra.Command {
	var (
		all, force, volumes bool
		filters             []string
	)
	cmd := &cobra.Command{
		Use:   "prune [options]",
		Short: "Remove unused data",
		Long:  "Remove unused data: stopped containers, unused networks, dangling (with --all: unused) images and, with --volumes, unused volumes.",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fm, err := container.ParseFilters(filters)
			if err != nil {
				return err
			}
			for k := range fm {
				switch k {
				case "label", "label!", "until":
				default:
					return fmt.Errorf("%s is an invalid filter", k)
				}
			}
			if !force {
				vol, img, cache := "", "\t- all dangling images\n", "\t- all dangling build cache\n"
				if volumes {
					vol = "\t- all volumes not used by at least one container\n"
				}
				if all {
					img, cache = "\t- all images without at least one container associated with them\n", "\t- all build cache\n"
				}
				fmt.Fprintf(g.Stdout, "WARNING! This command removes:\n\t- all stopped containers\n\t- all networks not used by at least one container\n%s%s%s\nAre you sure you want to continue? [y/N] ", vol, img, cache)
				ans, _ := bufio.NewReader(g.Stdin).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(ans)); a != "y" && a != "yes" {
					return nil
				}
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var reclaimed int64
			section := func(title string, items []string) {
				if len(items) == 0 {
					return
				}
				fmt.Fprintln(g.Stdout, title)
				for _, i := range items {
					fmt.Fprintln(g.Stdout, i)
				}
			}
			// Containers: as container prune.
			l, err := eng.ContainerList(ctx, engine.ContainerListOptions{All: true, Filters: fm, Size: true})
			if err != nil {
				return err
			}
			var removed []string
			for _, c := range l {
				switch c.State {
				case "running", "paused", "stopping", "removing":
					continue
				}
				if c.IsInfra {
					continue
				}
				rep, err := eng.ContainerRemove(ctx, c.ID, engine.ContainerRemoveOptions{Ignore: true})
				if err != nil {
					fmt.Fprintln(g.Stderr, "Error:", err)
					continue
				}
				removed = append(removed, rep.Removed...)
				if c.Size != nil && len(rep.Removed) > 0 {
					reclaimed += c.Size.RwSize
				}
			}
			section("Deleted Containers", removed)
			nets, err := eng.NetworkPrune(ctx, engine.NetworkPruneOptions{Filters: fm})
			if err != nil {
				return err
			}
			section("Deleted Networks", nets)
			if volumes {
				vr, err := eng.VolumePrune(ctx, engine.VolumePruneOptions{Filters: fm})
				if err != nil {
					return err
				}
				var names []string
				for _, v := range vr {
					if v.Err != "" {
						fmt.Fprintln(g.Stderr, "Error:", v.Err)
						continue
					}
					names = append(names, v.Name)
					reclaimed += int64(v.Size)
				}
				section("Deleted Volumes", names)
			}
			var flat []string
			for k, vs := range fm {
				for _, v := range vs {
					flat = append(flat, k+"="+v)
				}
			}
			ir, err := eng.ImagePrune(ctx, engine.ImagePruneOptions{All: all, Filters: flat})
			if err != nil {
				return err
			}
			var ids []string
			for _, i := range ir {
				ids = append(ids, i.ID)
				reclaimed += i.Size
			}
			section("Deleted Images", ids)
			fmt.Fprintf(g.Stdout, "Total reclaimed space: %s\n", units.HumanSize(float64(reclaimed)))
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all", "a", false, "Remove all unused data")
	f.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation.  The default is false")
	f.BoolVar(&volumes, "volumes", false, "Prune volumes")
	f.StringArrayVar(&filters, "filter", nil, "Provide filter values (e.g. 'label=<key>=<value>')")
	return cmd
}
