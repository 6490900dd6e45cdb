package compat

import (
	"net/http"
	"time"

	"github.com/selkie-containers/selkie/engine"
)

type dfContainer struct {
	containerSummary
	SizeRw     int64 `json:"SizeRw"`
	SizeRootFs int64 `json:"SizeRootFs"`
}

type dfVolumeUsage struct {
	Size     int64 `json:"Size"`
	RefCount int   `json:"RefCount"`
}

type dfVolume struct {
	dockerVolume
	UsageData dfVolumeUsage `json:"UsageData"`
}

// systemDf answers Docker's GET /system/df from the engine's report.
func (s *routes) systemDf(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	df, err := s.eng.SystemDf(ctx)
	if err != nil {
		return err
	}
	imgs, err := s.eng.ImageList(ctx, engine.ImageListOptions{})
	if err != nil {
		return err
	}
	images := make([]imageSummary, 0, len(imgs))
	for _, i := range imgs {
		labels := i.Labels
		if labels == nil {
			labels = map[string]string{}
		}
		images = append(images, imageSummary{
			ID: sha(i.ID), ParentID: sha(i.ParentID), RepoTags: nonNil(i.RepoTags), RepoDigests: nonNil(i.RepoDigests),
			Created: i.Created, Size: i.Size, SharedSize: i.SharedSize, VirtualSize: i.Size, Labels: labels, Containers: i.Containers,
		})
	}
	ctrs, err := s.eng.ContainerList(ctx, engine.ContainerListOptions{All: true, Size: true})
	if err != nil {
		return err
	}
	now := time.Now()
	containers := make([]dfContainer, 0, len(ctrs))
	for _, c := range ctrs {
		d := dfContainer{containerSummary: toContainerSummary(c, now)}
		if c.Size != nil {
			d.SizeRw, d.SizeRootFs = c.Size.RwSize, c.Size.RootFsSize
		}
		containers = append(containers, d)
	}
	vs, err := s.eng.VolumeList(ctx, engine.VolumeListOptions{})
	if err != nil {
		return err
	}
	usage := map[string]engine.SystemDfVolumeReport{}
	for _, v := range df.Volumes {
		usage[v.VolumeName] = v
	}
	volumes := make([]dfVolume, 0, len(vs))
	for _, v := range vs {
		u := usage[v.Name]
		volumes = append(volumes, dfVolume{dockerVolume: toDockerVolume(v), UsageData: dfVolumeUsage{Size: u.Size, RefCount: u.Links}})
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"LayersSize": df.ImagesSize, "Images": images, "Containers": containers, "Volumes": volumes, "BuildCache": []any{},
	})
}
