//go:build tools

// Package pins keeps the verified dependency set (shared/deps.md) in go.mod
// while the code that uses each module is still being written, so that
// `go mod tidy` never resolves a module to a newer, unverified version.
package pins

import (
	_ "github.com/coreos/go-systemd/v22/activation"
	_ "github.com/coreos/go-systemd/v22/daemon"
	_ "github.com/cyphar/filepath-securejoin"
	_ "github.com/mattn/go-sqlite3"
	_ "github.com/moby/buildkit/frontend/dockerfile/instructions"
	_ "github.com/moby/buildkit/frontend/dockerfile/parser"
	_ "github.com/moby/patternmatcher"
	_ "github.com/moby/profiles/seccomp"
	_ "github.com/moby/sys/mountinfo"
	_ "github.com/opencontainers/image-spec/specs-go/v1"
	_ "github.com/opencontainers/runtime-spec/specs-go"
	_ "github.com/vbauerster/mpb/v8"
	_ "github.com/vishvananda/netlink"
	_ "go.podman.io/image/v5/copy"
	_ "go.podman.io/image/v5/docker"
	_ "go.podman.io/image/v5/pkg/shortnames"
	_ "go.podman.io/image/v5/signature"
	_ "go.podman.io/image/v5/storage"
	_ "go.podman.io/image/v5/transports/alltransports"
	_ "k8s.io/api/core/v1"
	_ "sigs.k8s.io/yaml"
)
