package network

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newRemoveCommand(g *command.Globals) *cobra.Command {
	var o engine.NetworkRemoveOptions
	var timeout int
	cmd := &cobra.Command{
		Use:     "rm [options] NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove networks",
		Long:    "Remove networks",
		Args:    command.MinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
			code := 0
			var last error
			for _, a := range args {
				rep, err := eng.NetworkRemove(cmd.Context(), a, o)
				if err != nil {
					if last != nil {
						fmt.Fprintln(g.Stderr, "Error:", last)
					}
					last, code = err, exitCodeFor(err)
					continue
				}
				fmt.Fprintln(g.Stdout, rep.Name)
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
	f.BoolVarP(&o.Force, "force", "f", false, "remove any containers using network")
	f.IntVarP(&timeout, "time", "t", int(g.StopTimeout()), "Seconds to wait for running containers to stop before killing the container")
	return cmd
}

func newPruneCommand(g *command.Globals) *cobra.Command {
	var force bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [options]",
		Short: "Prune unused networks",
		Long:  "Prune unused networks",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o := engine.NetworkPruneOptions{Filters: map[string][]string{}}
			for _, f := range filters {
				k, v, ok := strings.Cut(f, "=")
				if !ok {
					return fmt.Errorf("invalid filter %q", f)
				}
				o.Filters[k] = append(o.Filters[k], v)
			}
			if !force {
				fmt.Fprint(g.Stdout, "WARNING! This will remove all networks not used by at least one container.\nAre you sure you want to continue? [y/N] ")
				line, _ := bufio.NewReader(g.Stdin).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
					return nil
				}
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			removed, err := eng.NetworkPrune(cmd.Context(), o)
			for _, n := range removed {
				fmt.Fprintln(g.Stdout, n)
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, "Provide filter values (e.g. 'label=<key>=<value>')")
	return cmd
}

func newExistsCommand(g *command.Globals) *cobra.Command {
	return command.ExistsCommand(g, "exists NETWORK", "network exists",
		"If the named network exists, podman network exists exits with 0, otherwise the exit code will be 1.",
		func(ctx context.Context, eng engine.Engine, name string) (bool, error) {
			return eng.NetworkExists(ctx, name)
		})
}
