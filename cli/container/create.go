package container

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/spf13/cobra"
)

func newCreateCommand(g *command.Globals) *cobra.Command {
	var f CreateFlags
	var quiet bool
	cmd := &cobra.Command{
		Use:   "create [options] IMAGE [COMMAND [ARG...]]",
		Short: "Create but do not start a container",
		Long:  "Creates a new container from the given image or storage and prepares it for running the specified command.\n\n  The container ID is then printed to stdout. You can then start it at any time with the podman start <container_id> command. The container will be created with the initial state 'created'.",
		Args:  command.MinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.Options(cmd.Flags(), args[0], args[1:])
			if err != nil {
				return err
			}
			o.CreateCommand = os.Args
			if !quiet {
				o.PullProgress = g.Stderr
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			cid, err := OpenCIDFile(f.CIDFile)
			if err != nil {
				return err
			}
			rep, err := eng.ContainerCreate(cmd.Context(), o)
			if err != nil {
				cid.Abort()
				return err
			}
			if err := cid.Write(rep.ID); err != nil {
				return err
			}
			for _, w := range rep.Warnings {
				fmt.Fprintln(g.Stderr, w)
			}
			fmt.Fprintln(g.Stdout, rep.ID)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress output information when pulling images")
	AddCreateFlags(cmd.Flags(), &f, false, 10)
	return cmd
}

// CIDFile is a --cidfile reserved before the container is created (so that
// a file in use fails before any work), filled in after.
type CIDFile struct {
	path string
	f    *os.File
}

// OpenCIDFile creates path exclusively; "" gives a no-op CIDFile.
func OpenCIDFile(path string) (*CIDFile, error) {
	if path == "" {
		return &CIDFile{}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("container id file exists. Ensure another container is not using it or delete %s", path)
		}
		return nil, fmt.Errorf("opening cidfile: %w", err)
	}
	return &CIDFile{path: path, f: f}, nil
}

// Write stores the ID and closes the file.
func (c *CIDFile) Write(id string) error {
	if c.f == nil {
		return nil
	}
	defer c.f.Close()
	if _, err := io.WriteString(c.f, id); err != nil {
		return fmt.Errorf("writing cidfile: %w", err)
	}
	return c.f.Sync()
}

// Abort removes the reserved file after a failed create.
func (c *CIDFile) Abort() {
	if c.f == nil {
		return
	}
	c.f.Close()
	os.Remove(c.path)
}
