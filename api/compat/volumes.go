package compat

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

// dockerVolume is Docker's volume JSON.
type dockerVolume struct {
	Name       string            `json:"Name"`
	Driver     string            `json:"Driver"`
	Mountpoint string            `json:"Mountpoint"`
	CreatedAt  string            `json:"CreatedAt"`
	Labels     map[string]string `json:"Labels"`
	Scope      string            `json:"Scope"`
	Options    map[string]string `json:"Options"`
}

func toDockerVolume(v *engine.Volume) dockerVolume {
	d := dockerVolume{Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, CreatedAt: v.CreatedAt.Format(time.RFC3339),
		Labels: v.Labels, Scope: "local", Options: v.Options}
	if d.Labels == nil {
		d.Labels = map[string]string{}
	}
	if d.Options == nil {
		d.Options = map[string]string{}
	}
	return d
}

func (s *routes) volumes(h handle) {
	h("GET /volumes", func(w http.ResponseWriter, r *http.Request) error {
		f, err := filters(r)
		if err != nil {
			return err
		}
		l, err := s.eng.VolumeList(r.Context(), engine.VolumeListOptions{Filters: f})
		if err != nil {
			return err
		}
		resp := struct {
			Volumes  []dockerVolume `json:"Volumes"`
			Warnings []string       `json:"Warnings"`
		}{Volumes: []dockerVolume{}, Warnings: []string{}}
		for _, v := range l {
			resp.Volumes = append(resp.Volumes, toDockerVolume(v))
		}
		return writeJSON(w, http.StatusOK, resp)
	})
	h("POST /volumes/create", func(w http.ResponseWriter, r *http.Request) error {
		var req struct {
			Name       string
			Driver     string
			DriverOpts map[string]string
			Labels     map[string]string
		}
		if err := decode(w, r, &req); err != nil {
			return err
		}
		o := engine.VolumeCreateOptions{Name: req.Name, Driver: req.Driver, Options: req.DriverOpts, Labels: req.Labels}
		if o.Name != "" {
			// Docker answers an existing name with that volume (compose relies on it).
			if v, err := s.eng.VolumeInspect(r.Context(), o.Name); err == nil {
				return writeJSON(w, http.StatusCreated, toDockerVolume(v))
			}
		}
		v, err := s.eng.VolumeCreate(r.Context(), o)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, toDockerVolume(v))
	})
	h("GET /volumes/{name}", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.eng.VolumeInspect(r.Context(), r.PathValue("name"))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, toDockerVolume(v))
	})
	h("DELETE /volumes/{name}", func(w http.ResponseWriter, r *http.Request) error {
		if err := s.eng.VolumeRemove(r.Context(), r.PathValue("name"), engine.VolumeRemoveOptions{Force: boolQuery(r, "force", false)}); err != nil {
			return err
		}
		return noContent(w)
	})
	h("POST /volumes/prune", func(w http.ResponseWriter, r *http.Request) error {
		f, err := filters(r)
		if err != nil {
			return err
		}
		delete(f, "all")
		rep, err := s.eng.VolumePrune(r.Context(), engine.VolumePruneOptions{Filters: f})
		if err != nil {
			return err
		}
		resp := struct {
			VolumesDeleted []string `json:"VolumesDeleted"`
			SpaceReclaimed uint64   `json:"SpaceReclaimed"`
		}{VolumesDeleted: []string{}}
		for _, p := range rep {
			if p.Err == "" {
				resp.VolumesDeleted = append(resp.VolumesDeleted, p.Name)
				resp.SpaceReclaimed += p.Size
			}
		}
		return writeJSON(w, http.StatusOK, resp)
	})

	// docker cp: the paths are resolved inside the container by the engine.
	stat := func(w http.ResponseWriter, r *http.Request) (*engine.FileStat, error) {
		p := r.URL.Query().Get("path")
		if p == "" {
			return nil, wire.BadRequest(fmt.Errorf("path is required"))
		}
		st, err := s.eng.ContainerStat(r.Context(), r.PathValue("id"), p)
		if err != nil {
			return nil, err
		}
		b, _ := json.Marshal(st)
		w.Header().Set("X-Docker-Container-Path-Stat", base64.StdEncoding.EncodeToString(b))
		return st, nil
	}
	h("HEAD /containers/{id}/archive", func(w http.ResponseWriter, r *http.Request) error {
		if _, err := stat(w, r); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	})
	h("GET /containers/{id}/archive", func(w http.ResponseWriter, r *http.Request) error {
		if _, err := stat(w, r); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/x-tar")
		_, err := s.eng.ContainerArchiveGet(r.Context(), r.PathValue("id"), r.URL.Query().Get("path"), w, engine.ArchiveGetOptions{})
		return err
	})
	h("PUT /containers/{id}/archive", func(w http.ResponseWriter, r *http.Request) error {
		p := r.URL.Query().Get("path")
		if p == "" {
			return wire.BadRequest(fmt.Errorf("path is required"))
		}
		o := engine.ArchivePutOptions{
			NoOverwriteDirNonDir: boolQuery(r, "noOverwriteDirNonDir", false),
			KeepOwnership:        boolQuery(r, "copyUIDGID", false),
		}
		if err := s.eng.ContainerArchivePut(r.Context(), r.PathValue("id"), p, r.Body, o); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	})
}
