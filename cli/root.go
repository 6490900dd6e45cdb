// Package cli is the selkie command line: it parses flags into engine
// options, calls engine.Engine and formats the results. No business logic.
package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/cli/container"
	"github.com/selkie-containers/selkie/cli/image"
	inspectcmd "github.com/selkie-containers/selkie/cli/inspect"
	networkcmd "github.com/selkie-containers/selkie/cli/network"
	podcmd "github.com/selkie-containers/selkie/cli/pod"
	"github.com/selkie-containers/selkie/cli/system"
	volumecmd "github.com/selkie-containers/selkie/cli/volume"
	"github.com/spf13/cobra"
)

// Execute runs selkie with args and returns the error that decides the exit code.
func Execute(ctx context.Context, args []string) error {
	return run(ctx, args, command.NewGlobals())
}

// run is Execute with the stdio of g (tests pass buffers).
func run(ctx context.Context, args []string, g *command.Globals) error {
	root := newRoot(g)
	requireSubcommands(root)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if cerr := g.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		var ee *command.ExitError
		if !errors.As(err, &ee) {
			fmt.Fprintln(g.Stderr, "Error:", err)
		}
	}
	return err
}

// ExitCode maps an error to the exit status (see command.ExitCode).
func ExitCode(err error) int { return command.ExitCode(err) }

func newRoot(g *command.Globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "selkie [options]",
		Short:         "Manage pods, containers and images",
		Long:          "Manage pods, containers and images: a daemonless container engine, command-compatible with Podman.",
		Version:       system.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return g.SetupLogging()
		},
	}
	root.SetVersionTemplate("selkie version {{.Version}}\n")
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(newCompletionCommand(g))
	root.SetHelpFunc(func(c *cobra.Command, _ []string) { _ = writeHelp(c.OutOrStdout(), c, true) })
	root.SetUsageFunc(func(c *cobra.Command) error { return writeHelp(c.OutOrStderr(), c, false) })
	root.SetOut(g.Stdout)
	root.SetErr(g.Stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w\nSee '%s --help'", err, c.CommandPath())
	})
	f := root.PersistentFlags()
	f.StringVar(&g.Root, "root", "", "Path to the graph root directory where images, containers, etc. are stored")
	f.StringVar(&g.RunRoot, "runroot", "", "Path to the 'run directory' where all state information is stored")
	f.StringVar(&g.StorageDriver, "storage-driver", "", "Select which storage driver is used to manage storage of images and containers")
	f.StringArrayVar(&g.StorageOpts, "storage-opt", nil, "Used to pass an option to the storage driver")
	f.StringVar(&g.LogLevel, "log-level", "warn", "Log messages above specified level (trace, debug, info, warn, warning, error, fatal, panic)")
	f.StringVar(&g.Runtime, "runtime", "", "Path to the OCI-compatible binary used to run containers")
	f.StringVar(&g.CgroupManager, "cgroup-manager", "", "Cgroup manager to use (\"cgroupfs\"|\"systemd\")")
	f.StringVar(&g.TmpDir, "tmpdir", "", "Path to the tmp directory for libpod state content")
	f.StringVar(&g.RegistriesConf, "registries-conf", "", "Path to a registries.conf to use for image processing")
	_ = f.MarkHidden("registries-conf")
	f.StringVar(&g.Conmon, "conmon", "", "Path of the conmon binary")
	f.StringVar(&g.NetworkConfigDir, "network-config-dir", "", "Path of the configuration directory for networks")
	f.StringVar(&g.EventsBackend, "events-backend", "", "Events backend to use (\"file\"|\"journald\"|\"none\")")
	f.StringVar(&g.VolumePath, "volumepath", "", "Path to the volume directory in which volume data is stored")
	f.BoolVar(&g.NoOut, "noout", false, "do not output to stdout")
	f.BoolVar(&g.Syslog, "syslog", false, "Output logging information to syslog as well as the console (default false)")
	_ = f.MarkHidden("syslog")
	f.BoolVarP(&g.Remote, "remote", "r", false, "Access remote Podman service")
	f.StringVar(&g.URL, "url", "", "URL to access Podman service (CONTAINER_HOST)")

	// Each group returns its top-level commands (the noun command plus
	// Podman's verb aliases such as `pull` for `image pull`).
	root.AddCommand(system.Commands(g)...)
	root.AddCommand(image.Commands(g)...)
	root.AddCommand(container.Commands(g)...)
	root.AddCommand(networkcmd.Commands(g)...)
	root.AddCommand(volumecmd.Commands(g)...)
	root.AddCommand(podcmd.Commands(g)...)
	root.AddCommand(inspectcmd.NewCommand(g))
	return root
}

// requireSubcommands gives every noun command without a Run of its own
// Podman's behaviour: `selkie system` prints its help and fails with
// "missing command", `selkie system bogus` fails with "unrecognized command".
// It runs on the finished tree, so every group registered above is covered.
func requireSubcommands(c *cobra.Command) {
	c.DisableFlagsInUseLine = true
	for _, sub := range c.Commands() {
		requireSubcommands(sub)
	}
	if !c.HasSubCommands() || (c.HasParent() && (c.Run != nil || c.RunE != nil)) {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			_ = cmd.Help()
			return fmt.Errorf("missing command '%s COMMAND'", cmd.CommandPath())
		}
		msg := fmt.Sprintf("unrecognized command `%s %s`", cmd.CommandPath(), args[0])
		if cmd.SuggestionsMinimumDistance <= 0 {
			cmd.SuggestionsMinimumDistance = 2
		}
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t") + "\n"
		}
		return fmt.Errorf("%s\nTry '%s --help' for more information", msg, cmd.CommandPath())
	}
}
