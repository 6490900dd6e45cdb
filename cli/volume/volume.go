// Package volume holds the `volume` noun: create, ls, inspect, rm, prune,
// exists, export, import, mount, unmount.
package volume

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// Commands returns the top-level volume command.
func Commands(g *command.Globals) []*cobra.Command {
	v := &cobra.Command{
		Use:   "volume",
		Short: "Manage volumes",
		Long:  "Volumes are created in and can be shared between containers",
		Args:  command.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	v.AddCommand(newCreateCommand(g), newListCommand(g), newInspectCommand(g), newRemoveCommand(g),
		newPruneCommand(g), newExistsCommand(g), newExportCommand(g), newImportCommand(g),
		newMountCommand(g), newUnmountCommand(g))
	return []*cobra.Command{v}
}

// exitCodeFor is Podman's volume rm status: 1 for an unknown volume, 2 for
// one in use, 125 otherwise.
func exitCodeFor(err error) int {
	switch {
	case errors.Is(err, engine.ErrNoSuchVolume):
		return 1
	case errors.Is(err, engine.ErrVolumeInUse):
		return 2
	}
	return 125
}

func parseKV(list []string, what string) (map[string]string, error) {
	m := map[string]string{}
	for _, s := range list {
		k, v, _ := strings.Cut(s, "=")
		if k == "" {
			if what == "label" {
				return nil, fmt.Errorf("unable to process labels: invalid label format: %q", s)
			}
			return nil, fmt.Errorf("invalid %s %q: %w", what, s, engine.ErrInvalidArg)
		}
		m[k] = v
	}
	return m, nil
}

func parseFilters(list []string) (map[string][]string, error) {
	f := map[string][]string{}
	for _, s := range list {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("filter input must be in the form of filter=value: %s is invalid", s)
		}
		f[k] = append(f[k], v)
	}
	return f, nil
}

func newCreateCommand(g *command.Globals) *cobra.Command {
	var o engine.VolumeCreateOptions
	var labels, opts []string
	cmd := &cobra.Command{
		Use:   "create [options] [NAME]",
		Short: "Create a new volume",
		Long:  "If using the default driver, \"local\", the volume will be created on the host in the volumes directory under container storage.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("accepts at most 1 arg(s), received %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Name = args[0]
			}
			var err error
			if o.Labels, err = parseKV(labels, "label"); err != nil {
				return err
			}
			if o.Options, err = parseKV(opts, "option"); err != nil {
				return err
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			v, err := eng.VolumeCreate(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.Stdout, v.Name)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Driver, "driver", "d", "local", "Specify volume driver name")
	f.StringArrayVarP(&labels, "label", "l", nil, "Set metadata for a volume (e.g. --label mykey=value)")
	f.StringArrayVarP(&opts, "opt", "o", nil, "Set driver specific options")
	f.BoolVar(&o.Ignore, "ignore", false, "Don't fail if volume already exists")
	return cmd
}

func newRemoveCommand(g *command.Globals) *cobra.Command {
	var o engine.VolumeRemoveOptions
	var all bool
	var timeout int
	cmd := &cobra.Command{
		Use:     "rm [options] VOLUME [VOLUME...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more volumes",
		Long:    "Remove one or more existing volumes.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) > 0 && all) || (len(args) == 0 && !all) {
				return errors.New("choose either one or more volumes or all")
			}
			if cmd.Flags().Changed("time") {
				if timeout < 0 {
					return fmt.Errorf("invalid timeout %d: %w", timeout, engine.ErrInvalidArg)
				}
				t := uint(timeout)
				o.Timeout = &t
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			if all {
				vs, err := eng.VolumeList(cmd.Context(), engine.VolumeListOptions{})
				if err != nil {
					return err
				}
				for _, v := range vs {
					args = append(args, v.Name)
				}
			}
			code := 0
			var last error
			for _, a := range args {
				if err := eng.VolumeRemove(cmd.Context(), a, o); err != nil {
					if last != nil {
						fmt.Fprintln(g.Stderr, "Error:", last)
					}
					last, code = err, exitCodeFor(err)
					continue
				}
				fmt.Fprintln(g.Stdout, a)
			}
			if last == nil {
				return nil
			}
			if code != 125 {
				fmt.Fprintln(g.Stderr, "Error:", last)
				return &command.ExitError{Code: code}
			}
			return last
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all", "a", false, "Remove all volumes")
	f.BoolVarP(&o.Force, "force", "f", false, "Remove a volume by force, even if it is being used by a container")
	f.IntVarP(&timeout, "time", "t", int(g.StopTimeout()), "Seconds to wait for running containers to stop before killing the container")
	return cmd
}

func newPruneCommand(g *command.Globals) *cobra.Command {
	var force bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [options]",
		Short: "Remove all unused volumes",
		Long:  "Volumes that are not currently owned by a container will be removed.",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl, err := parseFilters(filters)
			if err != nil {
				return err
			}
			if !force {
				fmt.Fprint(g.Stdout, "WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:\n")
				eng, err := g.Engine()
				if err != nil {
					return err
				}
				lf := map[string][]string{"dangling": {"true"}}
				for k, v := range fl {
					lf[k] = v
				}
				vs, err := eng.VolumeList(cmd.Context(), engine.VolumeListOptions{Filters: lf})
				if err != nil {
					return err
				}
				if len(vs) == 0 {
					return nil
				}
				for _, v := range vs {
					fmt.Fprintln(g.Stdout, v.Name)
				}
				fmt.Fprint(g.Stdout, "Are you sure you want to continue? [y/N] ")
				line, _ := bufio.NewReader(g.Stdin).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
					return nil
				}
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			reps, err := eng.VolumePrune(cmd.Context(), engine.VolumePruneOptions{Filters: fl})
			if err != nil {
				return err
			}
			var last error
			for _, r := range reps {
				if r.Err != "" {
					if last != nil {
						fmt.Fprintln(g.Stderr, "Error:", last)
					}
					last = errors.New(r.Err)
					continue
				}
				fmt.Fprintln(g.Stdout, r.Name)
			}
			return last
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, "Provide filter values (e.g. 'label=<key>=<value>')")
	return cmd
}

func newExistsCommand(g *command.Globals) *cobra.Command {
	return command.ExistsCommand(g, "exists VOLUME", "volume exists",
		"If the given volume exists, podman volume exists exits with 0, otherwise the exit code will be 1.",
		func(ctx context.Context, eng engine.Engine, name string) (bool, error) {
			return eng.VolumeExists(ctx, name)
		})
}
