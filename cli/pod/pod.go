// Package pod holds the `pod` noun: create, ps, inspect, start, stop,
// restart, kill, pause, unpause, rm, prune, exists, top, logs, stats.
package pod

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/container"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// Commands returns the top-level pod command.
func Commands(g *command.Globals) []*cobra.Command {
	p := &cobra.Command{
		Use:   "pod",
		Short: "Manage pods",
		Long:  "Pods are a group of one or more containers sharing the same network, pid and ipc namespaces.",
		Args:  command.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	p.AddCommand(newCreateCommand(g), newListCommand(g), newInspectCommand(g), newExistsCommand(g),
		newRemoveCommand(g), newPruneCommand(g), newCloneCommand(g), newTopCommand(g), newLogsCommand(g), newStatsCommand(g))
	p.AddCommand(actionCommands(g)...)
	return []*cobra.Command{p}
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
	var o engine.PodCreateOptions
	var infra bool
	var pf podFlags
	var share, publish []string
	var applyNetwork func(*engine.ContainerCreateOptions) error
	var podIDFile string
	var shareParent bool
	cmd := &cobra.Command{
		Use:   "create [options] [NAME]",
		Short: "Create a new empty pod",
		Long:  "After creating the pod, the pod ID is printed to stdout.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("too many arguments, create takes at most 1 argument")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if o.Name != "" {
					return errors.New("cannot specify --name and NAME at the same time")
				}
				o.Name = args[0]
			}
			o.NoInfra = !infra
			if cmd.Flags().Changed("share-parent") {
				o.ShareParent = &shareParent
			}
			if err := pf.apply(cmd.Flags(), &o); err != nil {
				return err
			}
			if !infra && (cmd.Flags().Changed("infra-image") || cmd.Flags().Changed("infra-command") || cmd.Flags().Changed("infra-name")) {
				return errors.New("cannot set infra options when --infra=false")
			}
			if cmd.Flags().Changed("share") {
				s, err := parseShare(share)
				if err != nil {
					return err
				}
				o.Share = s
			}
			for _, p := range publish {
				pm, err := container.ParsePublish(p)
				if err != nil {
					return err
				}
				o.PortMappings = append(o.PortMappings, pm...)
			}
			var netOpts engine.ContainerCreateOptions
			if err := applyNetwork(&netOpts); err != nil {
				return err
			}
			if strings.HasPrefix(netOpts.Network, "container:") {
				return fmt.Errorf("pods presently do not support network mode %s", netOpts.Network)
			}
			o.Network, o.Networks = netOpts.Network, netOpts.Networks
			o.CreateCommand = os.Args
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			var idFile *os.File
			if podIDFile != "" {
				idFile, err = os.OpenFile(podIDFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
				if err != nil {
					if errors.Is(err, os.ErrExist) {
						return fmt.Errorf("pod id file exists. Ensure another pod is not using it or delete %s", podIDFile)
					}
					return fmt.Errorf("opening pod-id-file %s: %w", podIDFile, err)
				}
			}
			o.PullProgress = g.Stderr
			id, err := eng.PodCreate(cmd.Context(), o)
			if err != nil {
				if idFile != nil {
					idFile.Close()
					os.Remove(podIDFile)
				}
				return err
			}
			if idFile != nil {
				_, werr := idFile.WriteString(id)
				if cerr := idFile.Close(); werr == nil {
					werr = cerr
				}
				if werr != nil {
					return fmt.Errorf("writing pod-id-file: %w", werr)
				}
			}
			fmt.Fprintln(g.Stdout, id)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Name, "name", "n", "", "Assign a name to the pod")
	f.BoolVar(&infra, "infra", true, "Create an infra container associated with the pod to share namespaces with")
	f.StringVar(&o.InfraImage, "infra-image", "", "Image to use to override builtin infra container")
	pf.bind(f, &o)
	f.StringSliceVar(&share, "share", nil, "A comma delimited list of kernel namespaces the pod will share")
	f.StringSliceVarP(&publish, "publish", "p", nil, "Publish a container's port, or a range of ports, to the host")
	applyNetwork = container.NetworkFlags(f)
	f.StringSliceVar(&o.AddHosts, "add-host", nil, "Add a custom host-to-IP mapping (host:ip)")
	f.StringSliceVar(&o.DNSServers, "dns", nil, "Set custom DNS servers")
	f.StringSliceVar(&o.DNSSearch, "dns-search", nil, "Set custom DNS search domains")
	f.StringSliceVar(&o.DNSOptions, "dns-option", nil, "Set custom DNS options")
	f.BoolVar(&o.NoHosts, "no-hosts", false, "Do not create /etc/hosts within the container, instead use the version from the image")
	f.StringVar(&o.ExitPolicy, "exit-policy", "continue", "Behaviour when the last container exits")
	f.StringVar(&o.RestartPolicy, "restart", "", "Restart policy to apply when a container exits")
	f.BoolVar(&o.Replace, "replace", false, "If a pod with the same name exists, replace it")
	f.StringVar(&podIDFile, "pod-id-file", "", "Write the pod ID to the file")
	f.BoolVar(&shareParent, "share-parent", true, "Set the pod's cgroup as the cgroup parent for all containers joining the pod")
	return cmd
}

// parseShare applies Podman's --share syntax: a list replaces the default,
// "+ns" adds to it, "none" shares nothing.
func parseShare(list []string) ([]string, error) {
	var out []string
	plus := false
	for i, s := range list {
		s = strings.TrimSpace(s)
		if i == 0 && strings.HasPrefix(s, "+") {
			plus = true
			s = s[1:]
		}
		out = append(out, s)
	}
	if plus {
		out = append([]string{"ipc", "net", "uts"}, out...)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// actionCommands are start, stop, restart, kill, pause, unpause: each runs
// on the named pods (or --all / --latest) and prints the pod ID.
func actionCommands(g *command.Globals) []*cobra.Command {
	type action struct {
		use, short string
		run        func(ctx context.Context, eng engine.Engine, id string) (engine.PodActionReport, error)
	}
	var timeout uint
	var signal string
	var cmds []*cobra.Command
	for _, a := range []action{
		{"start", "Start one or more pods", func(ctx context.Context, eng engine.Engine, id string) (engine.PodActionReport, error) {
			return eng.PodStart(ctx, id)
		}},
		{"stop", "Stop one or more pods", nil},
		{"restart", "Restart one or more pods", func(ctx context.Context, eng engine.Engine, id string) (engine.PodActionReport, error) {
			return eng.PodRestart(ctx, id)
		}},
		{"kill", "Send the specified signal or SIGKILL to containers in pod", func(ctx context.Context, eng engine.Engine, id string) (engine.PodActionReport, error) {
			return eng.PodKill(ctx, id, signal)
		}},
		{"pause", "Pause one or more pods", func(ctx context.Context, eng engine.Engine, id string) (engine.PodActionReport, error) {
			return eng.PodPause(ctx, id)
		}},
		{"unpause", "Unpause one or more pods", func(ctx context.Context, eng engine.Engine, id string) (engine.PodActionReport, error) {
			return eng.PodUnpause(ctx, id)
		}},
	} {
		a := a
		var all, latest, ignore bool
		var idFiles []string
		cmd := &cobra.Command{
			Use:   a.use + " [options] POD [POD...]",
			Short: a.short,
			Long:  a.short + ".",
		}
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			run := a.run
			if a.use == "stop" {
				var t *uint
				if cmd.Flags().Changed("time") {
					t = &timeout
				}
				run = func(ctx context.Context, eng engine.Engine, id string) (engine.PodActionReport, error) {
					return eng.PodStop(ctx, id, engine.ContainerStopOptions{Timeout: t, Ignore: ignore})
				}
			}
			names, err := podArgs(cmd, g, args, all, latest, idFiles)
			if err != nil {
				return err
			}
			return g.EachName(cmd.Context(), names, func(ctx context.Context, eng engine.Engine, name string) (string, error) {
				rep, err := run(ctx, eng, name)
				if err != nil {
					ids := make([]string, 0, len(rep.Errors))
					for id := range rep.Errors {
						ids = append(ids, id)
					}
					sort.Strings(ids)
					for _, id := range ids {
						fmt.Fprintln(g.Stderr, "Error:", rep.Errors[id])
					}
					return "", err
				}
				return rep.ID, nil
			})
		}
		f := cmd.Flags()
		f.BoolVarP(&all, "all", "a", false, "Act on all pods")
		f.BoolVarP(&latest, "latest", "l", false, "Act on the latest pod")
		switch a.use {
		case "start", "stop", "restart":
			f.StringArrayVar(&idFiles, "pod-id-file", nil, "Read the pod ID from the file")
		}
		switch a.use {
		case "stop":
			f.UintVarP(&timeout, "time", "t", 10, "Seconds to wait for pod stop before killing the container")
			f.BoolVarP(&ignore, "ignore", "i", false, "Ignore errors when a specified pod is missing")
		case "kill":
			f.StringVarP(&signal, "signal", "s", "KILL", "Signal to send to the containers in the pod")
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}

// podArgs turns args, --all, --latest and --pod-id-file into pod IDs or names.
func podArgs(cmd *cobra.Command, g *command.Globals, args []string, all, latest bool, idFiles []string) ([]string, error) {
	n := 0
	for _, b := range []bool{len(args) > 0, all, latest, len(idFiles) > 0} {
		if b {
			n++
		}
	}
	if n == 0 {
		return nil, errors.New("you must provide at least one name or id")
	}
	if n > 1 {
		if all || latest {
			return nil, errors.New("--all, --latest and --pod-id-file cannot be used together with pod names")
		}
	}
	names := append([]string(nil), args...)
	for _, f := range idFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading pod ID from file %s: %w", f, err)
		}
		names = append(names, strings.TrimSpace(string(b)))
	}
	if all || latest {
		eng, err := g.Engine()
		if err != nil {
			return nil, err
		}
		pods, err := eng.PodList(cmd.Context(), engine.PodListOptions{})
		if err != nil {
			return nil, err
		}
		if latest {
			if len(pods) == 0 {
				return nil, errors.New("no pods to act on")
			}
			sort.Slice(pods, func(i, j int) bool { return pods[i].Created.After(pods[j].Created) })
			pods = pods[:1]
		}
		for _, p := range pods {
			names = append(names, p.ID)
		}
	}
	return names, nil
}

func newCloneCommand(g *command.Globals) *cobra.Command {
	var o engine.PodCloneOptions
	var pf podFlags
	cmd := &cobra.Command{
		Use:   "clone [options] POD NAME",
		Short: "Clone an existing pod",
		Long:  "Create an exact copy of a pod and the containers within it",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return errors.New("must specify at least 1 argument and at most 2")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				o.Name = args[1]
			}
			if err := pf.apply(cmd.Flags(), &o.Create); err != nil {
				return err
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			id, err := eng.PodClone(cmd.Context(), args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.Stdout, id)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Name, "name", "n", "", "name the new pod")
	f.BoolVar(&o.Destroy, "destroy", false, "destroy the original pod")
	f.BoolVar(&o.Start, "start", false, "start the new pod")
	pf.bind(f, &o.Create)
	return cmd
}
