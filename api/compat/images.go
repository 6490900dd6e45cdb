package compat

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

// imageSummary is Docker's GET /images/json element.
type imageSummary struct {
	ID          string            `json:"Id"`
	ParentID    string            `json:"ParentId"`
	RepoTags    []string          `json:"RepoTags"`
	RepoDigests []string          `json:"RepoDigests"`
	Created     int64             `json:"Created"`
	Size        int64             `json:"Size"`
	SharedSize  int64             `json:"SharedSize"`
	VirtualSize int64             `json:"VirtualSize"`
	Labels      map[string]string `json:"Labels"`
	Containers  int               `json:"Containers"`
}

// imageInspect is Docker's GET /images/{name}/json body.
type imageInspect struct {
	ID            string                   `json:"Id"`
	RepoTags      []string                 `json:"RepoTags"`
	RepoDigests   []string                 `json:"RepoDigests"`
	Parent        string                   `json:"Parent"`
	Comment       string                   `json:"Comment"`
	Created       string                   `json:"Created"`
	DockerVersion string                   `json:"DockerVersion"`
	Author        string                   `json:"Author"`
	Config        *v1.ImageConfig          `json:"Config"`
	Architecture  string                   `json:"Architecture"`
	Os            string                   `json:"Os"`
	Size          int64                    `json:"Size"`
	VirtualSize   int64                    `json:"VirtualSize,omitempty"`
	GraphDriver   *engine.ImageGraphDriver `json:"GraphDriver"`
	RootFS        *engine.ImageRootFS      `json:"RootFS"`
	Metadata      struct {
		LastTagTime string `json:"LastTagTime,omitempty"`
	} `json:"Metadata"`
}

type historyItem struct {
	ID        string   `json:"Id"`
	Created   int64    `json:"Created"`
	CreatedBy string   `json:"CreatedBy"`
	Tags      []string `json:"Tags"`
	Size      int64    `json:"Size"`
	Comment   string   `json:"Comment"`
}

func sha(id string) string {
	if id == "" || strings.HasPrefix(id, "sha256:") || id == "<missing>" {
		return id
	}
	return "sha256:" + id
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *routes) images(h handle) {
	h("GET /images/json", func(w http.ResponseWriter, r *http.Request) error {
		f, err := filters(r)
		if err != nil {
			return err
		}
		if ref := r.URL.Query().Get("filter"); ref != "" { // API < 1.41
			f["reference"] = append(f["reference"], ref)
		}
		l, err := s.eng.ImageList(r.Context(), engine.ImageListOptions{All: boolQuery(r, "all", false), Filters: filterList(f)})
		if err != nil {
			return err
		}
		out := make([]imageSummary, 0, len(l))
		for _, i := range l {
			labels := i.Labels
			if labels == nil {
				labels = map[string]string{}
			}
			out = append(out, imageSummary{
				ID: sha(i.ID), ParentID: sha(i.ParentID), RepoTags: nonNil(i.RepoTags), RepoDigests: nonNil(i.RepoDigests),
				Created: i.Created, Size: i.Size, SharedSize: i.SharedSize, VirtualSize: i.Size, Labels: labels, Containers: i.Containers,
			})
		}
		return writeJSON(w, http.StatusOK, out)
	})
	h("POST /images/create", s.imageCreate)
	h("POST /images/load", func(w http.ResponseWriter, r *http.Request) error {
		var progress strings.Builder
		rep, err := s.eng.ImageLoad(r.Context(), r.Body, engine.ImageLoadOptions{Quiet: true}, &progress)
		if err != nil {
			return err
		}
		js := newJSONStream(w)
		for _, n := range rep.Names {
			if strings.Contains(n, ":") && !strings.HasPrefix(n, "sha256:") {
				js.send(jsonMessage{Stream: "Loaded image: " + n + "\n"})
			} else {
				js.send(jsonMessage{Stream: "Loaded image ID: " + sha(n) + "\n"})
			}
		}
		return nil
	})
	h("GET /images/get", func(w http.ResponseWriter, r *http.Request) error {
		return s.imageSave(w, r, r.URL.Query()["names"])
	})
	h("POST /images/prune", func(w http.ResponseWriter, r *http.Request) error {
		f, err := filters(r)
		if err != nil {
			return err
		}
		all := false
		if d := f["dangling"]; len(d) > 0 && (d[0] == "false" || d[0] == "0") {
			all = true
		}
		delete(f, "dangling")
		rep, err := s.eng.ImagePrune(r.Context(), engine.ImagePruneOptions{All: all, Filters: filterList(f)})
		if err != nil {
			return err
		}
		type item struct {
			Deleted string `json:"Deleted,omitempty"`
		}
		resp := struct {
			ImagesDeleted  []item `json:"ImagesDeleted"`
			SpaceReclaimed int64  `json:"SpaceReclaimed"`
		}{ImagesDeleted: []item{}}
		for _, p := range rep {
			resp.ImagesDeleted = append(resp.ImagesDeleted, item{Deleted: sha(p.ID)})
			resp.SpaceReclaimed += p.Size
		}
		return writeJSON(w, http.StatusOK, resp)
	})
	h("GET /images/search", func(w http.ResponseWriter, r *http.Request) error {
		term, o, err := wire.SearchOptions(r)
		if err != nil {
			return err
		}
		ra := registryAuth(r)
		o.Username, o.Password = ra.Username, ra.Password
		res, err := s.eng.ImageSearch(r.Context(), term, o)
		if err != nil {
			return err
		}
		type hit struct {
			Description string `json:"description"`
			IsOfficial  bool   `json:"is_official"`
			IsAutomated bool   `json:"is_automated"`
			Name        string `json:"name"`
			StarCount   int    `json:"star_count"`
		}
		out := make([]hit, 0, len(res))
		for _, x := range res {
			out = append(out, hit{Description: x.Description, IsOfficial: x.Official != "", IsAutomated: x.Automated != "", Name: x.Name, StarCount: x.Stars})
		}
		return writeJSON(w, http.StatusOK, out)
	})
	// Names contain '/': dispatch on the last path element.
	h("GET /images/{rest...}", s.imageGet)
	h("POST /images/{rest...}", s.imagePost)
	h("DELETE /images/{rest...}", func(w http.ResponseWriter, r *http.Request) error {
		name := r.PathValue("rest")
		rep, err := s.eng.ImageRemove(r.Context(), name, engine.ImageRemoveOptions{Force: boolQuery(r, "force", false)})
		if err != nil {
			return imageErr(err, name)
		}
		type item struct {
			Untagged string `json:"Untagged,omitempty"`
			Deleted  string `json:"Deleted,omitempty"`
		}
		out := []item{}
		for _, u := range rep.Untagged {
			out = append(out, item{Untagged: u})
		}
		for _, d := range rep.Deleted {
			out = append(out, item{Deleted: sha(d)})
		}
		return writeJSON(w, http.StatusOK, out)
	})
}

func splitSuffix(rest string) (name, verb string) {
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return rest, ""
	}
	return rest[:i], rest[i+1:]
}

func (s *routes) imageGet(w http.ResponseWriter, r *http.Request) error {
	name, verb := splitSuffix(r.PathValue("rest"))
	switch verb {
	case "json":
		i, err := s.eng.ImageInspect(r.Context(), name)
		if err != nil {
			return imageErr(err, name)
		}
		return writeJSON(w, http.StatusOK, toImageInspect(i))
	case "history":
		hist, err := s.eng.ImageHistory(r.Context(), name)
		if err != nil {
			return imageErr(err, name)
		}
		out := make([]historyItem, 0, len(hist))
		for _, e := range hist {
			id := e.ID
			if id != "<missing>" {
				id = sha(id)
			}
			out = append(out, historyItem{ID: id, Created: e.Created.Unix(), CreatedBy: e.CreatedBy, Tags: e.Tags, Size: e.Size, Comment: e.Comment})
		}
		return writeJSON(w, http.StatusOK, out)
	case "get":
		return s.imageSave(w, r, []string{name})
	}
	return wire.StatusError(http.StatusNotFound, "page not found: "+r.URL.Path)
}

func (s *routes) imagePost(w http.ResponseWriter, r *http.Request) error {
	name, verb := splitSuffix(r.PathValue("rest"))
	q := r.URL.Query()
	switch verb {
	case "tag":
		repo, tag := q.Get("repo"), q.Get("tag")
		if repo == "" {
			return wire.BadRequest(fmt.Errorf("repo is required"))
		}
		if tag == "" {
			tag = "latest"
		}
		if err := s.eng.ImageTag(r.Context(), name, repo+":"+tag); err != nil {
			return imageErr(err, name)
		}
		w.WriteHeader(http.StatusCreated)
		return nil
	case "push":
		dest := name
		if tag := q.Get("tag"); tag != "" {
			dest = name + ":" + tag
		}
		o := engine.ImagePushOptions{RegistryOptions: registryAuth(r)}
		if v := q.Get("tlsVerify"); v != "" { // Podman extension
			b := v == "true" || v == "1"
			o.TLSVerify = &b
		}
		js := newJSONStream(w)
		lw := js.status()
		err := s.eng.ImagePush(r.Context(), dest, dest, o, lw)
		lw.flush()
		if err != nil {
			js.fail(err)
			return nil
		}
		js.send(jsonMessage{Status: "Pushed " + dest})
		return nil
	}
	return wire.StatusError(http.StatusNotFound, "page not found: "+r.URL.Path)
}

// imageCreate is pull (fromImage) or import (fromSrc), streamed as JSON messages.
func (s *routes) imageCreate(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if src := q.Get("fromSrc"); src != "" {
		ref := q.Get("repo")
		if ref != "" && q.Get("tag") != "" {
			ref += ":" + q.Get("tag")
		}
		o := engine.ImageImportOptions{Source: src, Reference: ref, Changes: q["changes"], Message: q.Get("message"), Quiet: true}
		id, err := s.eng.ImageImport(r.Context(), r.Body, o, nil)
		if err != nil {
			return err
		}
		js := newJSONStream(w)
		js.send(jsonMessage{Status: sha(id)})
		return nil
	}
	ref := q.Get("fromImage")
	if ref == "" {
		return wire.BadRequest(fmt.Errorf("fromImage or fromSrc is required"))
	}
	if tag := q.Get("tag"); tag != "" {
		if strings.HasPrefix(tag, "sha256:") {
			ref += "@" + tag
		} else {
			ref += ":" + tag
		}
	}
	o := engine.ImagePullOptions{RegistryOptions: registryAuth(r), Policy: engine.PullPolicyAlways}
	if p := q.Get("platform"); p != "" {
		parts := strings.Split(p, "/")
		o.OS = parts[0]
		if len(parts) > 1 {
			o.Arch = parts[1]
		}
		if len(parts) > 2 {
			o.Variant = parts[2]
		}
	}
	if v := q.Get("tlsVerify"); v != "" {
		b := v == "true" || v == "1"
		o.TLSVerify = &b
	}
	js := newJSONStream(w)
	js.send(jsonMessage{Status: "Pulling from " + ref, ID: tagOf(ref)})
	lw := js.status()
	rep, err := s.eng.ImagePull(r.Context(), ref, o, lw)
	lw.flush()
	if err != nil {
		js.fail(err)
		return nil
	}
	if len(rep.Images) > 0 {
		js.send(jsonMessage{Status: "Digest: " + sha(rep.Images[0])})
	}
	js.send(jsonMessage{Status: "Status: Downloaded newer image for " + ref})
	return nil
}

func tagOf(ref string) string {
	if i := strings.LastIndexAny(ref, ":@"); i > strings.LastIndexByte(ref, '/') {
		return ref[i+1:]
	}
	return "latest"
}

// registryAuth decodes X-Registry-Auth (base64url JSON) into credentials.
func registryAuth(r *http.Request) engine.RegistryOptions {
	var o engine.RegistryOptions
	h := r.Header.Get("X-Registry-Auth")
	if h == "" {
		return o
	}
	b, err := base64.URLEncoding.DecodeString(h)
	if err != nil {
		b, err = base64.StdEncoding.DecodeString(h)
		if err != nil {
			return o
		}
	}
	var a struct {
		Username      string `json:"username"`
		Password      string `json:"password"`
		IdentityToken string `json:"identitytoken"`
	}
	if json.Unmarshal(b, &a) == nil {
		o.Username, o.Password = a.Username, a.Password
	}
	return o
}

func (s *routes) imageSave(w http.ResponseWriter, r *http.Request, names []string) error {
	if len(names) == 0 {
		return wire.BadRequest(fmt.Errorf("no image names given"))
	}
	// Check the names first, so a missing image is a 404 and not a broken tar.
	for _, n := range names {
		if _, err := s.eng.ImageInspect(r.Context(), n); err != nil {
			return imageErr(err, n)
		}
	}
	w.Header().Set("Content-Type", "application/x-tar")
	return s.eng.ImageSave(r.Context(), names, engine.ImageSaveOptions{Format: engine.SaveFormatDockerArchive, MultiImageArchive: true, Quiet: true}, w)
}

func toImageInspect(i *engine.ImageInspect) imageInspect {
	out := imageInspect{
		ID: sha(i.ID), RepoTags: nonNil(i.RepoTags), RepoDigests: nonNil(i.RepoDigests), Parent: sha(i.Parent), Comment: i.Comment,
		Author: i.Author, Config: i.Config, Architecture: i.Architecture, Os: i.Os, Size: i.Size, VirtualSize: i.VirtualSize,
		GraphDriver: i.GraphDriver, RootFS: i.RootFS,
	}
	if out.Config == nil {
		out.Config = &v1.ImageConfig{}
	}
	if i.Created != nil {
		out.Created = i.Created.UTC().Format(time.RFC3339Nano)
	}
	return out
}
