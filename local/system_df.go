package local

import (
	"context"
	"strings"
	"time"

	"github.com/selkie-containers/selkie/engine"
)

// SystemDf reports the disk usage of images, containers and local volumes.
func (e *Engine) SystemDf(ctx context.Context) (*engine.SystemDfReport, error) {
	rep := &engine.SystemDfReport{Images: []engine.SystemDfImageReport{}, Containers: []engine.SystemDfContainerReport{}, Volumes: []engine.SystemDfVolumeReport{}}
	imgs, err := e.ImageList(ctx, engine.ImageListOptions{})
	if err != nil {
		return nil, err
	}
	for _, i := range imgs {
		repo, tag := "<none>", "<none>"
		if len(i.RepoTags) > 0 {
			if n := strings.LastIndex(i.RepoTags[0], ":"); n > strings.LastIndex(i.RepoTags[0], "/") {
				repo, tag = i.RepoTags[0][:n], i.RepoTags[0][n+1:]
			} else {
				repo = i.RepoTags[0]
			}
		}
		unique := i.Size - i.SharedSize
		if unique < 0 {
			unique = 0
		}
		rep.Images = append(rep.Images, engine.SystemDfImageReport{
			Repository: repo, Tag: tag, ImageID: i.ID, Created: time.Unix(i.Created, 0), Size: i.Size,
			SharedSize: i.SharedSize, UniqueSize: unique, Containers: i.Containers,
		})
		rep.ImagesSize += i.Size
	}
	ctrs, err := e.ContainerList(ctx, engine.ContainerListOptions{All: true, Size: true})
	if err != nil {
		return nil, err
	}
	vols := map[string]int{} // volume name -> containers using it
	db, err := e.db(ctx)
	if err != nil {
		return nil, err
	}
	records, err := db.ContainersForList(ctx)
	if err != nil {
		return nil, err
	}
	localVols := map[string]int{}
	for _, c := range records {
		for _, m := range c.Options.Mounts {
			if m.Type == "volume" {
				localVols[c.ID]++
				vols[m.Name]++
			}
		}
	}
	for _, c := range ctrs {
		r := engine.SystemDfContainerReport{
			ContainerID: c.ID, Image: c.Image, Command: c.Command, LocalVolumes: localVols[c.ID],
			Created: c.Created, Status: c.Status, Names: strings.Join(c.Names, ","),
		}
		if c.Size != nil {
			r.Size, r.RWSize = c.Size.RootFsSize, c.Size.RwSize
		}
		rep.Containers = append(rep.Containers, r)
	}
	vs, err := e.VolumeList(ctx, engine.VolumeListOptions{})
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		r := engine.SystemDfVolumeReport{VolumeName: v.Name, Links: vols[v.Name], Size: int64(dirSize(v.Mountpoint))}
		if r.Links == 0 {
			r.ReclaimableSize = r.Size
		}
		rep.Volumes = append(rep.Volumes, r)
	}
	return rep, nil
}
