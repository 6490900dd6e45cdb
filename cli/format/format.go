// Package format prints command results the way Podman does: a default table,
// `--format json`, `--format table {{.A}}\t{{.B}}` with a header row, or a
// plain Go template applied to each item.
package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
	"text/template"
)

// IsJSON reports whether the --format value asks for JSON.
func IsJSON(f string) bool {
	f = strings.TrimSpace(f)
	return f == "json" || f == "{{json .}}"
}

// IsTable reports whether the format renders a table with headers.
func IsTable(f string) bool {
	return strings.HasPrefix(strings.TrimSpace(f), "table")
}

// JSON writes v indented, as Podman's --format json does.
func JSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "     ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// Funcs are the template functions Podman offers on top of text/template.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"lower": strings.ToLower,
		"upper": strings.ToUpper,
		"title": strings.ToTitle,
		"split": strings.Split,
		"join":  strings.Join,
		"trunc": func(s string, n int) string {
			if len(s) > n {
				return s[:n]
			}
			return s
		},
		"truncate": func(s string, n int) string {
			if len(s) > n {
				return s[:n]
			}
			return s
		},
		"pad":      func(s string, pre, post int) string { return strings.Repeat(" ", pre) + s + strings.Repeat(" ", post) },
		"contains": strings.Contains,
		"replace":  strings.ReplaceAll,
	}
}

// Parse compiles a user template; errors carry Podman's prefix.
func Parse(text string) (*template.Template, error) {
	t, err := template.New("format").Funcs(Funcs()).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("template parsing error: %w", err)
	}
	return t, nil
}

// normalize turns the user's escapes into what they mean: `\t` and `\n` typed
// on a shell arrive as two characters.
func normalize(f string) string {
	f = strings.ReplaceAll(f, `\t`, "\t")
	f = strings.ReplaceAll(f, `\n`, "\n")
	return f
}

var fieldRE = regexp.MustCompile(`{{\s*\.(\w+)[^}]*}}`)

// Headers maps a field name to the header Podman prints for it; fields not
// listed get their name upper-cased with spaces between words.
type Headers map[string]string

func (h Headers) header(field string) string {
	if v, ok := h[field]; ok {
		return v
	}
	var b strings.Builder
	for i, r := range field {
		if i > 0 && r >= 'A' && r <= 'Z' && !(field[i-1] >= 'A' && field[i-1] <= 'Z') {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// Write renders items with the user's format (or def when empty). def is a
// table format such as "table {{.ID}}\t{{.Name}}". noHeading drops the header row.
func Write(w io.Writer, userFormat, def string, items any, h Headers, noHeading bool) error {
	f := userFormat
	if f == "" {
		f = def
	}
	if IsJSON(f) {
		return JSON(w, items)
	}
	f = normalize(f)
	table := IsTable(f)
	if table {
		f = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(f), "table"))
	}
	if !strings.HasSuffix(f, "\n") {
		f += "\n"
	}
	t, err := Parse(f)
	if err != nil {
		return err
	}
	var out io.Writer = w
	var tw *tabwriter.Writer
	if table {
		tw = tabwriter.NewWriter(w, 12, 2, 2, ' ', 0)
		out = tw
		if !noHeading {
			hdr := fieldRE.ReplaceAllStringFunc(f, func(m string) string {
				sub := fieldRE.FindStringSubmatch(m)
				return h.header(sub[1])
			})
			if _, err := io.WriteString(out, hdr); err != nil {
				return err
			}
		}
	}
	if err := each(items, func(item any) error {
		var buf bytes.Buffer
		if err := t.Execute(&buf, item); err != nil {
			return fmt.Errorf("template: %w", err)
		}
		_, err := out.Write(buf.Bytes())
		return err
	}); err != nil {
		return err
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}
