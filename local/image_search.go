package local

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/selkie-containers/selkie/engine"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/pkg/sysregistriesv2"
	"go.podman.io/image/v5/types"
)

// ImageSearch searches the registry named in term, or every
// unqualified-search registry, as Podman's libimage Search.
func (e *Engine) ImageSearch(ctx context.Context, term string, o engine.ImageSearchOptions) ([]engine.ImageSearchResult, error) {
	sys := &types.SystemContext{
		SystemRegistriesConfPath: e.cfg.RegistriesConf,
		DockerCertPath:           o.CertDir,
		AuthFilePath:             o.AuthFile,
		DockerRegistryUserAgent:  "selkie",
	}
	if sys.AuthFilePath == "" {
		sys.AuthFilePath = os.Getenv("REGISTRY_AUTH_FILE")
	}
	if o.TLSVerify != nil {
		sys.DockerInsecureSkipTLSVerify = types.NewOptionalBool(!*o.TLSVerify)
	}
	if o.Creds != "" {
		u, p, _ := strings.Cut(o.Creds, ":")
		sys.DockerAuthConfig = &types.DockerAuthConfig{Username: u, Password: p}
	} else if o.Username != "" {
		sys.DockerAuthConfig = &types.DockerAuthConfig{Username: o.Username, Password: o.Password}
	}
	if o.ListTags {
		if len(o.Filters) > 0 {
			return nil, fmt.Errorf("filters are not applicable to list tags result: %w", engine.ErrInvalidArg)
		}
		named, err := reference.ParseNormalizedNamed(strings.TrimPrefix(term, "docker://"))
		if err != nil {
			return nil, fmt.Errorf("reference %q must be a docker reference: %w", term, engine.ErrInvalidArg)
		}
		if _, tagged := named.(reference.Tagged); tagged {
			return nil, fmt.Errorf("reference %q must not have a tag for listing tags: %w", term, engine.ErrInvalidArg)
		}
		ref, err := docker.NewReference(reference.TagNameOnly(named))
		if err != nil {
			return nil, err
		}
		tags, err := docker.GetRepositoryTags(ctx, sys, ref)
		if err != nil {
			return nil, fmt.Errorf("getting repository tags: %w", err)
		}
		limit := o.Limit
		if limit <= 0 {
			limit = 25
		}
		var out []engine.ImageSearchResult
		for _, t := range tags {
			if len(out) == limit {
				break
			}
			out = append(out, engine.ImageSearchResult{Index: reference.Domain(named), Name: named.Name(), Tag: t})
		}
		return out, nil
	}
	minStars, official, automated := 0, "", ""
	for _, f := range o.Filters {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "stars":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("non-negative integer required for stars filter: %w", engine.ErrInvalidArg)
			}
			minStars = n
		case "is-official", "is-automated":
			b := true
			if v != "" {
				var err error
				if b, err = strconv.ParseBool(v); err != nil {
					return nil, fmt.Errorf("invalid filter %q: %w", f, engine.ErrInvalidArg)
				}
			}
			val := "false"
			if b {
				val = "true"
			}
			if k == "is-official" {
				official = val
			} else {
				automated = val
			}
		default:
			return nil, fmt.Errorf("invalid filter type %q: %w", k, engine.ErrInvalidArg)
		}
	}
	registry, image := "", term
	if i := strings.Index(term, "/"); i > 0 && (strings.ContainsAny(term[:i], ".:") || term[:i] == "localhost") {
		registry, image = term[:i], term[i+1:]
	}
	var registries []string
	if registry != "" {
		registries = []string{registry}
	} else {
		r, err := sysregistriesv2.UnqualifiedSearchRegistries(sys)
		if err != nil {
			return nil, err
		}
		registries = r
	}
	limit := o.Limit
	if limit <= 0 {
		limit = 25
	}
	var out []engine.ImageSearchResult
	var lastErr error
	for _, reg := range registries {
		res, err := docker.SearchRegistry(ctx, sys, reg, image, limit)
		if err != nil {
			lastErr = fmt.Errorf("searching registry %q: %w", reg, err)
			continue
		}
		n := 0
		for _, r := range res {
			if n == limit {
				break
			}
			if r.StarCount < minStars || (official != "" && strconv.FormatBool(r.IsOfficial) != official) || (automated != "" && strconv.FormatBool(r.IsAutomated) != automated) {
				continue
			}
			name := r.Name
			if !strings.HasPrefix(name, reg+"/") {
				name = reg + "/" + name
			}
			hit := engine.ImageSearchResult{Index: reg, Name: name, Description: r.Description, Stars: r.StarCount}
			if r.IsOfficial {
				hit.Official = "[OK]"
			}
			if r.IsAutomated {
				hit.Automated = "[OK]"
			}
			out = append(out, hit)
			n++
		}
	}
	if len(out) == 0 && lastErr != nil {
		return nil, lastErr
	}
	return out, nil
}
