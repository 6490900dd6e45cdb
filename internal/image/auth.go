package image

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/selkie-containers/selkie/engine"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/pkg/docker/config"
)

// registryKey strips a scheme and a trailing slash from a login argument.
func registryKey(arg string) string {
	for _, p := range []string{"docker://", "https://", "http://"} {
		arg = strings.TrimPrefix(arg, p)
	}
	return strings.TrimSuffix(arg, "/")
}

// Login checks the credentials against the registry and stores them.
func (m *Manager) Login(ctx context.Context, registry string, o engine.LoginOptions) error {
	key := registryKey(registry)
	if key == "" {
		return Errorf(engine.ErrInvalidArg, "please provide a registry to log in to")
	}
	if o.Username == "" {
		return Errorf(engine.ErrInvalidArg, "username is required")
	}
	sys, err := m.systemContext(engine.RegistryOptions{AuthFile: o.AuthFile, CertDir: o.CertDir, TLSVerify: o.TLSVerify})
	if err != nil {
		return err
	}
	host, _, _ := strings.Cut(key, "/")
	if err := docker.CheckAuth(ctx, sys, o.Username, o.Password, host); err != nil {
		var unauth docker.ErrUnauthorizedForCredentials
		if errors.As(err, &unauth) {
			return Errorf(engine.ErrInvalidArg, "logging into %q: invalid username/password", key)
		}
		return fmt.Errorf("authenticating creds for %q: %w", key, err)
	}
	if _, err := config.SetCredentials(sys, key, o.Username, o.Password); err != nil {
		return fmt.Errorf("storing credentials for %q: %w", key, err)
	}
	return nil
}

// Logout removes the stored credentials of registry (of all with all).
func (m *Manager) Logout(ctx context.Context, registry string, o engine.LogoutOptions) error {
	sys, err := m.systemContext(engine.RegistryOptions{AuthFile: o.AuthFile})
	if err != nil {
		return err
	}
	if o.All {
		return config.RemoveAllAuthentication(sys)
	}
	key := registryKey(registry)
	if key == "" {
		return Errorf(engine.ErrInvalidArg, "please provide a registry to log out from")
	}
	err = config.RemoveAuthentication(sys, key)
	if errors.Is(err, config.ErrNotLoggedIn) {
		return Errorf(engine.ErrInvalidArg, "not logged into %s", key)
	}
	return err
}
