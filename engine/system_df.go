package engine

import (
	"context"
	"time"
)

// DiskUsager reports what the store's images, containers and volumes use.
type DiskUsager interface {
	// SystemDf is `system df`.
	SystemDf(ctx context.Context) (*SystemDfReport, error)
}

// SystemDfReport is Podman's entities.SystemDfReport.
type SystemDfReport struct {
	ImagesSize int64                     `json:"ImagesSize"`
	Images     []SystemDfImageReport     `json:"Images"`
	Containers []SystemDfContainerReport `json:"Containers"`
	Volumes    []SystemDfVolumeReport    `json:"Volumes"`
}

// SystemDfImageReport is one image's usage.
type SystemDfImageReport struct {
	Repository string    `json:"Repository"`
	Tag        string    `json:"Tag"`
	ImageID    string    `json:"ImageID"`
	Created    time.Time `json:"Created"`
	Size       int64     `json:"Size"`
	SharedSize int64     `json:"SharedSize"`
	UniqueSize int64     `json:"UniqueSize"`
	Containers int       `json:"Containers"`
}

// SystemDfContainerReport is one container's usage.
type SystemDfContainerReport struct {
	ContainerID  string    `json:"ContainerID"`
	Image        string    `json:"Image"`
	Command      []string  `json:"Command"`
	LocalVolumes int       `json:"LocalVolumes"`
	Size         int64     `json:"Size"`
	RWSize       int64     `json:"RWSize"`
	Created      time.Time `json:"Created"`
	Status       string    `json:"Status"`
	Names        string    `json:"Names"`
}

// SystemDfVolumeReport is one local volume's usage.
type SystemDfVolumeReport struct {
	VolumeName      string `json:"VolumeName"`
	Links           int    `json:"Links"`
	Size            int64  `json:"Size"`
	ReclaimableSize int64  `json:"ReclaimableSize"`
}
