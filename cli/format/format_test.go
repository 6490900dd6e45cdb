package format

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

type row struct {
	ID           string
	Repository   string
	CreatedSince string
	Names        []string
	Labels       map[string]string
	Nested       struct{ Status string }
}

func rows() []row {
	a := row{ID: "b23448e1bd9b", Repository: "localhost/bb", CreatedSince: "2 hours ago", Names: []string{"a", "<b>"}}
	a.Nested.Status = "running"
	b := row{ID: "0123456789ab", Repository: "docker.io/library/busybox", CreatedSince: "3 days ago", Names: nil}
	return []row{a, b}
}

var hdr = Headers{"ID": "IMAGE ID", "CreatedSince": "CREATED"}

func TestWrite(t *testing.T) {
	def := "table {{.Repository}}\t{{.ID}}\t{{.CreatedSince}}"
	tests := []struct {
		name      string
		format    string
		noHeading bool
		items     any
		want      string
	}{
		{
			name: "default table",
			want: "REPOSITORY                 IMAGE ID      CREATED\n" +
				"localhost/bb               b23448e1bd9b  2 hours ago\n" +
				"docker.io/library/busybox  0123456789ab  3 days ago\n",
		},
		{
			name:   "bare table keyword means the default",
			format: "table",
			want: "REPOSITORY                 IMAGE ID      CREATED\n" +
				"localhost/bb               b23448e1bd9b  2 hours ago\n" +
				"docker.io/library/busybox  0123456789ab  3 days ago\n",
		},
		{
			name:      "noheading",
			noHeading: true,
			want: "localhost/bb               b23448e1bd9b  2 hours ago\n" +
				"docker.io/library/busybox  0123456789ab  3 days ago\n",
		},
		{
			name:   "user table with typed \\t and spaces as separators; unknown header is split camel case",
			format: `table {{.ID}}\t{{.Repository}} {{.Nested.Status}}`,
			want: "IMAGE ID      REPOSITORY                 STATUS\n" +
				"b23448e1bd9b  localhost/bb               running\n" +
				"0123456789ab  docker.io/library/busybox  \n", // tabwriter pads the empty last cell, as Podman's
		},
		{
			name:   "spaces inside actions are kept",
			format: `table {{ .ID }} {{join .Names ", "}}`,
			want: "IMAGE ID      NAMES\n" +
				"b23448e1bd9b  a, <b>\n" +
				"0123456789ab  \n",
		},
		{
			name:   "plain template: no header, no alignment, escapes honoured",
			format: `{{.ID}}\t{{.Repository}}`,
			want:   "b23448e1bd9b\tlocalhost/bb\n0123456789ab\tdocker.io/library/busybox\n",
		},
		{
			name:   "json function per item, no HTML escaping",
			format: `{{json .Names}}`,
			want:   "[\"a\",\"<b>\"]\nnull\n",
		},
		{
			name:   "template funcs",
			format: `{{upper .Repository}} {{lower "ABC"}} {{truncate .ID 4}} {{title "hello world"}} {{pad .Nested.Status 1 2}}| {{index (split .Repository "/") 0}}`,
			want:   "LOCALHOST/BB abc b234 Hello World  running  | localhost\nDOCKER.IO/LIBRARY/BUSYBOX abc 0123 Hello World | docker.io\n",
		},
		{
			name:   "single value",
			format: "{{.Repository}}",
			items:  rows()[0],
			want:   "localhost/bb\n",
		},
		{
			name:  "empty list table prints only the header",
			items: []row{},
			want:  "REPOSITORY  IMAGE ID    CREATED\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items := tc.items
			if items == nil {
				items = rows()
			}
			var buf bytes.Buffer
			if err := Write(&buf, tc.format, def, items, hdr, tc.noHeading); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Errorf("got\n%q\nwant\n%q", buf.String(), tc.want)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	for _, f := range []string{"json", " json ", "{{json .}}", "{{ json . }}"} {
		var buf bytes.Buffer
		if err := Write(&buf, f, "", rows()[:1], nil, false); err != nil {
			t.Fatal(err)
		}
		want := "[\n    {\n        \"ID\": \"b23448e1bd9b\",\n        \"Repository\": \"localhost/bb\",\n"
		if !strings.HasPrefix(buf.String(), want) || !strings.Contains(buf.String(), `"<b>"`) {
			t.Errorf("format %q: got %s", f, buf.String())
		}
	}
	var buf bytes.Buffer
	var none []row
	if err := Write(&buf, "json", "", none, nil, false); err != nil || buf.String() != "[]\n" {
		t.Errorf("nil list as json: %q %v", buf.String(), err)
	}
	buf.Reset()
	if err := JSONLine(&buf, map[string]int{"a": 1}); err != nil || buf.String() != "{\"a\":1}\n" {
		t.Errorf("JSONLine: %q %v", buf.String(), err)
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct{ format, want string }{
		{"{{.Bogus}}", `template: images:1:2: executing "images" at <.Bogus>: can't evaluate field Bogus in type format.row`},
		{"{{.ID", "unclosed action"},
		{"table {{.ID}} {{nosuch .ID}}", `template: images:1: function "nosuch" not defined`},
		{"{{truncate .ID}}", "wrong number of args for truncate"},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		err := WriteNamed(&buf, "images", tc.format, "", rows(), nil, false)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("format %q: err = %v, want %q", tc.format, err, tc.want)
		}
		if buf.Len() != 0 {
			t.Errorf("format %q: partial output %q written before the error", tc.format, buf.String())
		}
	}
}

func TestSplitCamel(t *testing.T) {
	for in, want := range map[string][]string{
		"ID": {"ID"}, "CreatedSince": {"Created", "Since"}, "ImageID": {"Image", "ID"},
		"HTTPProxy": {"HTTP", "Proxy"}, "Names": {"Names"}, "Mem2Free": {"Mem", "2", "Free"},
	} {
		if got := SplitCamel(in); !reflect.DeepEqual(got, want) {
			t.Errorf("SplitCamel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsJSONIsTable(t *testing.T) {
	for f, want := range map[string]bool{"json": true, "{{json .}}": true, "{{json .ID}}": false, "jsonx": false, "table": false} {
		if IsJSON(f) != want {
			t.Errorf("IsJSON(%q) != %v", f, want)
		}
	}
	for f, want := range map[string]bool{"table": true, "table {{.ID}}": true, `table\t{{.ID}}`: true, "tablex": false, "{{.ID}}": false} {
		if IsTable(f) != want {
			t.Errorf("IsTable(%q) != %v", f, want)
		}
	}
}
