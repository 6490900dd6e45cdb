// Command selkie is a daemonless container engine, command-compatible with Podman.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/selkie-containers/selkie/cli"
	"go.podman.io/storage/pkg/reexec"
)

func main() {
	// First: containers/storage re-executes this binary for chrooted
	// extraction and mounts; those children must not run the CLI.
	if reexec.Init() {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Execute(ctx, os.Args[1:])
	stop()
	os.Exit(cli.ExitCode(err))
}
