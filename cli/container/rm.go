package container

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newRmCommand(g *command.Globals) *cobra.Command {
	var (
		o        engine.ContainerRemoveOptions
		all      bool
		latest   bool
		cidfiles []string
		filters  []string
		timeout  uint
	)
	var infraPods []string
	cmd := &cobra.Command{
		Use:   "rm [options] CONTAINER [CONTAINER...]",
		Short: "Remove one or more containers",
		Long:  "Removes one or more containers from the host. The container name or ID can be used.\n\n  Command does not remove images. Running or paused containers cannot be removed without the -f option.",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if cmd.Flags().Changed("time") {
				o.Timeout = &timeout
			}
			refs, err := readCIDRefs(cidfiles)
			if err != nil {
				return err
			}
			refs = append(refs, args...)
			if len(filters) > 0 && len(args) > 0 {
				return errors.New("--filter takes no arguments")
			}
			if all && latest {
				return errors.New("--all and --latest cannot be used together")
			}
			if all && len(refs) > 0 {
				return errors.New("no arguments are needed with --all")
			}
			if latest && len(refs) > 0 {
				return errors.New("--latest and containers cannot be used together")
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			switch {
			case len(filters) > 0:
				ids, err := filterTargets(ctx, g, filters)
				if err != nil {
					return err
				}
				refs = append(refs, ids...)
				all = true // print full IDs, nothing matched is no error
				if len(refs) == 0 {
					return nil
				}
			case latest:
				id, err := latestContainerID(ctx, eng)
				if err != nil {
					return err
				}
				refs = []string{id}
				all = true
			case all:
				l, err := eng.ContainerList(ctx, engine.ContainerListOptions{All: true})
				if err != nil {
					return err
				}
				for _, c := range l {
					if c.IsInfra {
						// As Podman: rm --all removes infra containers with their pods.
						infraPods = append(infraPods, c.Pod)
						continue
					}
					refs = append(refs, c.ID)
				}
			default:
				if len(refs) == 0 {
					return errors.New("must specify at least one container")
				}
			}
			// rm -f never fails for a container that is not there.
			opts := o
			if o.Force {
				opts.Ignore = true
			}
			err = removeEach(ctx, g, eng, refs, opts, all)
			for _, p := range infraPods {
				r, perr := eng.PodRemove(ctx, p, engine.PodRemoveOptions{Force: o.Force, Ignore: true, Timeout: opts.Timeout})
				for _, id := range r.Containers {
					fmt.Fprintln(g.Stdout, id)
				}
				if perr != nil && err == nil {
					err = rmExit(g, perr)
				}
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "Remove all containers")
	fl.StringArrayVar(&cidfiles, "cidfile", nil, "Read the container ID from the file")
	fl.StringArrayVar(&filters, "filter", nil, "Filter output based on conditions given")
	fl.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	fl.BoolVar(&o.Depend, "depend", false, "Remove container and all containers that depend on the selected container")
	fl.BoolVarP(&o.Force, "force", "f", false, "Force removal of a running or unusable container")
	fl.BoolVarP(&o.Ignore, "ignore", "i", false, "Ignore errors when a specified container is missing")
	fl.UintVarP(&timeout, "time", "t", 10, "Seconds to wait for stop before killing the container")
	fl.BoolVarP(&o.Volumes, "volumes", "v", false, "Remove anonymous volumes associated with the container")
	return cmd
}

// removeEach removes refs one by one, printing each removed one (as given,
// or the full ID with --all/--depend). Exit codes as Podman: 1 when a
// container does not exist, 2 when one is running without --force, else 125.
func removeEach(ctx context.Context, g *command.Globals, eng engine.Engine, refs []string, o engine.ContainerRemoveOptions, fullIDs bool) error {
	// Podman looks every name up before removing any: one unknown name
	// fails the whole command and nothing is removed.
	if !o.Ignore {
		for _, ref := range refs {
			ok, err := eng.ContainerExists(ctx, ref, engine.ContainerExistsOptions{External: true})
			if err != nil {
				return rmExit(g, err)
			}
			if !ok {
				return rmExit(g, fmt.Errorf("no container with name or ID %q found: %w", ref, engine.ErrNoSuchContainer))
			}
		}
	}
	var last error
	for _, ref := range refs {
		rep, err := eng.ContainerRemove(ctx, ref, o)
		if err != nil {
			if last != nil {
				fmt.Fprintln(g.Stderr, "Error:", last)
			}
			last = err
			continue
		}
		if len(rep.Removed) == 0 {
			continue
		}
		if fullIDs || o.Depend {
			for _, id := range rep.Removed {
				fmt.Fprintln(g.Stdout, id)
			}
		} else {
			fmt.Fprintln(g.Stdout, ref)
		}
	}
	return rmExit(g, last)
}

func rmExit(g *command.Globals, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, engine.ErrNoSuchContainer):
		fmt.Fprintln(g.Stderr, "Error:", err)
		return &command.ExitError{Code: 1}
	case errors.Is(err, engine.ErrCtrStateInvalid):
		fmt.Fprintln(g.Stderr, "Error:", err)
		return &command.ExitError{Code: 2}
	}
	return err
}

// readCIDRefs reads container IDs from --cidfile files.
func readCIDRefs(files []string) ([]string, error) {
	var out []string
	for _, f := range files {
		lines, err := readLines(f)
		if err != nil {
			return nil, fmt.Errorf("reading CIDFile: %w", err)
		}
		if len(lines) == 0 {
			return nil, fmt.Errorf("reading CIDFile: %s is empty", f)
		}
		out = append(out, strings.TrimSpace(lines[0]))
	}
	return out, nil
}
