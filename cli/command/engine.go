package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/selkie-containers/selkie/api"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
	"github.com/selkie-containers/selkie/internal/rootless"
	"github.com/selkie-containers/selkie/internal/storage"
	"github.com/selkie-containers/selkie/local"
	"github.com/selkie-containers/selkie/remote"
	"github.com/sirupsen/logrus"
)

// deps is what only this file may know about: the configuration loaded from
// containers.conf. Commands read defaults through Globals methods.
type deps struct {
	cfg *config.Config
}

// This is the one file under cli/ that imports local and internal/config: it
// chooses and builds the engine.
func (g *Globals) newEngine() (engine.Engine, error) {
	if uri, ok := g.remoteURI(); ok {
		return remote.New(uri)
	}
	cfg, err := g.config()
	if err != nil {
		return nil, err
	}
	return local.New(cfg, local.WithLogger(g.logger()))
}

// config loads containers.conf once and applies the global flags over it.
func (g *Globals) config() (*config.Config, error) {
	if g.deps != nil {
		return g.deps.cfg, nil
	}
	home, _ := os.UserHomeDir()
	cfg, err := config.Load(config.LoadOptions{Rootless: rootless.Enabled(), UID: rootless.UID(), Home: home})
	if err != nil {
		return nil, err
	}
	cfg.GraphRoot = g.Root
	cfg.RunRoot = g.RunRoot
	cfg.StorageDriver = g.StorageDriver
	cfg.StorageOpts = g.StorageOpts
	cfg.RegistriesConf = g.RegistriesConf
	cfg.LogLevel = g.LogLevel
	if g.Runtime != "" {
		cfg.Engine.Runtime = g.Runtime
	}
	if g.CgroupManager != "" {
		cfg.Engine.CgroupManager = g.CgroupManager
	}
	if g.TmpDir != "" {
		cfg.Engine.TmpDir = g.TmpDir
	}
	if g.Conmon != "" {
		cfg.Engine.ConmonPath = []string{g.Conmon}
	}
	if g.NetworkConfigDir != "" {
		cfg.Network.NetworkConfigDir = g.NetworkConfigDir
	}
	if g.EventsBackend != "" {
		cfg.Engine.EventsLogger = g.EventsBackend
	}
	if g.VolumePath != "" {
		cfg.Engine.VolumePath = g.VolumePath
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configuring runtime: %w", err)
	}
	g.deps = &deps{cfg: cfg}
	return cfg, nil
}

// Unshare runs args in the rootless user namespace (`selkie unshare`), and
// with rootlessNetns in the rootless network namespace too (held while the
// command runs), and returns the command's exit code.
func (g *Globals) Unshare(ctx context.Context, args []string, rootlessNetns bool) (int, error) {
	if !rootless.Enabled() {
		return 125, errors.New("please use unshare with rootless")
	}
	cfg, err := g.config()
	if err != nil {
		return 125, err
	}
	paths, err := storage.StoreOptions(storage.Options{GraphRoot: cfg.GraphRoot, RunRoot: cfg.RunRoot})
	if err != nil {
		return 125, err
	}
	netns := ""
	if rootlessNetns {
		eng, err := local.New(cfg, local.WithLogger(g.logger()))
		if err != nil {
			return 125, err
		}
		defer eng.Close()
		path, release, err := eng.AcquireRootlessNetns(ctx)
		if err != nil {
			return 125, err
		}
		defer func() {
			if err := release(); err != nil {
				fmt.Fprintf(g.Stderr, "Error: releasing the rootless network namespace: %v\n", err)
			}
		}()
		netns = path
	}
	return rootless.Unshare(args, paths.GraphRoot, paths.RunRoot, netns)
}

// MigratePause ends the rootless pause process (`system migrate`), so the
// next command builds the user namespace afresh from /etc/subuid.
func (g *Globals) MigratePause() error {
	if !rootless.Enabled() {
		return nil
	}
	return rootless.Migrate(rootless.UID())
}

// StopTimeout is the default shown for -t/--time flags. It is called while
// commands are being built, before flags are parsed, so it must not load the
// configuration (that would freeze --root & co. and slow every start-up);
// when -t is not given the engine uses the container's own stop timeout,
// which containers.conf's stop_timeout set at create.
func (g *Globals) StopTimeout() uint {
	return 10
}

// SetupLogging applies --log-level to slog and to logrus, which
// containers/image and containers/storage log through.
func (g *Globals) SetupLogging() error {
	lvl, err := logrus.ParseLevel(g.LogLevel)
	if err != nil {
		return fmt.Errorf("Log Level %q is not supported, choose from: trace, debug, info, warn, warning, error, fatal, panic: %w", g.LogLevel, engine.ErrInvalidArg)
	}
	if g.NoOut {
		g.Stdout = io.Discard
	}
	logrus.SetLevel(lvl)
	logrus.SetOutput(g.Stderr)
	return nil
}

func (g *Globals) logger() *slog.Logger {
	var lvl slog.Level
	switch g.LogLevel {
	case "debug", "trace":
		lvl = slog.LevelDebug
	case "info":
		lvl = slog.LevelInfo
	case "warn", "warning":
		lvl = slog.LevelWarn
	default:
		return slog.New(slog.DiscardHandler)
	}
	var w io.Writer = g.Stderr
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}

// remoteURI decides, as Podman does, whether the engine is remote: --remote,
// --url or CONTAINER_HOST. The URI is --url, else CONTAINER_HOST, else the
// service's default socket.
func (g *Globals) remoteURI() (string, bool) {
	env, envSet := os.LookupEnv("CONTAINER_HOST")
	if !g.Remote && g.URL == "" && !envSet {
		return "", false
	}
	switch {
	case g.URL != "":
		return g.URL, true
	case env != "":
		return env, true
	}
	return api.DefaultURI(), true
}
