package system

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// dfSummary is one row of `system df`.
type dfSummary struct {
	Type           string
	Total          int
	Active         int
	RawSize        int64
	RawReclaimable int64
}

func (d dfSummary) Size() string { return dfSize(d.RawSize) }

func (d dfSummary) Reclaimable() string {
	percent := 0
	if d.RawSize > 0 {
		percent = int(math.Round(float64(d.RawReclaimable) / float64(d.RawSize) * 100))
	}
	return fmt.Sprintf("%s (%d%%)", dfSize(d.RawReclaimable), percent)
}

func dfSize(n int64) string { return units.HumanSizeWithPrecision(float64(n), 3) }

type dfImageRow struct{ engine.SystemDfImageReport }

func (r dfImageRow) ImageID() string { return shortID(r.SystemDfImageReport.ImageID) }
func (r dfImageRow) Created() string {
	return units.HumanDuration(time.Since(r.SystemDfImageReport.Created))
}
func (r dfImageRow) Size() string       { return dfSize(r.SystemDfImageReport.Size) }
func (r dfImageRow) SharedSize() string { return dfSize(r.SystemDfImageReport.SharedSize) }
func (r dfImageRow) UniqueSize() string { return dfSize(r.SystemDfImageReport.UniqueSize) }

type dfContainerRow struct{ engine.SystemDfContainerReport }

func (r dfContainerRow) ContainerID() string { return shortID(r.SystemDfContainerReport.ContainerID) }
func (r dfContainerRow) Command() string     { return strings.Join(r.SystemDfContainerReport.Command, " ") }
func (r dfContainerRow) Size() string        { return dfSize(r.SystemDfContainerReport.RWSize) }
func (r dfContainerRow) Created() string {
	return units.HumanDuration(time.Since(r.SystemDfContainerReport.Created))
}

type dfVolumeRow struct{ engine.SystemDfVolumeReport }

func (r dfVolumeRow) Size() string { return dfSize(r.SystemDfVolumeReport.Size) }

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

var dfHeaders = format.Headers{"Type": "TYPE", "Total": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE",
	"ImageID": "IMAGE ID", "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE", "ContainerID": "CONTAINER ID",
	"LocalVolumes": "LOCAL VOLUMES", "VolumeName": "VOLUME NAME"}

func newDfCommand(g *command.Globals) *cobra.Command {
	var userFormat string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "df [options]",
		Short: "Show selkie disk usage",
		Long:  "Show selkie disk usage",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if verbose && userFormat != "" {
				return fmt.Errorf("cannot combine --format and --verbose flags")
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			rep, err := eng.SystemDf(cmd.Context())
			if err != nil {
				return err
			}
			if verbose {
				return dfVerbose(g, rep)
			}
			img := dfSummary{Type: "Images", Total: len(rep.Images), RawSize: rep.ImagesSize}
			for _, i := range rep.Images {
				if i.Containers > 0 {
					img.Active++
				} else {
					img.RawReclaimable += i.Size
				}
			}
			ctr := dfSummary{Type: "Containers", Total: len(rep.Containers)}
			for _, c := range rep.Containers {
				ctr.RawSize += c.RWSize
				if c.Status == "running" || strings.HasPrefix(c.Status, "Up") {
					ctr.Active++
				} else {
					ctr.RawReclaimable += c.RWSize
				}
			}
			vol := dfSummary{Type: "Local Volumes", Total: len(rep.Volumes)}
			for _, v := range rep.Volumes {
				vol.RawSize += v.Size
				vol.RawReclaimable += v.ReclaimableSize
				if v.Links > 0 {
					vol.Active++
				}
			}
			rows := []dfSummary{img, ctr, vol}
			if format.IsJSON(userFormat) {
				return format.JSON(g.Stdout, rows)
			}
			return format.WriteNamed(g.Stdout, "df", userFormat, "table {{.Type}}\t{{.Total}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}", rows, dfHeaders, false)
		},
	}
	f := cmd.Flags()
	f.StringVar(&userFormat, "format", "", "Pretty-print images using a Go template")
	f.BoolVarP(&verbose, "verbose", "v", false, "Show detailed information on disk usage")
	return cmd
}

func dfVerbose(g *command.Globals, rep *engine.SystemDfReport) error {
	imgs := make([]dfImageRow, 0, len(rep.Images))
	for _, i := range rep.Images {
		imgs = append(imgs, dfImageRow{i})
	}
	ctrs := make([]dfContainerRow, 0, len(rep.Containers))
	for _, c := range rep.Containers {
		ctrs = append(ctrs, dfContainerRow{c})
	}
	vols := make([]dfVolumeRow, 0, len(rep.Volumes))
	for _, v := range rep.Volumes {
		vols = append(vols, dfVolumeRow{v})
	}
	sections := []struct {
		title, tmpl string
		rows        any
		empty       string
	}{
		{"Images space usage:", "table {{.Repository}}\t{{.Tag}}\t{{.ImageID}}\t{{.Created}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}", imgs,
			"REPOSITORY  TAG  IMAGE ID  CREATED  SIZE  SHARED SIZE  UNIQUE SIZE  CONTAINERS"},
		{"Containers space usage:", "table {{.ContainerID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.Created}}\t{{.Status}}\t{{.Names}}", ctrs,
			"CONTAINER ID  IMAGE  COMMAND  LOCAL VOLUMES  SIZE  CREATED  STATUS  NAMES"},
		{"Local Volumes space usage:", "table {{.VolumeName}}\t{{.Links}}\t{{.Size}}", vols, "VOLUME NAME  LINKS  SIZE"},
	}
	for i, s := range sections {
		if i > 0 {
			fmt.Fprintln(g.Stdout)
		}
		fmt.Fprintf(g.Stdout, "%s\n\n", s.title)
		if err := format.WriteNamed(g.Stdout, "df", "", s.tmpl, s.rows, dfHeaders, false); err != nil {
			return err
		}
	}
	return nil
}
