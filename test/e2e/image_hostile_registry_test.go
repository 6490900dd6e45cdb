package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// hostileRegistry serves one manifest per tag and blobs by digest, exactly
// as configured, and records every request path.
type hostileRegistry struct {
	mu        sync.Mutex
	manifests map[string]string // tag -> body
	blobs     map[string][]byte // digest -> body
	paths     []string
}

func (h *hostileRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.paths = append(h.paths, r.URL.Path)
	h.mu.Unlock()
	switch {
	case r.URL.Path == "/v2/":
		w.WriteHeader(200)
	case strings.Contains(r.URL.Path, "/manifests/"):
		tag := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		body, ok := h.manifests[tag]
		if !ok {
			w.WriteHeader(404)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		fmt.Fprint(w, body)
	case strings.Contains(r.URL.Path, "/blobs/"):
		d := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		b, ok := h.blobs[d]
		if !ok {
			w.WriteHeader(404)
			return
		}
		w.Write(b)
	default:
		w.WriteHeader(404)
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// Hostile registry responses (security.md D1, D2, D6): digests that are not
// digests are refused before any request uses them, oversized manifests are
// refused, blobs that do not match their digest are refused; nothing is
// stored and the store stays usable.
func TestImagePullHostileRegistry(t *testing.T) {
	c := newImageCLI(t)
	layer := layerTar(t, []tarEntry{{name: "hello", body: "hi", typ: '0'}})
	cfg := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}`, sha(layer)))
	man := func(cfgDigest, layerDigest string, layerSize int) string {
		return fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":%q,"size":%d}]}`,
			cfgDigest, len(cfg), layerDigest, layerSize)
	}
	h := &hostileRegistry{
		manifests: map[string]string{
			"good":      man(sha(cfg), sha(layer), len(layer)),
			"traversal": man(sha(cfg), "sha256:../../../v2/other/repo/manifests/x", len(layer)),
			"badhex":    man(sha(cfg), "sha256:"+strings.Repeat("Z", 64), len(layer)),
			"md5":       man(sha(cfg), "md5:d41d8cd98f00b204e9800998ecf8427e", len(layer)),
			"mismatch":  man(sha(cfg), sha([]byte("other")), len(layer)),
			"huge":      `{"schemaVersion":2,"x":"` + strings.Repeat("a", 5<<20) + `"}`,
		},
		blobs: map[string][]byte{sha(cfg): cfg, sha(layer): layer, sha([]byte("other")): layer},
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	conf := filepath.Join(t.TempDir(), "registries.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("[[registry]]\nlocation = %q\ninsecure = true\n", host)), 0o644)
	c.RegistriesConf = conf
	pull := func(tag string) []string {
		return []string{"pull", "--retry", "0", "--signature-policy", c.PolicyPath, host + "/r:" + tag}
	}
	for tag, want := range map[string]string{
		"traversal": "invalid checksum digest",
		"badhex":    "invalid checksum digest",
		"md5":       "unsupported digest algorithm",
		"mismatch":  "Digest did not match",
		"huge":      "exceeded maximum allowed size",
	} {
		mustFail(t, c.CLI, 125, want, pull(tag)...)
	}
	for _, p := range h.paths {
		if strings.Contains(p, "..") || strings.Contains(p, "/other/") || strings.Contains(p, "/blobs/md5") {
			t.Errorf("a request used a hostile digest: %s", p)
		}
	}
	if out := c.Must(t, "images", "-q"); out != "" {
		t.Fatalf("images after hostile pulls: %q", out)
	}
	// The same registry's good image pulls fine afterwards.
	c.Must(t, pull("good")...)
}
