package image

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/docker/go-units"
	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

// imageRow is one `images` line: a summary with Podman's template fields.
type imageRow struct {
	engine.ImageSummary
	Repository string
	Tag        string
	noTrunc    bool
}

func (r imageRow) ID() string {
	if !r.noTrunc && len(r.ImageSummary.ID) >= 12 {
		return r.ImageSummary.ID[:12]
	}
	return "sha256:" + r.ImageSummary.ID
}
func (r imageRow) Created() string      { return humanSince(r.CreatedAt) }
func (r imageRow) CreatedSince() string { return humanSince(r.CreatedAt) }
func (r imageRow) CreatedTime() string  { return r.CreatedAt.String() }
func (r imageRow) Size() string         { return humanSize(r.ImageSummary.Size) }
func (r imageRow) IsReadOnly() bool     { return r.ReadOnly }
func (r imageRow) History() string      { return strings.Join(r.ImageSummary.History, ", ") }

// humanSize prints sizes as Podman does: SI units, 3 significant digits.
func humanSize(n int64) string {
	s := units.HumanSizeWithPrecision(float64(n), 3)
	j := strings.LastIndexFunc(s, unicode.IsNumber)
	return s[:j+1] + " " + s[j+1:]
}

// humanSince prints "2 days ago" as Podman does.
func humanSince(t time.Time) string { return units.HumanDuration(time.Since(t)) + " ago" }

var imageHeaders = format.Headers{"ID": "IMAGE ID", "Created": "CREATED", "CreatedSince": "CREATED", "CreatedTime": "CREATED AT", "IsReadOnly": "R/O", "ReadOnly": "R/O"}

func newListCommand(g *command.Globals, use string) *cobra.Command {
	var o engine.ImageListOptions
	var digests, noHeading, noTrunc, quiet bool
	var userFormat, sortBy string
	cmd := &cobra.Command{
		Use:   use + " [options] [IMAGE]",
		Short: "List images in local storage",
		Long:  "Lists images previously pulled to the system or created on the system.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("accepts at most 1 arg(s), received %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validSort(sortBy) {
				return fmt.Errorf("\"%s\" is not a valid field for sorting. Choose from: created, id, repository, size, tag", sortBy)
			}
			if len(args) == 1 {
				o.Filters = append(o.Filters, "reference="+args[0])
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			imgs, err := eng.ImageList(cmd.Context(), o)
			if err != nil {
				return err
			}
			rows := imageRows(imgs, noTrunc)
			sortRows(rows, sortBy)
			if format.IsJSON(userFormat) {
				// Podman prints one entry per row (an image once per tag).
				out := make([]engine.ImageSummary, 0, len(rows))
				for _, r := range rows {
					sum := r.ImageSummary
					sum.RepoTags = nil // Podman's JSON keeps these empty
					if len(sum.Labels) == 0 {
						sum.Labels = nil
					}
					sum.ConfigDigest = ""
					out = append(out, sum)
				}
				return format.JSON(g.Stdout, out)
			}
			if quiet {
				seen := map[string]bool{}
				for _, r := range rows {
					if !seen[r.ImageSummary.ID] {
						seen[r.ImageSummary.ID] = true
						fmt.Fprintln(g.Stdout, r.ID())
					}
				}
				return nil
			}
			def := "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Created}}\t{{.Size}}"
			if digests {
				def = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.Created}}\t{{.Size}}"
			}
			return format.WriteNamed(g.Stdout, "images", userFormat, def, rows, imageHeaders, noHeading)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.All, "all", "a", false, "Show all images (default hides intermediate images)")
	f.BoolVar(&digests, "digests", false, "Show digests")
	f.StringArrayVarP(&o.Filters, "filter", "f", nil, "Filter output based on conditions provided (default [])")
	f.StringVar(&userFormat, "format", "", "Change the output format to JSON or a Go template")
	f.BoolVarP(&noHeading, "noheading", "n", false, "Do not print column headings")
	f.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate output")
	f.BoolVarP(&quiet, "quiet", "q", false, "Display only image IDs")
	f.StringVar(&sortBy, "sort", "created", "Sort by created, id, repository, size, tag")
	return cmd
}

// imageRows expands each image into one row per tagged name, as Podman does.
func imageRows(imgs []engine.ImageSummary, noTrunc bool) []imageRow {
	var rows []imageRow
	for _, img := range imgs {
		var tagged, untagged []imageRow
		for _, n := range img.Names {
			if strings.Contains(n, "@") {
				continue
			}
			repo, tag := splitRepoTag(n)
			r := imageRow{ImageSummary: img, Repository: repo, Tag: tag, noTrunc: noTrunc}
			if tag == "<none>" {
				untagged = append(untagged, r)
			} else {
				tagged = append(tagged, r)
			}
		}
		switch {
		case len(tagged) > 0:
			rows = append(rows, tagged...)
		case len(untagged) > 0:
			rows = append(rows, untagged[0])
		default:
			rows = append(rows, imageRow{ImageSummary: img, Repository: "<none>", Tag: "<none>", noTrunc: noTrunc})
		}
	}
	return rows
}

// splitRepoTag splits "repo:tag" at the last colon after the last slash.
func splitRepoTag(name string) (string, string) {
	slash := strings.LastIndex(name, "/")
	if i := strings.LastIndex(name, ":"); i > slash {
		return name[:i], name[i+1:]
	}
	return name, "<none>"
}

func validSort(s string) bool {
	switch s {
	case "created", "id", "repository", "size", "tag":
		return true
	}
	return false
}

func sortRows(rows []imageRow, by string) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		switch by {
		case "id":
			return a.ImageSummary.ID < b.ImageSummary.ID
		case "repository":
			if a.Repository != b.Repository {
				return a.Repository < b.Repository
			}
			return a.Tag < b.Tag
		case "size":
			return a.ImageSummary.Size < b.ImageSummary.Size
		case "tag":
			return a.Tag < b.Tag
		}
		return a.CreatedAt.After(b.CreatedAt)
	})
}
