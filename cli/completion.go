package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/spf13/cobra"
)

// newCompletionCommand is Podman's `completion [options] {bash|zsh|fish|powershell}`.
// The scripts call back into `selkie __complete`, which cobra provides.
func newCompletionCommand(g *command.Globals) *cobra.Command {
	var file string
	var noDesc bool
	cmd := &cobra.Command{
		Use:   "completion [options] {bash|zsh|fish|powershell}",
		Short: "Generate shell autocompletions",
		Long: "Generate shell autocompletions.\n  Valid arguments are bash, zsh, fish and powershell.\n" +
			"  Please refer to the man page to see how you can load these completions.",
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			var w io.Writer = g.Stdout
			if file != "" {
				f, err := os.Create(file)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(w, !noDesc)
			case "zsh":
				if noDesc {
					return root.GenZshCompletionNoDesc(w)
				}
				return root.GenZshCompletion(w)
			case "fish":
				return root.GenFishCompletion(w, !noDesc)
			case "powershell":
				if noDesc {
					return root.GenPowerShellCompletion(w)
				}
				return root.GenPowerShellCompletionWithDesc(w)
			}
			return fmt.Errorf("unknown shell %q", args[0])
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "Output the completion to file rather than stdout.")
	cmd.Flags().BoolVar(&noDesc, "no-desc", false, "Don't include descriptions in the completion output.")
	return cmd
}
