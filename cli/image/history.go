package image

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// historyRow is one `history` line with Podman's template fields.
type historyRow struct {
	engine.ImageHistoryEntry
	human, noTrunc bool
}

func (h historyRow) ID() string {
	id := h.ImageHistoryEntry.ID
	if !h.noTrunc && len(id) >= 12 && id != "<missing>" {
		return id[:12]
	}
	return id
}
func (h historyRow) Created() string {
	if h.human {
		return humanSince(h.ImageHistoryEntry.Created)
	}
	return h.ImageHistoryEntry.Created.Format(time.RFC3339)
}
func (h historyRow) CreatedSince() string { return humanSince(h.ImageHistoryEntry.Created) }
func (h historyRow) CreatedAt() string    { return h.ImageHistoryEntry.Created.Format(time.RFC3339) }
func (h historyRow) CreatedBy() string {
	s := h.ImageHistoryEntry.CreatedBy
	if !h.noTrunc && len(s) > 45 {
		return s[:44] + "..."
	}
	return s
}
func (h historyRow) Size() string {
	if h.human {
		return humanSize(h.ImageHistoryEntry.Size)
	}
	return fmt.Sprint(h.ImageHistoryEntry.Size)
}
func (h historyRow) Comment() string { return h.ImageHistoryEntry.Comment }
func (h historyRow) Tags() string    { return strings.Join(h.ImageHistoryEntry.Tags, ", ") }

func newHistoryCommand(g *command.Globals) *cobra.Command {
	var human, noTrunc, quiet bool
	var f string
	cmd := &cobra.Command{
		Use:   "history [options] IMAGE",
		Short: "Show history of a specified image",
		Long:  "Displays the history of an image.\n\nThe information can be printed out in an easy to read, or user specified format, and can be truncated.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("accepts 1 arg(s), received %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			hist, err := eng.ImageHistory(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if format.IsJSON(f) {
				return historyJSON(g, hist)
			}
			rows := make([]historyRow, len(hist))
			for i, h := range hist {
				rows[i] = historyRow{ImageHistoryEntry: h, human: human, noTrunc: noTrunc}
			}
			if quiet {
				for _, r := range rows {
					fmt.Fprintln(g.Stdout, r.ID())
				}
				return nil
			}
			def := "table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
			return format.WriteNamed(g.Stdout, "history", f, def, rows, format.Headers{"ID": "ID", "CreatedBy": "CREATED BY"}, false)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f, "format", "", "Change the output to JSON or a Go template")
	fl.BoolVarP(&human, "human", "H", true, "Display sizes and dates in human readable format")
	fl.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate the output")
	fl.BoolVar(&noTrunc, "notruncate", false, "Do not truncate the output")
	_ = fl.MarkHidden("notruncate")
	fl.BoolVarP(&quiet, "quiet", "q", false, "Display the numeric IDs only")
	return cmd
}

// historyJSON prints what Podman 4 prints for `history --format json`: one
// line, with its mix of key spellings.
func historyJSON(g *command.Globals, hist []engine.ImageHistoryEntry) error {
	type entry struct {
		ID         string    `json:"id"`
		Created    time.Time `json:"created"`
		CreatedBy  string    `json:"CreatedBy"`
		Size       int64     `json:"size"`
		Comment    string    `json:"comment"`
		CreatedStr string    `json:"Created"`
	}
	out := make([]entry, len(hist))
	for i, h := range hist {
		out[i] = entry{h.ID, h.Created, h.CreatedBy, h.Size, h.Comment, h.Created.UTC().Truncate(time.Second).Format(time.RFC3339)}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(g.Stdout, string(b))
	return err
}
