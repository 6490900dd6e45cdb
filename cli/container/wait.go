package container

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newWaitCommand(g *command.Globals) *cobra.Command {
	var (
		conditions []string
		interval   string
		latest     bool
		ignore     bool
	)
	cmd := &cobra.Command{
		Use:   "wait [options] CONTAINER [CONTAINER...]",
		Short: "Block on one or more containers",
		Long:  "Block until one or more containers stop and then print their exit codes.",
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := targets(cmd.Context(), g, args, false, latest, nil, false)
			if err != nil {
				return err
			}
			d, err := time.ParseDuration(interval)
			if err != nil {
				ms, aerr := strconv.Atoi(interval)
				if aerr != nil {
					return fmt.Errorf("invalid --interval %q: %w", interval, err)
				}
				d = time.Duration(ms) * time.Millisecond
			}
			o := engine.ContainerWaitOptions{Conditions: conditions, Interval: d}
			return g.EachName(cmd.Context(), names, func(ctx context.Context, eng engine.Engine, name string) (string, error) {
				code, err := eng.ContainerWait(ctx, name, o)
				if err != nil {
					if ignore && errors.Is(err, engine.ErrNoSuchContainer) {
						return "-1", nil
					}
					return "", err
				}
				return strconv.Itoa(int(code)), nil
			})
		},
	}
	fs := cmd.Flags()
	fs.StringSliceVar(&conditions, "condition", nil, "Condition to wait on")
	fs.StringVarP(&interval, "interval", "i", "250ms", "Time Interval to wait before polling for completion")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	fs.BoolVar(&ignore, "ignore", false, "Ignore if a container does not exist")
	return cmd
}

func newInitCommand(g *command.Globals) *cobra.Command {
	var all, latest bool
	cmd := &cobra.Command{
		Use:   "init [options] CONTAINER [CONTAINER...]",
		Short: "Initialize one or more containers",
		Long:  "Initialize one or more containers, creating the OCI spec and mounts for inspection.",
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := targets(cmd.Context(), g, args, all, latest, nil, false)
			if err != nil {
				return err
			}
			return g.EachName(cmd.Context(), names, func(ctx context.Context, eng engine.Engine, name string) (string, error) {
				if err := eng.ContainerInit(ctx, name); err != nil {
					return "", runtimeExit(g, err)
				}
				return name, nil
			})
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "Initialize all containers")
	cmd.Flags().BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	return cmd
}

// newCleanupCommand is conmon's exit command (hidden, as in Podman).
func newCleanupCommand(g *command.Globals) *cobra.Command {
	var (
		rm, rmi, all, latest bool
		exec                 string
	)
	cmd := &cobra.Command{
		Use:    "cleanup [options] CONTAINER [CONTAINER...]",
		Short:  "Clean up network and mountpoints of one or more containers",
		Long:   "Cleans up mount points and network stacks on one or more containers from the host.",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := targets(cmd.Context(), g, args, all, latest, nil, false)
			if err != nil {
				return err
			}
			o := engine.ContainerCleanupOptions{Remove: rm, RemoveImage: rmi, Exec: exec}
			return g.EachName(cmd.Context(), names, func(ctx context.Context, eng engine.Engine, name string) (string, error) {
				if err := eng.ContainerCleanup(ctx, name, o); err != nil {
					return "", err
				}
				return name, nil
			})
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&rm, "rm", false, "After cleanup, remove the container")
	fs.BoolVar(&rmi, "rmi", false, "After cleanup, remove the image entirely")
	fs.BoolVarP(&all, "all", "a", false, "Cleans up all containers")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	fs.StringVar(&exec, "exec", "", "Clean up the given exec session instead of the container")
	return cmd
}
