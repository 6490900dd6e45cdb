package container

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

var psSorts = []string{"command", "created", "id", "image", "names", "runningfor", "size", "status"}

func newPsCommand(g *command.Globals) *cobra.Command {
	var (
		o         engine.ContainerListOptions
		quiet     bool
		noTrunc   bool
		noHeading bool
		fmtStr    string
		sortBy    string
		filters   []string
		pod       bool
		sync      bool
		watch     uint
	)
	cmd := &cobra.Command{
		Use:   "ps [options]",
		Short: "List containers",
		Long:  "Prints out information about the containers",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validSort(sortBy) {
				return fmt.Errorf("invalid argument %q for \"--sort\" flag: %q is not a valid value.  Choose from: %q", sortBy, sortBy, strings.Join(psSorts, ", "))
			}
			if cmd.Flags().Changed("last") && o.Last < 0 {
				o.Last = 0
			}
			fm, err := ParseFilters(filters)
			if err != nil {
				return err
			}
			o.Filters = fm
			if quiet && fmtStr != "" {
				return fmt.Errorf("quiet and format cannot be used together")
			}
			if strings.Contains(fmtStr, ".Size") && !o.Size {
				o.Size = true
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			show := func() error {
				list, err := eng.ContainerList(cmd.Context(), o)
				if err != nil {
					return err
				}
				sortSummaries(list, sortBy)
				now := time.Now()
				rows := make([]psRow, len(list))
				for i := range list {
					rows[i] = psRow{ContainerSummary: list[i], noTrunc: noTrunc, now: now}
				}
				if quiet {
					for _, r := range rows {
						fmt.Fprintln(g.Stdout, r.ID())
					}
					return nil
				}
				if format.IsJSON(fmtStr) {
					out := make([]psJSON, 0, len(list))
					for _, c := range list {
						out = append(out, toPsJSON(c))
					}
					return format.JSON(g.Stdout, out)
				}
				def := "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
				if o.Size {
					def += "\t{{.Size}}"
				}
				if pod {
					def += "\t{{.Pod}}\t{{.PodName}}"
				}
				return format.Write(g.Stdout, fmtStr, def, rows, psHeaders, noHeading)
			}
			if watch == 0 {
				return show()
			}
			if quiet || format.IsJSON(fmtStr) {
				return errors.New("--watch cannot be used with --quiet or --format json")
			}
			tick := time.NewTicker(time.Duration(watch) * time.Second)
			defer tick.Stop()
			for {
				fmt.Fprint(g.Stdout, "\033[H\033[2J")
				if err := show(); err != nil {
					return err
				}
				select {
				case <-cmd.Context().Done():
					return nil
				case <-tick.C:
				}
			}
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&o.All, "all", "a", false, "Show all the containers, default is only running containers")
	fl.BoolVar(&o.External, "external", false, "Show containers in storage not controlled by Podman")
	fl.StringArrayVarP(&filters, "filter", "f", nil, "Filter output based on conditions given")
	fl.StringVar(&fmtStr, "format", "", "Pretty-print containers to JSON or using a Go template")
	fl.IntVarP(&o.Last, "last", "n", -1, "Print the n last created containers (all states)")
	fl.BoolVarP(&o.Latest, "latest", "l", false, "Act on the latest container podman is aware of")
	fl.BoolVar(&noTrunc, "no-trunc", false, "Display the extended information")
	fl.BoolVar(&noHeading, "noheading", false, "Do not print headers")
	fl.BoolVarP(&quiet, "quiet", "q", false, "Print the numeric IDs of the containers only")
	fl.BoolVarP(&o.Size, "size", "s", false, "Display the total file sizes")
	fl.StringVar(&sortBy, "sort", "created", "Sort output by: command, created, id, image, names, runningfor, size, status")
	fl.UintVarP(&watch, "watch", "w", 0, "Watch the ps output on an interval in seconds")
	fl.BoolVarP(&pod, "pod", "p", false, "Print the ID and name of the pod the containers are associated with")
	// ps always reads conmon's exit files, so it is always in sync.
	fl.BoolVar(&sync, "sync", false, "Sync container state with OCI runtime")
	return cmd
}

func validSort(s string) bool {
	for _, v := range psSorts {
		if v == s {
			return true
		}
	}
	return false
}

// ParseFilters turns --filter key=value flags into the engine's map.
func ParseFilters(fs []string) (map[string][]string, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	out := map[string][]string{}
	for _, f := range fs {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("invalid filter %q, should be in format key=value", f)
		}
		out[k] = append(out[k], v)
	}
	return out, nil
}

func sortSummaries(l []engine.ContainerSummary, by string) {
	less := func(i, j int) bool { return l[i].Created.Before(l[j].Created) }
	switch by {
	case "command":
		less = func(i, j int) bool { return strings.Join(l[i].Command, " ") < strings.Join(l[j].Command, " ") }
	case "id":
		less = func(i, j int) bool { return l[i].ID < l[j].ID }
	case "image":
		less = func(i, j int) bool { return l[i].Image < l[j].Image }
	case "names":
		less = func(i, j int) bool { return strings.Join(l[i].Names, ",") < strings.Join(l[j].Names, ",") }
	case "runningfor":
		less = func(i, j int) bool { return l[i].StartedAt > l[j].StartedAt }
	case "status":
		less = func(i, j int) bool { return l[i].Status < l[j].Status }
	case "size":
		less = func(i, j int) bool {
			var a, b int64
			if l[i].Size != nil {
				a = l[i].Size.RootFsSize + l[i].Size.RwSize
			}
			if l[j].Size != nil {
				b = l[j].Size.RootFsSize + l[j].Size.RwSize
			}
			return a < b
		}
	}
	sort.SliceStable(l, less)
}

var psHeaders = format.Headers{
	"ID": "CONTAINER ID", "CreatedHuman": "CREATED", "RunningFor": "CREATED", "Names": "NAMES",
	"CreatedAt": "CREATED AT", "Size": "SIZE", "Ports": "PORTS", "Command": "COMMAND",
	"Image": "IMAGE", "Status": "STATUS", "State": "STATE", "Labels": "LABELS", "Mounts": "MOUNTS",
	"Networks": "NETWORKS", "Pod": "POD ID", "PodName": "PODNAME", "ImageID": "IMAGE ID",
	"ExitCode": "EXIT CODE", "Pid": "PID", "Exited": "EXITED", "AutoRemove": "AUTO REMOVE",
}

// psRow is what ps templates see: Podman's psReporter methods over the
// engine's summary.
type psRow struct {
	engine.ContainerSummary
	noTrunc bool
	now     time.Time
}

func (r psRow) ID() string {
	if r.noTrunc || len(r.ContainerSummary.ID) < 12 {
		return r.ContainerSummary.ID
	}
	return r.ContainerSummary.ID[:12]
}

func (r psRow) Command() string {
	c := strings.Join(r.ContainerSummary.Command, " ")
	if !r.noTrunc && len(c) > 17 {
		return c[:17] + "..."
	}
	return c
}

func (r psRow) Names() string { return strings.Join(r.ContainerSummary.Names, ",") }

// Label returns one label's value ({{.Label "key"}}).
func (r psRow) Label(name string) string { return r.ContainerSummary.Labels[name] }

func (r psRow) Networks() string { return strings.Join(r.ContainerSummary.Networks, ",") }

func (r psRow) Mounts() string { return strings.Join(r.ContainerSummary.Mounts, ",") }

func (r psRow) Pod() string {
	if r.noTrunc || len(r.ContainerSummary.Pod) < 12 {
		return r.ContainerSummary.Pod
	}
	return r.ContainerSummary.Pod[:12]
}

func (r psRow) CreatedHuman() string {
	return units.HumanDuration(r.now.Sub(r.ContainerSummary.Created)) + " ago"
}

func (r psRow) RunningFor() string { return r.CreatedHuman() }

func (r psRow) CreatedAt() string { return r.ContainerSummary.Created.String() }

func (r psRow) Ports() string { return FormatPorts(r.ContainerSummary.Ports) }

func (r psRow) Size() string {
	s := r.ContainerSummary.Size
	if s == nil {
		return ""
	}
	return fmt.Sprintf("%s (virtual %s)", units.HumanSizeWithPrecision(float64(s.RwSize), 3), units.HumanSizeWithPrecision(float64(s.RootFsSize), 3))
}

// FormatPorts renders port mappings as Podman's ps PORTS column does:
// "0.0.0.0:8080->80/tcp, 127.0.0.1:9000-9001->9000-9001/udp".
func FormatPorts(ps []engine.PortMapping) string {
	parts := make([]string, 0, len(ps))
	for _, p := range ps {
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		n := p.Range
		if n == 0 {
			n = 1
		}
		for _, pr := range strings.Split(proto, ",") {
			if n == 1 {
				parts = append(parts, fmt.Sprintf("%s:%d->%d/%s", ip, p.HostPort, p.ContainerPort, pr))
			} else {
				parts = append(parts, fmt.Sprintf("%s:%d-%d->%d-%d/%s", ip, p.HostPort, p.HostPort+n-1, p.ContainerPort, p.ContainerPort+n-1, pr))
			}
		}
	}
	return strings.Join(parts, ", ")
}

// psJSON is one element of `ps --format json`, in Podman 4's field order and
// types (Created is a Unix time there).
type psJSON struct {
	AutoRemove bool                  `json:"AutoRemove"`
	Command    []string              `json:"Command"`
	CreatedAt  string                `json:"CreatedAt"`
	Exited     bool                  `json:"Exited"`
	ExitedAt   int64                 `json:"ExitedAt"`
	ExitCode   int32                 `json:"ExitCode"`
	ID         string                `json:"Id"`
	Image      string                `json:"Image"`
	ImageID    string                `json:"ImageID"`
	IsInfra    bool                  `json:"IsInfra"`
	Labels     map[string]string     `json:"Labels"`
	Mounts     []string              `json:"Mounts"`
	Names      []string              `json:"Names"`
	Namespaces struct{}              `json:"Namespaces"`
	Networks   []string              `json:"Networks"`
	Pid        int                   `json:"Pid"`
	Pod        string                `json:"Pod"`
	PodName    string                `json:"PodName"`
	Ports      []engine.PortMapping  `json:"Ports"`
	Size       *engine.ContainerSize `json:"Size"`
	StartedAt  int64                 `json:"StartedAt"`
	State      string                `json:"State"`
	Status     string                `json:"Status"`
	Created    int64                 `json:"Created"`
}

func toPsJSON(c engine.ContainerSummary) psJSON {
	return psJSON{
		AutoRemove: c.AutoRemove, Command: c.Command, CreatedAt: c.CreatedAt, Exited: c.Exited,
		ExitedAt: c.ExitedAt, ExitCode: c.ExitCode, ID: c.ID, Image: c.Image, ImageID: c.ImageID,
		IsInfra: c.IsInfra, Labels: c.Labels, Mounts: c.Mounts, Names: c.Names, Networks: c.Networks,
		Pid: c.Pid, Pod: c.Pod, PodName: c.PodName, Ports: c.Ports, Size: c.Size, StartedAt: c.StartedAt,
		State: c.State, Status: c.Status, Created: c.Created.Unix(),
	}
}
