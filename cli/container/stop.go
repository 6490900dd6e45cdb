package container

import (
	"context"
	"errors"
	"fmt"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newStopCommand(g *command.Globals) *cobra.Command {
	var (
		all, ignore, latest bool
		cidfiles            []string
		timeout             uint
		filters             []string
	)
	cmd := &cobra.Command{
		Use:   "stop [options] CONTAINER [CONTAINER...]",
		Short: "Stop one or more containers",
		Long:  "Stops one or more running containers.  The container name or ID can be used.\n\n  A timeout to forcibly stop the container can also be set but defaults to 10 seconds otherwise.",
		RunE: func(cmd *cobra.Command, args []string) error {
			var names []string
			var err error
			if len(filters) > 0 {
				if len(args) > 0 || all || latest || len(cidfiles) > 0 {
					return fmt.Errorf("--filter takes no container names, --all, --latest or --cidfile")
				}
				names, err = filterTargets(cmd.Context(), g, filters)
			} else {
				names, err = targets(cmd.Context(), g, args, all, latest, cidfiles, false)
			}
			if err != nil {
				return err
			}
			var o engine.ContainerStopOptions
			if cmd.Flags().Changed("time") {
				o.Timeout = &timeout
			}
			return g.EachName(cmd.Context(), names, func(ctx context.Context, eng engine.Engine, name string) (string, error) {
				err := eng.ContainerStop(ctx, name, o)
				if err != nil && ignore && errors.Is(err, engine.ErrNoSuchContainer) {
					return "", nil
				}
				if err != nil {
					return "", err
				}
				return name, nil
			})
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&all, "all", "a", false, "Stop all running containers")
	fs.BoolVarP(&ignore, "ignore", "i", false, "Ignore errors when a specified container is missing")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	fs.StringArrayVar(&cidfiles, "cidfile", nil, "Read the container ID from the file")
	fs.UintVarP(&timeout, "time", "t", 10, "Seconds to wait for stop before killing the container")
	fs.StringArrayVarP(&filters, "filter", "f", nil, "Filter output based on conditions given")
	return cmd
}

func newRestartCommand(g *command.Globals) *cobra.Command {
	var (
		all, latest, running bool
		timeout              uint
		cidfiles, filters    []string
	)
	cmd := &cobra.Command{
		Use:   "restart [options] CONTAINER [CONTAINER...]",
		Short: "Restart one or more containers",
		Long:  "Restarts one or more running containers. The container ID or name can be used.\n\n  A timeout before forcibly stopping can be set, but defaults to 10 seconds.",
		RunE: func(cmd *cobra.Command, args []string) error {
			var names []string
			var err error
			if len(filters) > 0 {
				if len(args) > 0 || all || latest || len(cidfiles) > 0 {
					return fmt.Errorf("--filter takes no container names, --all, --latest or --cidfile")
				}
				names, err = filterTargets(cmd.Context(), g, filters)
			} else {
				names, err = targets(cmd.Context(), g, args, all, latest, cidfiles, running)
			}
			if err != nil {
				return err
			}
			var o engine.ContainerStopOptions
			if cmd.Flags().Changed("time") {
				o.Timeout = &timeout
			}
			return g.EachName(cmd.Context(), names, func(ctx context.Context, eng engine.Engine, name string) (string, error) {
				if err := eng.ContainerRestart(ctx, name, o); err != nil {
					return "", err
				}
				return name, nil
			})
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&all, "all", "a", false, "Restart all non-running containers")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	fs.BoolVar(&running, "running", false, "Restart only running containers when --all is used")
	fs.StringArrayVar(&cidfiles, "cidfile", nil, "Read the container ID from the file")
	fs.StringArrayVarP(&filters, "filter", "f", nil, "Filter output based on conditions given")
	fs.UintVarP(&timeout, "time", "t", 10, "Seconds to wait for stop before killing the container")
	return cmd
}
