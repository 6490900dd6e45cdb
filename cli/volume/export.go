package volume

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newExportCommand(g *command.Globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "export [options] VOLUME",
		Short: "Export volumes",
		Long:  "Exports a volume to a tar file.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var w io.Writer = g.Stdout
			var tmp *os.File
			if output != "" && output != "-" {
				f, err := os.CreateTemp(filepath.Dir(output), ".selkie-export-*")
				if err != nil {
					return err
				}
				defer os.Remove(f.Name())
				defer f.Close()
				tmp, w = f, f
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			if err := eng.VolumeExport(cmd.Context(), args[0], w); err != nil {
				if errors.Is(err, engine.ErrNoSuchVolume) {
					return fmt.Errorf("%w %s", engine.ErrNoSuchVolume, args[0]) // Podman's text
				}
				return err
			}
			if tmp != nil {
				if err := tmp.Sync(); err != nil {
					return err
				}
				if err := tmp.Chmod(0o644); err != nil {
					return err
				}
				return os.Rename(tmp.Name(), output)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to a specified file (default: stdout, which must be redirected)")
	return cmd
}

func newImportCommand(g *command.Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "import VOLUME [SOURCE]",
		Short: "Import a tarball contents into a podman volume",
		Long:  "Imports contents into a podman volume from specified tarball (.tar, .tar.gz, .tgz, .bzip, .tar.xz, .txz).",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var r io.Reader = g.Stdin
			if args[1] != "-" {
				f, err := os.Open(args[1])
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			err = eng.VolumeImport(cmd.Context(), args[0], r)
			if errors.Is(err, engine.ErrNoSuchVolume) {
				return &noSuchVolume{name: args[0], err: err} // Podman's text
			}
			return err
		},
	}
}

func newMountCommand(g *command.Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "mount NAME",
		Short: "Mount volume",
		Long:  "Mount a volume and return the mountpoint",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			p, err := eng.VolumeMount(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(g.Stdout, p)
			return nil
		},
	}
}

func newUnmountCommand(g *command.Globals) *cobra.Command {
	return &cobra.Command{
		Use:     "unmount NAME",
		Aliases: []string{"umount"},
		Short:   "Unmount volume",
		Long:    "Unmount a volume",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			if err := eng.VolumeUnmount(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintln(g.Stdout, args[0])
			return nil
		},
	}
}

// noSuchVolume prints as Podman's volume import does ("no such volume X")
// and still matches engine.ErrNoSuchVolume.
type noSuchVolume struct {
	name string
	err  error
}

func (e *noSuchVolume) Error() string { return "no such volume " + e.name }
func (e *noSuchVolume) Unwrap() error { return e.err }
