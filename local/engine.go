// Package local implements engine.Engine on this host: the embeddable library
// behind the selkie CLI and the REST server. It composes the building blocks
// under internal/ and opens each of them lazily, only when a call needs it.
package local

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
	"github.com/selkie-containers/selkie/internal/lock"
	"github.com/selkie-containers/selkie/internal/state"
	"github.com/selkie-containers/selkie/internal/storage"
	cstorage "go.podman.io/storage"
)

var _ engine.Engine = (*Engine)(nil)

// Engine is the engine on this host.
type Engine struct {
	cfg *config.Config
	log *slog.Logger

	storeOnce sync.Once
	store     cstorage.Store
	storeErr  error

	// state DB and locks (local/state.go), opened on first use.
	stateMu sync.Mutex // guards stateDB and lockMgr while opening
	stateDB *state.DB
	lockMgr *lock.Manager
}

// Option configures New.
type Option func(*Engine)

// WithLogger sets the logger; the engine is silent by default.
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// New returns an engine for cfg. It opens nothing: the store, the state
// database and the runtime are opened on first use.
func New(cfg *config.Config, opts ...Option) (*Engine, error) {
	if cfg == nil {
		return nil, errors.New("local.New: nil config")
	}
	e := &Engine{cfg: cfg, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(e)
	}
	return e, nil
}

// Config returns the configuration the engine was built with.
func (e *Engine) Config() *config.Config { return e.cfg }

// Store opens the containers/storage store on first use.
func (e *Engine) Store() (cstorage.Store, error) {
	e.storeOnce.Do(func() {
		e.store, e.storeErr = storage.Open(e.storeOptions())
	})
	return e.store, e.storeErr
}

func (e *Engine) storeOptions() storage.Options {
	return storage.Options{
		GraphRoot:     e.cfg.GraphRoot,
		RunRoot:       e.cfg.RunRoot,
		GraphDriver:   e.cfg.StorageDriver,
		DriverOptions: e.cfg.StorageOpts,
	}
}

// Close shuts the store down (unmounting nothing that containers still use).
func (e *Engine) Close() error {
	e.stateMu.Lock()
	if e.stateDB != nil {
		_ = e.stateDB.Close()
		e.stateDB = nil
	}
	e.stateMu.Unlock()
	if e.store != nil {
		// Running containers keep their layers mounted: that is not an error
		// for a short-lived command, only for a forced shutdown.
		if _, err := e.store.Shutdown(false); err != nil && !errors.Is(err, cstorage.ErrLayerUsedByContainer) {
			return err
		}
	}
	return nil
}

// Info reports the host and the store.
func (e *Engine) Info(ctx context.Context) (*engine.InfoReport, error) {
	return e.info(ctx)
}
