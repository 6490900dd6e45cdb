package engine

import "context"

// ImageSearcher searches registries.
type ImageSearcher interface {
	// ImageSearch is `search`: term is "[registry/]name"; without a
	// registry the unqualified-search registries are searched.
	ImageSearch(ctx context.Context, term string, o ImageSearchOptions) ([]ImageSearchResult, error)
}

// ImageSearchOptions controls a search. Filters are stars=N,
// is-automated=BOOL, is-official=BOOL.
type ImageSearchOptions struct {
	RegistryOptions
	Limit    int      `json:"limit,omitempty"`
	Filters  []string `json:"filters,omitempty"`
	ListTags bool     `json:"listTags,omitempty"`
}

// ImageSearchResult is one hit (Podman's entities.ImageSearchReport).
type ImageSearchResult struct {
	Index       string `json:"Index"`
	Name        string `json:"Name"`
	Description string `json:"Description"`
	Stars       int    `json:"Stars"`
	Official    string `json:"Official"`
	Automated   string `json:"Automated"`
	Tag         string `json:"Tag"`
}
