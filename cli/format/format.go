// Package format prints command results the way Podman does: a default table,
// `--format json`, `--format 'table {{.A}}\t{{.B}}'` with a header row, or a
// plain Go template applied to each item.
package format

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"regexp"
	"strings"
	"text/template"
)

var jsonRE = regexp.MustCompile(`^\s*(json|{{\s*json\s*\.\s*}})\s*$`)

// IsJSON reports whether the --format value asks for JSON: "json" or "{{json .}}".
func IsJSON(f string) bool { return jsonRE.MatchString(f) }

// IsTable reports whether the format renders a table with headers.
func IsTable(f string) bool {
	f = strings.TrimSpace(f)
	return f == "table" || strings.HasPrefix(f, "table ") || strings.HasPrefix(f, "table\t") || strings.HasPrefix(f, `table\t`)
}

// JSON writes v indented by four spaces, as Podman's list and inspect
// commands do. A nil slice is written as [] (Podman never prints null there).
func JSON(w io.Writer, v any) error { return JSONIndent(w, v, "    ") }

// JSONIndent writes v with the given indent (Podman's info uses two spaces),
// without HTML escaping, followed by a newline.
func JSONIndent(w io.Writer, v any, indent string) error {
	v = emptySlice(v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// JSONLine writes v compactly on one line (Podman's `version --format json`).
func JSONLine(w io.Writer, v any) error { return JSONIndent(w, v, "") }

func emptySlice(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice && rv.IsNil() {
		return reflect.MakeSlice(rv.Type(), 0, 0).Interface()
	}
	return v
}

// Funcs are the template functions Podman offers on top of text/template.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"json": func(v any) (string, error) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				return "", err
			}
			return strings.TrimSpace(buf.String()), nil
		},
		"lower":    strings.ToLower,
		"upper":    strings.ToUpper,
		"title":    title,
		"split":    strings.Split,
		"join":     strings.Join,
		"truncate": truncate,
		"pad":      pad,
	}
}

// title upper-cases the first letter of every word.
func title(s string) string {
	prev := ' '
	return strings.Map(func(r rune) rune {
		isStart := prev == ' ' || prev == '\t' || prev == '\n' || prev == '-' || prev == '_'
		prev = r
		if isStart {
			return []rune(strings.ToUpper(string(r)))[0]
		}
		return r
	}, s)
}

// truncate keeps the first n bytes of s.
func truncate(s string, n int) string {
	if n < 0 || len(s) <= n {
		return s
	}
	return s[:n]
}

// pad surrounds a non-empty s with pre and post spaces.
func pad(s string, pre, post int) string {
	if s == "" {
		return s
	}
	return strings.Repeat(" ", max(pre, 0)) + s + strings.Repeat(" ", max(post, 0))
}

// Parse compiles a user template (already normalized) with Podman's functions.
// Errors read like Podman's: `template: NAME:1: unclosed action`.
func Parse(name, text string) (*template.Template, error) {
	return template.New(name).Funcs(Funcs()).Parse(text)
}

// normalize turns the user's escapes into what they mean: `\t` and `\n` typed
// on a shell arrive as two characters.
func normalize(f string) string {
	return strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(f)
}

// tableBody strips the "table" keyword and, as Podman does, turns spaces
// between actions into column separators (spaces inside {{ }} are kept).
func tableBody(f string) string {
	f = strings.TrimSpace(f)
	f = strings.TrimPrefix(f, "table")
	f = normalize(strings.TrimLeft(f, " \t"))
	var b strings.Builder
	depth := 0
	for i := 0; i < len(f); i++ {
		switch {
		case strings.HasPrefix(f[i:], "{{"):
			depth++
			b.WriteString("{{")
			i++
		case strings.HasPrefix(f[i:], "}}") && depth > 0:
			depth--
			b.WriteString("}}")
			i++
		case f[i] == ' ' && depth == 0:
			for i+1 < len(f) && f[i+1] == ' ' {
				i++
			}
			b.WriteByte('\t')
		default:
			b.WriteByte(f[i])
		}
	}
	return b.String()
}
