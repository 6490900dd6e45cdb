// Command selkie is a daemonless container engine, command-compatible with Podman.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/selkie-containers/selkie/cli"
	"github.com/selkie-containers/selkie/internal/rootless"
	"go.podman.io/storage/pkg/reexec"
)

func main() {
	// First: containers/storage re-executes this binary for chrooted
	// extraction and mounts; those children must not run the CLI.
	if rootless.IsPauseProcess() {
		rootless.Pause()
		return
	}
	if reexec.Init() {
		return
	}
	// Rootless: enter (or create) the user's user and mount namespace
	// before anything touches the store; help/version stay outside.
	if rootless.NeedsNamespace(os.Args[1:]) {
		if err := rootless.Enter(); err != nil {
			fmt.Fprintf(os.Stderr, "Error: %v\n", err)
			os.Exit(125)
		}
	}
	stopProfile := startProfile()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Execute(ctx, os.Args[1:])
	stop()
	stopProfile()
	os.Exit(cli.ExitCode(err))
}
