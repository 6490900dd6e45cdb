// Package storage opens the containers/storage store with Podman's default
// paths (storage.conf), overridden by Selkie's flags.
package storage

import (
	"fmt"

	cstorage "go.podman.io/storage"
	"go.podman.io/storage/types"
)

// Options overrides storage.conf; empty fields keep its values.
type Options struct {
	GraphRoot     string
	RunRoot       string
	GraphDriver   string
	DriverOptions []string
}

// StoreOptions resolves the options the store would be opened with, without
// opening it (for `info` and for path decisions).
func StoreOptions(o Options) (types.StoreOptions, error) {
	so, err := cstorage.DefaultStoreOptions()
	if err != nil {
		return so, fmt.Errorf("reading storage configuration: %w", err)
	}
	if o.GraphRoot != "" {
		so.GraphRoot = o.GraphRoot
	}
	if o.RunRoot != "" {
		so.RunRoot = o.RunRoot
	}
	if o.GraphDriver != "" {
		so.GraphDriverName = o.GraphDriver
	}
	if len(o.DriverOptions) > 0 {
		so.GraphDriverOptions = o.DriverOptions
	}
	return so, nil
}

// Open opens (creating if needed) the store. The caller must Shutdown it.
func Open(o Options) (cstorage.Store, error) {
	so, err := StoreOptions(o)
	if err != nil {
		return nil, err
	}
	s, err := cstorage.GetStore(so)
	if err != nil {
		return nil, fmt.Errorf("opening the store at %s: %w", so.GraphRoot, err)
	}
	return s, nil
}
