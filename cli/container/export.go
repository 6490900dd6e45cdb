package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newExportCommand(g *command.Globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "export [options] CONTAINER",
		Short: "Export container's filesystem contents as a tar archive",
		Long:  "Exports container's filesystem contents as a tar archive and saves it on the local machine.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("accepts 1 arg(s), received %d", len(args))
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			if output == "" {
				if f, ok := g.Stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
					return errors.New("refusing to export to terminal. Use -o flag or redirect")
				}
				return eng.ContainerExport(cmd.Context(), args[0], g.Stdout)
			}
			// Written next to the target and renamed, so a failed export
			// leaves no truncated archive behind.
			tmp, err := os.CreateTemp(filepath.Dir(output), ".export-*")
			if err != nil {
				return err
			}
			defer os.Remove(tmp.Name())
			if err := eng.ContainerExport(cmd.Context(), args[0], tmp); err != nil {
				tmp.Close()
				return err
			}
			if err := tmp.Chmod(0o644); err != nil {
				tmp.Close()
				return err
			}
			if err := tmp.Close(); err != nil {
				return err
			}
			return os.Rename(tmp.Name(), output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to a specified file (default: stdout, which must be redirected)")
	return cmd
}
