package container

import (
	"context"
	"fmt"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// mounted is one row of `mount` without arguments.
type mounted struct {
	ID         string   `json:"id"`
	Names      []string `json:"Names"`
	Mountpoint string   `json:"mountpoint"`
}

func newMountCommand(g *command.Globals) *cobra.Command {
	var (
		all, latest, noTrunc bool
		fmtStr               string
	)
	cmd := &cobra.Command{
		Use:   "mount [options] [CONTAINER...]",
		Short: "Mount a working container's root filesystem",
		Long:  "Mount a working container's root filesystem.\n\n  Prints the location of the mounted file system.  When no containers are given, lists the mounted ones.",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			if len(args) == 0 && !all && !latest {
				return listMounted(ctx, g, eng, fmtStr, noTrunc)
			}
			names, err := verbTargets(ctx, g, args, all, latest, nil, false)
			if err != nil {
				return err
			}
			if all || len(names) > 1 {
				var rows []mounted
				for _, n := range names {
					p, err := eng.ContainerMount(ctx, n)
					if err != nil {
						return err
					}
					rows = append(rows, mounted{ID: n, Mountpoint: p})
				}
				return printMounted(g, rows, fmtStr, noTrunc)
			}
			p, err := eng.ContainerMount(ctx, names[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(g.Stdout, p)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&all, "all", "a", false, "Mount all containers")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	fs.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate output")
	fs.BoolVar(&noTrunc, "notruncate", false, "Do not truncate output")
	_ = fs.MarkHidden("notruncate")
	fs.StringVar(&fmtStr, "format", "", "Print the mounted containers in specified format (json)")
	return cmd
}

// listMounted prints the containers whose rootfs is mounted (inspect's
// GraphDriver.Data.MergedDir is set only then).
func listMounted(ctx context.Context, g *command.Globals, eng engine.Engine, fmtStr string, noTrunc bool) error {
	list, err := eng.ContainerList(ctx, engine.ContainerListOptions{All: true})
	if err != nil {
		return err
	}
	var rows []mounted
	for _, c := range list {
		insp, err := eng.ContainerInspect(ctx, c.ID, engine.ContainerInspectOptions{})
		if err != nil {
			continue // removed meanwhile
		}
		if p := insp.GraphDriver.Data["MergedDir"]; p != "" {
			rows = append(rows, mounted{ID: c.ID, Names: c.Names, Mountpoint: p})
		}
	}
	return printMounted(g, rows, fmtStr, noTrunc)
}

func printMounted(g *command.Globals, rows []mounted, fmtStr string, noTrunc bool) error {
	if format.IsJSON(fmtStr) {
		if rows == nil {
			rows = []mounted{}
		}
		return jsonOneSpace(g.Stdout, rows)
	}
	if fmtStr != "" {
		return fmt.Errorf("unknown --format argument: %s", fmtStr)
	}
	for _, r := range rows {
		id := r.ID
		if !noTrunc {
			id = portShortID(id)
		}
		fmt.Fprintf(g.Stdout, "%s  %s\n", id, r.Mountpoint)
	}
	return nil
}

func newUnmountCommand(g *command.Globals) *cobra.Command {
	var all, latest, force bool
	cmd := &cobra.Command{
		Use:     "umount [options] CONTAINER [CONTAINER...]",
		Aliases: []string{"unmount"},
		Short:   "Unmount working container's root filesystem",
		Long:    "Container storage increments a mount counter each time a container is mounted.\n\n  When a container is unmounted, the mount counter is decremented. The container's root filesystem is physically unmounted only when the mount counter reaches zero indicating no other processes are using the mount.\n\n  An unmount can be forced with the --force flag.",
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := verbTargets(cmd.Context(), g, args, all, latest, nil, false)
			if err != nil {
				return err
			}
			return g.EachName(cmd.Context(), names, func(ctx context.Context, eng engine.Engine, name string) (string, error) {
				if err := eng.ContainerUnmount(ctx, name, force); err != nil {
					return "", err
				}
				return name, nil
			})
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&all, "all", "a", false, "Unmount all of the currently mounted containers")
	fs.BoolVarP(&force, "force", "f", false, "Force the complete unmount of the specified mounted containers")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	return cmd
}
