package cli

import (
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// helpText lays help out as Podman does: Short, a Description section for
// subcommands, Usage, Available Commands and "Options:" with the command's
// own flags only (the root's are the global options).
const helpText = `{{if .Help}}{{.Cmd.Short}}{{if .Cmd.HasParent}}

Description:
  {{with .Cmd.Long}}{{.}}{{else}}{{.Cmd.Short}}{{end}}{{end}}

{{end}}Usage:{{if .Cmd.HasAvailableSubCommands}}
  {{.Cmd.UseLine}} [command]{{else}}
  {{.Cmd.UseLine}}{{end}}{{if gt (len .Cmd.Aliases) 0}}

Aliases:
  {{.Cmd.NameAndAliases}}{{end}}{{if .Cmd.HasExample}}

Examples:
  {{.Cmd.Example}}{{end}}{{if .Cmd.HasAvailableSubCommands}}

Available Commands:{{range .Cmd.Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding}} {{.Short}}{{end}}{{end}}{{end}}{{with .Options}}

Options:
{{.}}{{end}}
`

// writeHelp renders the help (help=true) or the usage of c.
func writeHelp(w io.Writer, c *cobra.Command, help bool) error {
	t, err := template.New("help").Funcs(template.FuncMap{
		"rpad": func(s string, n int) string { return fmt.Sprintf("%-*s", n, s) },
	}).Parse(helpText)
	if err != nil {
		return err
	}
	return t.Execute(w, struct {
		Cmd     *cobra.Command
		Help    bool
		Options string
	}{c, help, flagUsages(c.LocalFlags())})
}

// flagUsages formats flags like pflag, without the "[=true|false]" that
// pflag 1.1 appends to booleans (Podman's help has none).
func flagUsages(fs *pflag.FlagSet) string {
	type line struct{ spec, usage string }
	var lines []line
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		spec := "      --" + f.Name
		if f.Shorthand != "" && f.ShorthandDeprecated == "" {
			spec = "  -" + f.Shorthand + ", --" + f.Name
		}
		varname, usage := pflag.UnquoteUsage(f)
		if varname != "" && f.Value.Type() != "bool" {
			spec += " " + varname
		}
		if f.NoOptDefVal != "" && f.Value.Type() != "bool" {
			spec += fmt.Sprintf("[=%s]", f.NoOptDefVal)
		}
		if def := f.DefValue; def != "" && def != "false" && def != "0" && def != "[]" {
			if f.Value.Type() == "string" {
				def = fmt.Sprintf("%q", def)
			}
			usage += fmt.Sprintf(" (default %s)", def)
		}
		width = max(width, len(spec))
		lines = append(lines, line{spec, usage})
	})
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%-*s   %s\n", width, l.spec, strings.ReplaceAll(l.usage, "\n", "\n"+strings.Repeat(" ", width+3)))
	}
	return strings.TrimRight(b.String(), "\n")
}
