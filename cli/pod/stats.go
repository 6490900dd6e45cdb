package pod

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	units "github.com/docker/go-units"
	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// statsRow is one line of pod stats: Podman's PodStatsReport (strings,
// already rendered), in its JSON field order.
type statsRow struct {
	CPU           string `json:"CPU"`
	MemUsage      string `json:"MemUsage"`
	MemUsageBytes string `json:"MemUsageBytes"`
	Mem           string `json:"Mem"`
	NetIO         string `json:"NetIO"`
	BlockIO       string `json:"BlockIO"`
	PIDS          string `json:"PIDS"`
	Pod           string `json:"Pod"`
	CID           string `json:"CID"`
	Name          string `json:"Name"`
}

// MemPerc is Mem under the name container stats uses.
func (r statsRow) MemPerc() string { return r.Mem }

var statsHeaders = format.Headers{"Pod": "POD", "CID": "CID", "Name": "NAME", "CPU": "CPU %", "MemUsage": "MEM USAGE/ LIMIT",
	"MemUsageBytes": "MEM USAGE/ LIMIT", "Mem": "MEM %", "MemPerc": "MEM %", "NetIO": "NET IO", "BlockIO": "BLOCK IO", "PIDS": "PIDS"}

const statsTable = "table {{.Pod}}\t{{.CID}}\t{{.Name}}\t{{.CPU}}\t{{.MemUsage}}\t{{.Mem}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}"

// statsInterval is how often streaming pod stats refreshes (Podman: 1s).
const statsInterval = time.Second

func newStatsCommand(g *command.Globals) *cobra.Command {
	var userFormat string
	var all, latest, noStream, noReset bool
	cmd := &cobra.Command{
		Use:   "stats [options] [POD...]",
		Short: "Display a live stream of resource usage statistics for the containers in one or more pods",
		Long:  "Display a live stream of containers in one or more pods resource usage statistics.  Running rootless is only supported on cgroups v2 systems.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if (all || latest) && len(args) > 0 {
				return fmt.Errorf("--all, --latest and arguments cannot be used together: %w", engine.ErrInvalidArg)
			}
			if all && latest {
				return fmt.Errorf("--all and --latest cannot be used together: %w", engine.ErrInvalidArg)
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if latest {
				if args, err = podArgs(cmd, g, nil, false, true, nil); err != nil {
					return err
				}
			}
			reset := !noReset && !format.IsJSON(userFormat) && isTerminal(g.Stdout)
			prev := map[string]*engine.ContainerStats{}
			for {
				rows, err := podStatsSample(ctx, eng, args, prev)
				if err != nil {
					return err
				}
				if reset {
					fmt.Fprint(g.Stdout, "\033[2J\033[1;1H")
				}
				if err := writePodStats(g.Stdout, userFormat, rows); err != nil {
					return err
				}
				if noStream {
					return nil
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(statsInterval):
				}
			}
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all", "a", false, "Provide stats for all pods")
	f.BoolVarP(&latest, "latest", "l", false, "Act on the latest pod podman is aware of")
	f.StringVar(&userFormat, "format", "", "Pretty-print container statistics to JSON or using a Go template")
	f.BoolVar(&noStream, "no-stream", false, "Disable streaming stats and only pull the first result")
	f.BoolVar(&noReset, "no-reset", false, "Disable resetting the screen when streaming")
	return cmd
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// podStatsSample takes one sample of every member of the named pods (all
// pods when none is named). A member sampled before gets the CPU rate
// since then; a first sample, the average since the container started.
func podStatsSample(ctx context.Context, eng engine.Engine, refs []string, prev map[string]*engine.ContainerStats) ([]statsRow, error) {
	if len(refs) == 0 {
		pods, err := eng.PodList(ctx, engine.PodListOptions{})
		if err != nil {
			return nil, err
		}
		for _, p := range pods {
			refs = append(refs, p.ID)
		}
	}
	rows := []statsRow{}
	for _, ref := range refs {
		in, ctrs, err := members(ctx, eng, ref, false, true)
		if err != nil {
			return nil, err
		}
		for _, c := range ctrs {
			row := statsRow{CPU: "--", MemUsage: "-- / --", MemUsageBytes: "-- / --", Mem: "--", NetIO: "-- / --", BlockIO: "-- / --", PIDS: "--",
				Pod: short(in.ID, false), CID: short(c.ID, false), Name: c.Name}
			if c.State == "running" {
				if s, err := eng.ContainerStats(ctx, c.ID); err == nil {
					cpu := s.CPU
					if p := prev[c.ID]; p != nil && s.SystemNano > p.SystemNano && s.CPUNano >= p.CPUNano {
						cpu = 100 * float64(s.CPUNano-p.CPUNano) / float64(s.SystemNano-p.SystemNano)
					}
					prev[c.ID] = s
					renderPodStats(&row, s, cpu)
				}
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

func renderPodStats(r *statsRow, s *engine.ContainerStats, cpu float64) {
	dec := func(n uint64) string { return units.HumanSizeWithPrecision(float64(n), 4) }
	r.CPU = fmt.Sprintf("%.2f%%", cpu)
	r.MemUsage = dec(s.MemUsage) + " / " + dec(s.MemLimit)
	r.MemUsageBytes = units.BytesSize(float64(s.MemUsage)) + " / " + units.BytesSize(float64(s.MemLimit))
	r.Mem = fmt.Sprintf("%.2f%%", s.MemPerc)
	r.NetIO = dec(s.NetInput) + " / " + dec(s.NetOutput)
	if s.BlockInput+s.BlockOutput > 0 {
		r.BlockIO = dec(s.BlockInput) + " / " + dec(s.BlockOutput)
	}
	r.PIDS = strconv.FormatUint(s.PIDs, 10)
}

// writePodStats prints one sample: JSON as Podman (a five-space indented
// array), else the table or the user's template.
func writePodStats(w io.Writer, userFormat string, rows []statsRow) error {
	if format.IsJSON(userFormat) {
		b, err := json.MarshalIndent(rows, "", "     ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	return format.WriteNamed(w, "stats", userFormat, statsTable, rows, statsHeaders, false)
}
