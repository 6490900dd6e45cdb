package image

import (
	"fmt"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newTreeCommand(g *command.Globals) *cobra.Command {
	var o engine.ImageTreeOptions
	cmd := &cobra.Command{
		Use:     "tree [options] IMAGE",
		Short:   "Print layer hierarchy of an image in a tree format",
		Long:    "Print layer hierarchy of an image in a tree format",
		Example: "selkie image tree alpine:latest",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("accepts 1 arg(s), received %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			tree, err := eng.ImageTree(cmd.Context(), args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.Stdout, tree) // Podman ends with an empty line
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.WhatRequires, "whatrequires", false, "Show all child images and layers of the specified image")
	return cmd
}
