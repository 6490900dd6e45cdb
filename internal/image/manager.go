// Package image does the image work of the engine on containers/image and
// containers/storage: pull, push, list, inspect, tag, remove, save, load,
// import, history and registry logins. It writes progress only to the
// io.Writer it is given and never prints on its own.
package image

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"go.podman.io/image/v5/signature"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// Options are the engine-wide settings of image work.
type Options struct {
	// RegistriesConf overrides /etc/containers/registries.conf.
	RegistriesConf string
	// SignaturePolicy overrides /etc/containers/policy.json.
	SignaturePolicy string
	// TmpDir holds big temporary files (default /var/tmp).
	TmpDir string
	// Retry and RetryDelay are containers.conf's defaults for registry work.
	Retry      uint
	RetryDelay string
	// StallTimeout cancels a registry copy with no progress for that long
	// (0: no limit).
	StallTimeout time.Duration
	// Getenv reads the environment; os.Getenv when nil.
	Getenv func(string) string
}

// Manager does image work on one store.
type Manager struct {
	store cstorage.Store
	opts  Options
}

// New returns a Manager working on store.
func New(store cstorage.Store, o Options) *Manager {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.TmpDir == "" {
		o.TmpDir = "/var/tmp"
	}
	return &Manager{store: store, opts: o}
}

// Store returns the store the manager works on.
func (m *Manager) Store() cstorage.Store { return m.store }

// systemContext turns registry options into containers/image's SystemContext.
func (m *Manager) systemContext(o engine.RegistryOptions) (*types.SystemContext, error) {
	sys := &types.SystemContext{
		SystemRegistriesConfPath: m.opts.RegistriesConf,
		BigFilesTemporaryDir:     m.opts.TmpDir,
		DockerCertPath:           o.CertDir,
		SignaturePolicyPath:      o.SignaturePolicy,
		DockerRegistryUserAgent:  "selkie",
	}
	if sys.SignaturePolicyPath == "" {
		sys.SignaturePolicyPath = m.opts.SignaturePolicy
	}
	sys.AuthFilePath = authFile(o.AuthFile, m.opts.Getenv)
	if o.TLSVerify != nil {
		skip := types.NewOptionalBool(!*o.TLSVerify)
		sys.DockerInsecureSkipTLSVerify = skip
		sys.OCIInsecureSkipTLSVerify = !*o.TLSVerify
		sys.DockerDaemonInsecureSkipTLSVerify = !*o.TLSVerify
	}
	switch {
	case o.Creds != "":
		user, pass, err := parseCreds(o.Creds)
		if err != nil {
			return nil, err
		}
		sys.DockerAuthConfig = &types.DockerAuthConfig{Username: user, Password: pass}
	case o.Username != "":
		sys.DockerAuthConfig = &types.DockerAuthConfig{Username: o.Username, Password: o.Password}
	}
	return sys, nil
}

// authFile picks the auth.json path as Podman does: the flag, then
// REGISTRY_AUTH_FILE; empty lets containers/image use its default.
func authFile(flag string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	return getenv("REGISTRY_AUTH_FILE")
}

// parseCreds splits "user[:password]".
func parseCreds(creds string) (string, string, error) {
	if creds == "" {
		return "", "", Errorf(engine.ErrInvalidArg, "credentials can't be empty")
	}
	user, pass, _ := strings.Cut(creds, ":")
	if user == "" {
		return "", "", Errorf(engine.ErrInvalidArg, "username can't be empty")
	}
	return user, pass, nil
}

// policyContext loads the signature policy named by sys (or the default).
func policyContext(sys *types.SystemContext) (*signature.PolicyContext, error) {
	policy, err := signature.DefaultPolicy(sys)
	if err != nil {
		return nil, fmt.Errorf("loading signature policy: %w", err)
	}
	return signature.NewPolicyContext(policy)
}

// retryOptions resolves the retry count and delay of one operation.
func (m *Manager) retryOptions(o engine.RegistryOptions) (uint, time.Duration, error) {
	n := m.opts.Retry
	if o.Retry != nil {
		n = *o.Retry
	}
	delayStr := o.RetryDelay
	if delayStr == "" {
		delayStr = m.opts.RetryDelay
	}
	var delay time.Duration
	if delayStr != "" {
		d, err := time.ParseDuration(delayStr)
		if err != nil {
			return 0, 0, Errorf(engine.ErrInvalidArg, "%w", err)
		}
		delay = d
	}
	return n, delay, nil
}
