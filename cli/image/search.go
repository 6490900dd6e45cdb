package image

import (
	"fmt"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/format"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

var searchHeaders = format.Headers{"Index": "INDEX", "Name": "NAME", "Description": "DESCRIPTION", "Stars": "STARS",
	"Official": "OFFICIAL", "Automated": "AUTOMATED", "Tag": "TAG"}

func newSearchCommand(g *command.Globals) *cobra.Command {
	var (
		o                   engine.ImageSearchOptions
		rf                  registryFlags
		userFormat          string
		noTrunc, compatible bool
	)
	cmd := &cobra.Command{
		Use:   "search [options] TERM",
		Short: "Search registry for image",
		Long:  "Search registries for a given image. Can search all the default registries or a specific registry.\n\n\tUsers can limit the number of results, and filter the output based on certain conditions.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("search requires exactly one argument")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			rf.apply(cmd, &o.RegistryOptions)
			if o.Limit < 0 {
				return fmt.Errorf("limit %d is outside the range of [1, 100]", o.Limit)
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			res, err := eng.ImageSearch(cmd.Context(), args[0], o)
			if err != nil {
				return err
			}
			if format.IsJSON(userFormat) {
				if res == nil {
					res = []engine.ImageSearchResult{}
				}
				return format.JSON(g.Stdout, res)
			}
			if len(res) == 0 {
				return nil
			}
			if !noTrunc {
				for i := range res {
					if d := res[i].Description; len(d) > 45 {
						res[i].Description = d[:44] + "..."
					}
				}
			}
			def := "table {{.Name}}\t{{.Description}}"
			switch {
			case o.ListTags:
				def = "table {{.Name}}\t{{.Tag}}"
			case compatible:
				def = "table {{.Name}}\t{{.Description}}\t{{.Stars}}\t{{.Official}}\t{{.Automated}}"
			}
			return format.WriteNamed(g.Stdout, "search", userFormat, def, res, searchHeaders, false)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.AuthFile, "authfile", "", "Path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override")
	f.StringVar(&o.CertDir, "cert-dir", "", "`Pathname` of a directory containing TLS certificates and keys")
	f.StringVar(&o.Creds, "creds", "", "`Credentials` (USERNAME:PASSWORD) to use for authenticating to a registry")
	f.BoolVar(&rf.tlsVerify, "tls-verify", true, "Require HTTPS and verify certificates when contacting registries")
	f.BoolVar(&compatible, "compatible", false, "List stars, official and automated columns (Docker compatibility)")
	f.StringSliceVarP(&o.Filters, "filter", "f", nil, "Filter output based on conditions provided (default [])")
	f.StringVar(&userFormat, "format", "", "Change the output format to JSON or a Go template")
	f.IntVar(&o.Limit, "limit", 0, "Limit the number of results")
	f.BoolVar(&o.ListTags, "list-tags", false, "List the tags of the input registry")
	f.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate the output")
	return cmd
}
