package pod

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	units "github.com/docker/go-units"
	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

var psHeaders = format.Headers{"ID": "POD ID", "Id": "POD ID", "Name": "NAME", "Status": "STATUS", "Created": "CREATED",
	"InfraID": "INFRA ID", "InfraId": "INFRA ID", "NumberOfContainers": "# OF CONTAINERS", "ContainerIds": "IDS",
	"ContainerNames": "NAMES", "ContainerStatuses": "STATUS", "Networks": "NETWORKS", "Labels": "LABELS", "Cgroup": "CGROUP",
	"Namespace": "NAMESPACES"}

// psRow is one pod ps line; its methods are the template fields Podman offers.
type psRow struct {
	engine.PodSummary
	noTrunc bool
	now     time.Time
}

func short(id string, noTrunc bool) string {
	if !noTrunc && len(id) > 12 {
		return id[:12]
	}
	return id
}

func (r psRow) Id() string              { return short(r.PodSummary.ID, r.noTrunc) }
func (r psRow) InfraId() string         { return short(r.PodSummary.InfraID, r.noTrunc) }
func (r psRow) Created() string         { return units.HumanDuration(r.now.Sub(r.PodSummary.Created)) + " ago" }
func (r psRow) NumberOfContainers() int { return len(r.Containers) }
func (r psRow) Networks() string        { return strings.Join(r.PodSummary.Networks, ",") }
func (r psRow) ContainerIds() string {
	return r.join(func(c engine.PodContainerInfo) string { return short(c.ID, r.noTrunc) })
}
func (r psRow) ContainerNames() string {
	return r.join(func(c engine.PodContainerInfo) string { return c.Names })
}
func (r psRow) ContainerStatuses() string {
	return r.join(func(c engine.PodContainerInfo) string { return c.Status })
}
func (r psRow) Labels() map[string]string { return r.PodSummary.Labels }
func (r psRow) join(f func(engine.PodContainerInfo) string) string {
	parts := make([]string, 0, len(r.Containers))
	for _, c := range r.Containers {
		parts = append(parts, f(c))
	}
	return strings.Join(parts, ",")
}

func newListCommand(g *command.Globals) *cobra.Command {
	var filters []string
	var userFormat, sortBy string
	var noHeading, quiet, noTrunc, ctrNames, ctrIDs, ctrStatus, showNS, latest bool
	cmd := &cobra.Command{
		Use:     "ps [options]",
		Aliases: []string{"ls", "list"},
		Short:   "List pods",
		Long:    "List all pods on system including their names, ids and current state.",
		Args:    command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl, err := parseFilters(filters)
			if err != nil {
				return err
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			pods, err := eng.PodList(cmd.Context(), engine.PodListOptions{Filters: fl})
			if err != nil {
				return err
			}
			if err := sortPods(pods, sortBy); err != nil {
				return err
			}
			if latest && len(pods) > 1 {
				sort.SliceStable(pods, func(i, j int) bool { return pods[i].Created.After(pods[j].Created) })
				pods = pods[:1]
			}
			if quiet {
				for _, p := range pods {
					fmt.Fprintln(g.Stdout, short(p.ID, noTrunc))
				}
				return nil
			}
			if format.IsJSON(userFormat) {
				return format.JSONIndent(g.Stdout, pods, "  ")
			}
			now := time.Now()
			rows := make([]psRow, 0, len(pods))
			for _, p := range pods {
				rows = append(rows, psRow{PodSummary: p, noTrunc: noTrunc, now: now})
			}
			def := "table {{.Id}}\t{{.Name}}\t{{.Status}}\t{{.Created}}\t{{.InfraId}}\t"
			if ctrIDs {
				def += "{{.ContainerIds}}\t"
			}
			if ctrNames {
				def += "{{.ContainerNames}}\t"
			}
			if ctrStatus {
				def += "{{.ContainerStatuses}}\t"
			}
			if showNS {
				def += "{{.Cgroup}}\t{{.Namespace}}\t"
			}
			if !ctrIDs && !ctrNames && !ctrStatus {
				def += "{{.NumberOfContainers}}\t"
			}
			def = strings.TrimSuffix(def, "\t")
			return format.WriteNamed(g.Stdout, "list", userFormat, def, rows, psHeaders, noHeading)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&filters, "filter", "f", nil, "Filter output based on conditions given")
	f.StringVar(&userFormat, "format", "", "Pretty-print pods to JSON or using a Go template")
	f.BoolVar(&noHeading, "noheading", false, "Do not print headers")
	f.BoolVarP(&quiet, "quiet", "q", false, "Print the numeric IDs of the pods only")
	f.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate pod and container IDs")
	f.BoolVar(&ctrNames, "ctr-names", false, "Display the container names")
	f.BoolVar(&ctrIDs, "ctr-ids", false, "Display the container UUIDs. If no-trunc is not set they will be truncated")
	f.BoolVar(&ctrStatus, "ctr-status", false, "Display the container status")
	f.BoolVar(&showNS, "ns", false, "Display namespace information of the pod")
	f.BoolVarP(&latest, "latest", "l", false, "Act on the latest pod")
	f.StringVar(&sortBy, "sort", "created", "Sort output by created, id, name, or number")
	return cmd
}

// sortPods is --sort: created (newest first, as Podman), id, name, number, status.
func sortPods(pods []engine.PodSummary, by string) error {
	var less func(a, b engine.PodSummary) bool
	switch by {
	case "created", "":
		less = func(a, b engine.PodSummary) bool { return a.Created.After(b.Created) }
	case "id":
		less = func(a, b engine.PodSummary) bool { return a.ID < b.ID }
	case "name", "names":
		less = func(a, b engine.PodSummary) bool { return a.Name < b.Name }
	case "number":
		less = func(a, b engine.PodSummary) bool { return len(a.Containers) < len(b.Containers) }
	case "status":
		less = func(a, b engine.PodSummary) bool { return a.Status < b.Status }
	default:
		return errors.New("invalid option for --sort, options are: id, names, or number")
	}
	sort.SliceStable(pods, func(i, j int) bool { return less(pods[i], pods[j]) })
	return nil
}

func newInspectCommand(g *command.Globals) *cobra.Command {
	var f string
	var latest bool
	cmd := &cobra.Command{
		Use:   "inspect [options] POD [POD...]",
		Short: "Displays a pod configuration",
		Long:  "Display the configuration for a pod by name or id",
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			if latest {
				names, err := podArgs(cmd, g, nil, false, true, nil)
				if err != nil {
					return err
				}
				args = names
			}
			if len(args) == 0 {
				return errors.New("you must provide the name or id of a running pod")
			}
			var docs []*engine.PodInspect
			var errs []error
			for _, a := range args {
				d, err := eng.PodInspect(cmd.Context(), a)
				if errors.Is(err, engine.ErrNoSuchPod) {
					err = fmt.Errorf("inspecting object: no such pod %s", a)
				}
				if err != nil {
					errs = append(errs, err)
					continue
				}
				docs = append(docs, d)
			}
			if len(docs) > 0 {
				if format.IsJSON(f) || f == "" {
					// Podman prints a single pod as an object.
					var v any = docs
					if len(docs) == 1 && len(args) == 1 {
						v = docs[0]
					}
					if err := format.JSONIndent(g.Stdout, v, "     "); err != nil {
						return err
					}
				} else if err := format.WriteNamed(g.Stdout, "inspect", f, "", docs, nil, true); err != nil {
					return err
				}
			}
			if len(errs) == 0 {
				return nil
			}
			for _, e := range errs[:len(errs)-1] {
				fmt.Fprintln(g.Stderr, "Error:", e)
			}
			return errs[len(errs)-1]
		},
	}
	cmd.Flags().StringVarP(&f, "format", "f", "json", "Format the output to a Go template or json")
	cmd.Flags().BoolVarP(&latest, "latest", "l", false, "Act on the latest pod")
	return cmd
}

func newExistsCommand(g *command.Globals) *cobra.Command {
	return command.ExistsCommand(g, "exists POD", "Check if a pod exists in local storage",
		"If the named pod exists in local storage, podman pod exists exits with 0, otherwise the exit code will be 1.",
		func(ctx context.Context, eng engine.Engine, name string) (bool, error) {
			return eng.PodExists(ctx, name)
		})
}

func newRemoveCommand(g *command.Globals) *cobra.Command {
	var o engine.PodRemoveOptions
	var all, latest bool
	var timeout uint
	var idFiles []string
	cmd := &cobra.Command{
		Use:   "rm [options] POD [POD...]",
		Short: "Remove one or more pods",
		Long:  "Remove one or more pods; running pods (or pods with running containers) only with --force.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("time") {
				o.Timeout = &timeout
			}
			names, err := podArgs(cmd, g, args, all, latest, idFiles)
			if err != nil {
				return err
			}
			var failed error
			err = g.EachName(cmd.Context(), names, func(ctx context.Context, eng engine.Engine, name string) (string, error) {
				rep, err := eng.PodRemove(ctx, name, o)
				if err != nil {
					if errors.Is(err, engine.ErrNoSuchPod) && failed == nil {
						failed = err
					}
					return "", err
				}
				return rep.ID, nil
			})
			if err != nil && errors.Is(err, engine.ErrNoSuchPod) {
				fmt.Fprintln(g.Stderr, "Error:", err)
				return &command.ExitError{Code: 1}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all", "a", false, "Remove all running pods")
	f.BoolVarP(&latest, "latest", "l", false, "Act on the latest pod podman is aware of")
	f.BoolVarP(&o.Force, "force", "f", false, "Force removal of a running pod by first stopping all containers, then removing all containers in the pod.  The default is false")
	f.BoolVarP(&o.Ignore, "ignore", "i", false, "Ignore errors when a specified pod is missing")
	f.UintVarP(&timeout, "time", "t", 10, "Seconds to wait for pod stop before killing the container")
	f.StringArrayVar(&idFiles, "pod-id-file", nil, "Read the pod ID from the file")
	return cmd
}

func newPruneCommand(g *command.Globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "prune [options]",
		Short: "Remove all stopped pods and their containers",
		Long:  "podman pod prune Removes all exited pods",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				fmt.Fprint(g.Stdout, "WARNING! This will remove all stopped/exited pods..\nAre you sure you want to continue? [y/N] ")
				var ans string
				_, _ = fmt.Fscanln(g.Stdin, &ans)
				if a := strings.ToLower(strings.TrimSpace(ans)); a != "y" && a != "yes" {
					return nil
				}
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			pods, err := eng.PodList(cmd.Context(), engine.PodListOptions{})
			if err != nil {
				return err
			}
			var last error
			for _, p := range pods {
				if p.Status != "Exited" && p.Status != "Created" || (p.Status == "Created" && len(p.Containers) > 0) {
					continue
				}
				if _, err := eng.PodRemove(cmd.Context(), p.ID, engine.PodRemoveOptions{}); err != nil {
					if last != nil {
						fmt.Fprintln(g.Stderr, "Error:", last)
					}
					last = err
					continue
				}
				fmt.Fprintln(g.Stdout, p.ID)
			}
			return last
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation.  The default is false")
	return cmd
}

// members lists the pod's containers (running only when running), infra
// included only when withInfra.
func members(ctx context.Context, eng engine.Engine, ref string, running, withInfra bool) (*engine.PodInspect, []engine.PodInspectContainer, error) {
	in, err := eng.PodInspect(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	var out []engine.PodInspectContainer
	for _, c := range in.Containers {
		if (!withInfra && c.ID == in.InfraContainerID) || (running && c.State != "running") {
			continue
		}
		out = append(out, c)
	}
	return in, out, nil
}

func newTopCommand(g *command.Globals) *cobra.Command {
	var latest bool
	cmd := &cobra.Command{
		Use:   "top [options] POD [FORMAT-DESCRIPTORS|ARGS...]",
		Short: "Display the running processes of containers in a pod",
		Long:  "Display the running processes of containers in a pod.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if latest {
				// -l: every argument is a descriptor.
				ids, err := podArgs(cmd, g, nil, false, true, nil)
				if err != nil {
					return err
				}
				args = append(ids, args...)
			} else if len(args) == 0 {
				return errors.New("you must provide the name or id of a running pod")
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			in, ctrs, err := members(cmd.Context(), eng, args[0], true, true)
			if err != nil {
				return err
			}
			if len(ctrs) == 0 {
				return fmt.Errorf("pod %s is not running: %w", in.ID, engine.ErrCtrStateInvalid)
			}
			desc := args[1:]
			w := tabwriter.NewWriter(g.Stdout, 0, 0, 3, ' ', 0)
			header := false
			for _, c := range ctrs {
				rows, err := eng.ContainerTop(cmd.Context(), c.ID, desc)
				if err != nil {
					return err
				}
				for i, r := range rows {
					if i == 0 {
						if header {
							continue
						}
						header = true
					}
					fmt.Fprintln(w, strings.Join(r, "\t"))
				}
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVarP(&latest, "latest", "l", false, "Act on the latest pod podman is aware of")
	return cmd
}
