package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

const statsTable = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}\t{{.CPUNano}}\t{{.AVGCPU}}"

var statsHeaders = format.Headers{
	"ID": "ID", "Name": "NAME", "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %",
	"NetIO": "NET IO", "BlockIO": "BLOCK IO", "PIDS": "PIDS", "CPUNano": "CPU TIME", "AVGCPU": "AVG CPU %",
	"UpTime": "UPTIME", "MemUsageBytes": "MEM USAGE / LIMIT", "ContainerID": "ID", "CPU": "CPU",
}

// statsRow is one stats line: the raw sample plus Podman's rendered columns.
type statsRow struct {
	engine.ContainerStats
	ID, CPUPerc, MemUsage, MemUsageBytes, MemPerc, NetIO, BlockIO, PIDS, AVGCPU string
	CPUNano                                                                     string
	UpTime                                                                      string
}

// statsJSON is Podman's `stats --format json` element.
type statsJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	CPUTime    string `json:"cpu_time"`
	CPUPercent string `json:"cpu_percent"`
	AvgCPU     string `json:"avg_cpu"`
	MemUsage   string `json:"mem_usage"`
	MemPercent string `json:"mem_percent"`
	NetIO      string `json:"net_io"`
	BlockIO    string `json:"block_io"`
	PIDs       string `json:"pids"`
}

func newStatsCommand(g *command.Globals) *cobra.Command {
	var (
		all, latest, noStream, noTrunc, noReset bool
		fmtStr                                  string
		interval                                int
	)
	cmd := &cobra.Command{
		Use:   "stats [options] [CONTAINER...]",
		Short: "Display a live stream of container resource usage statistics",
		Long:  "Display percentage of CPU, memory, network I/O, block I/O and PIDs for one or more containers.",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if interval < 1 {
				return fmt.Errorf("invalid interval, must be a positive number greater zero: %w", engine.ErrInvalidArg)
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			prev := map[string]*engine.ContainerStats{}
			for first := true; ; first = false {
				refs := args
				switch {
				case latest:
					id, err := latestID(ctx, eng)
					if err != nil {
						return err
					}
					refs = []string{id}
				case len(args) == 0:
					if refs, err = listIDs(ctx, eng, !all); err != nil {
						return err
					}
				}
				rows, err := sampleStats(ctx, eng, refs, prev, noTrunc, first || len(args) > 0)
				if err != nil {
					return err
				}
				if !noStream && !noReset && !format.IsJSON(fmtStr) {
					fmt.Fprint(g.Stdout, "\033[2J\033[1;1H")
				}
				if err := writeStats(g.Stdout, fmtStr, rows); err != nil {
					return err
				}
				if noStream {
					return nil
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(time.Duration(interval) * time.Second):
				}
			}
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&all, "all", "a", false, "Show all containers. Only running containers are shown by default. The default is false")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	fs.BoolVar(&noStream, "no-stream", false, "Disable streaming stats and only pull the first result, default setting is false")
	fs.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate output")
	fs.BoolVar(&noReset, "no-reset", false, "Disable resetting the screen between intervals")
	fs.StringVar(&fmtStr, "format", "", "Pretty-print container statistics to JSON or using a Go template")
	fs.IntVarP(&interval, "interval", "i", 5, "Time in seconds between stats reports")
	return cmd
}

// sampleStats takes one sample per container. The CPU % of a container seen
// before is the rate since the previous sample (Podman's streaming figure);
// the first sample's is the average since the container started. Named
// containers that vanish are an error; listed ones are skipped.
func sampleStats(ctx context.Context, eng engine.Engine, refs []string, prev map[string]*engine.ContainerStats, noTrunc, strict bool) ([]statsRow, error) {
	rows := make([]statsRow, 0, len(refs))
	for _, ref := range refs {
		s, err := eng.ContainerStats(ctx, ref)
		if err != nil {
			if !strict && errors.Is(err, engine.ErrNoSuchContainer) {
				continue
			}
			return nil, err
		}
		cpu := s.CPU
		if p := prev[s.ContainerID]; p != nil && s.SystemNano > p.SystemNano && s.CPUNano >= p.CPUNano {
			cpu = 100 * float64(s.CPUNano-p.CPUNano) / float64(s.SystemNano-p.SystemNano)
		}
		prev[s.ContainerID] = s
		rows = append(rows, renderStats(s, cpu, noTrunc))
	}
	return rows, nil
}

func renderStats(s *engine.ContainerStats, cpu float64, noTrunc bool) statsRow {
	id := s.ContainerID
	if !noTrunc {
		id = portShortID(id)
	}
	mem := humanSize(float64(s.MemUsage)) + " / " + humanSize(float64(s.MemLimit))
	return statsRow{
		ContainerStats: *s,
		ID:             id,
		CPUPerc:        fmt.Sprintf("%.2f%%", cpu),
		MemUsage:       mem,
		MemUsageBytes:  mem,
		MemPerc:        fmt.Sprintf("%.2f%%", s.MemPerc),
		NetIO:          humanSize(float64(s.NetInput)) + " / " + humanSize(float64(s.NetOutput)),
		BlockIO:        humanSize(float64(s.BlockInput)) + " / " + humanSize(float64(s.BlockOutput)),
		PIDS:           strconv.FormatUint(s.PIDs, 10),
		CPUNano:        time.Duration(s.CPUNano).String(),
		AVGCPU:         fmt.Sprintf("%.2f%%", s.CPU),
		UpTime:         s.UpTime.String(),
	}
}

func writeStats(w io.Writer, fmtStr string, rows []statsRow) error {
	if format.IsJSON(fmtStr) {
		out := make([]statsJSON, 0, len(rows))
		for _, r := range rows {
			out = append(out, statsJSON{ID: r.ID, Name: r.Name, CPUTime: r.CPUNano, CPUPercent: r.CPUPerc, AvgCPU: r.AVGCPU,
				MemUsage: r.MemUsage, MemPercent: r.MemPerc, NetIO: r.NetIO, BlockIO: r.BlockIO, PIDs: r.PIDS})
		}
		return jsonOneSpace(w, out)
	}
	return format.Write(w, fmtStr, statsTable, rows, statsHeaders, false)
}

// humanSize is go-units' HumanSize: decimal units, four significant digits
// ("532.5kB", "25.28GB").
func humanSize(n float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}
	i := 0
	for n >= 1000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	return strconv.FormatFloat(n, 'g', 4, 64) + units[i]
}

// jsonOneSpace is the one-space indented JSON Podman prints for stats and mount.
func jsonOneSpace(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
