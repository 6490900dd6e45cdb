package format

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
	"unicode"
)

// Headers maps a field name to the header Podman prints for it (for example
// "ID": "IMAGE ID", "CreatedSince": "CREATED"); fields not listed get their
// name split at case changes and upper-cased ("ImageID" → "IMAGE ID").
type Headers map[string]string

func (h Headers) header(path []string) string {
	if v, ok := h[strings.Join(path, ".")]; ok {
		return v
	}
	if v, ok := h[path[0]]; ok && len(path) == 1 {
		return v
	}
	last := path[len(path)-1]
	if v, ok := h[last]; ok {
		return v
	}
	return strings.ToUpper(strings.Join(SplitCamel(last), " "))
}

// SplitCamel splits an identifier into words at case changes, keeping
// acronyms together: "CreatedSince" → [Created Since], "ImageID" → [Image ID],
// "HTTPProxy" → [HTTP Proxy].
func SplitCamel(s string) []string {
	rs := []rune(s)
	var words []string
	start := 0
	for i := 1; i < len(rs); i++ {
		prev, cur := rs[i-1], rs[i]
		next := rune(0)
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		switch {
		case unicode.IsLower(prev) && unicode.IsUpper(cur),
			unicode.IsUpper(prev) && unicode.IsUpper(cur) && unicode.IsLower(next),
			unicode.IsDigit(prev) != unicode.IsDigit(cur) && !(unicode.IsUpper(prev) && unicode.IsDigit(cur)):
			words = append(words, string(rs[start:i]))
			start = i
		}
	}
	if start < len(rs) {
		words = append(words, string(rs[start:]))
	}
	return words
}

// actionRE finds one template action; fieldRE the first .Field.Path in it.
var (
	actionRE = regexp.MustCompile(`{{-?\s*(.*?)\s*-?}}`)
	fieldRE  = regexp.MustCompile(`(?:^|[\s(|])\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)`)
)

// headerRow renders the header line of a table body: every action that
// names a field becomes that field's header, other text is kept.
func headerRow(body string, h Headers) string {
	return actionRE.ReplaceAllStringFunc(body, func(a string) string {
		inner := actionRE.FindStringSubmatch(a)[1]
		m := fieldRE.FindStringSubmatch(inner)
		if m == nil {
			return ""
		}
		return h.header(strings.Split(m[1], "."))
	})
}

// Write renders items (a slice, or one value) with the user's format, or def
// when the user gave none or just "table". def is normally a table format such
// as "table {{.ID}}\t{{.Name}}". noHeading drops the header row of a table.
// Nothing is written when the template fails, so a bad --format prints only
// the error (and selkie exits 125).
func Write(w io.Writer, userFormat, def string, items any, h Headers, noHeading bool) error {
	return WriteNamed(w, "format", userFormat, def, items, h, noHeading)
}

// WriteNamed is Write with the template named as Podman names it (the command
// name), which appears in template error messages.
func WriteNamed(w io.Writer, name, userFormat, def string, items any, h Headers, noHeading bool) error {
	f := userFormat
	if strings.TrimSpace(f) == "" || (strings.TrimSpace(f) == "table" && def != "") {
		f = def
	}
	if IsJSON(f) {
		return JSON(w, items)
	}
	var out bytes.Buffer
	if IsTable(f) {
		body := tableBody(f)
		if !strings.HasSuffix(body, "\n") {
			body += "\n"
		}
		t, err := Parse(name, body)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(&out, 12, 2, 2, ' ', 0)
		if !noHeading {
			if _, err := io.WriteString(tw, headerRow(body, h)); err != nil {
				return err
			}
		}
		if err := each(items, func(item any) error { return t.Execute(tw, item) }); err != nil {
			return err
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	} else {
		body := normalize(f)
		if !strings.HasSuffix(body, "\n") {
			body += "\n"
		}
		t, err := Parse(name, body)
		if err != nil {
			return err
		}
		if err := each(items, func(item any) error { return t.Execute(&out, item) }); err != nil {
			return err
		}
	}
	_, err := w.Write(out.Bytes())
	return err
}
