package local

import (
	"context"
	"maps"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
)

// podFilterIDs returns filters with ps's pod= values given as pod names
// replaced by the pods' IDs (the filter itself matches ID prefixes).
func (e *Engine) podFilterIDs(ctx context.Context, db *state.DB, filters map[string][]string) map[string][]string {
	vals := filters["pod"]
	if len(vals) == 0 {
		return filters
	}
	out := maps.Clone(filters)
	ids := make([]string, 0, len(vals))
	_ = db.View(ctx, func(tx *state.Tx) error {
		for _, v := range vals {
			if id, err := tx.ResolvePod(v); err == nil {
				ids = append(ids, id)
			} else {
				ids = append(ids, v)
			}
		}
		return nil
	})
	out["pod"] = ids
	return out
}

// fillPodNames sets PodName and IsInfra of the rows that belong to a pod.
func (e *Engine) fillPodNames(ctx context.Context, db *state.DB, rows []engine.ContainerSummary) {
	pods := map[string]*state.Pod{}
	for _, r := range rows {
		if r.Pod != "" {
			pods[r.Pod] = nil
		}
	}
	if len(pods) == 0 {
		return
	}
	_ = db.View(ctx, func(tx *state.Tx) error {
		for id := range pods {
			if p, err := tx.Pod(id); err == nil {
				pods[id] = p
			}
		}
		return nil
	})
	for i := range rows {
		if p := pods[rows[i].Pod]; p != nil {
			rows[i].PodName = p.Name
			rows[i].IsInfra = p.InfraID == rows[i].ID
		}
	}
}
