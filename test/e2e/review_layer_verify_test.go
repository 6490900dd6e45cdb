package e2e

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A layer blob that matches its manifest digest but not the config's
// DiffID (the registry lies about the uncompressed content) fails the
// pull, in-process extraction or not, and no layer is left in the store;
// a blob with the right digest whose content then differs in length from
// the manifest's size fails the same way.
func TestImagePullDiffIDMismatch(t *testing.T) {
	c := newImageCLI(t)
	layer := layerTar(t, []tarEntry{{name: "hello", body: "served", typ: '0'}})
	claimed := layerTar(t, []tarEntry{{name: "hello", body: "claimed", typ: '0'}})
	cfg := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}`, sha(claimed)))
	man := func(size int) string {
		return fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":%q,"size":%d}]}`,
			sha(cfg), len(cfg), sha(layer), size)
	}
	h := &hostileRegistry{
		manifests: map[string]string{"diffid": man(len(layer)), "size": man(len(layer) - 512)},
		blobs:     map[string][]byte{sha(cfg): cfg, sha(layer): layer},
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	conf := filepath.Join(t.TempDir(), "registries.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("[[registry]]\nlocation = %q\ninsecure = true\n", host)), 0o644)
	c.RegistriesConf = conf
	for _, fast := range []string{"1", "0"} {
		c.Env = []string{"SELKIE_PULL_FAST_LAYERS=" + fast}
		for _, tag := range []string{"diffid", "size"} {
			r := c.Run("pull", "--retry", "0", "--signature-policy", c.PolicyPath, host+"/r:"+tag)
			if r.ExitCode != 125 {
				t.Fatalf("fast=%s %s: want exit 125, got %s", fast, tag, r)
			}
			b, err := os.ReadFile(filepath.Join(c.Root, "overlay-layers", "layers.json"))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			var layers []json.RawMessage
			if len(b) > 0 {
				if err := json.Unmarshal(b, &layers); err != nil {
					t.Fatal(err)
				}
			}
			if len(layers) != 0 {
				t.Fatalf("fast=%s %s: layers stored after a failed pull: %s", fast, tag, b)
			}
			if left, _ := filepath.Glob(filepath.Join(c.Root, "overlay", "staging", "*", "*")); len(left) != 0 {
				t.Fatalf("fast=%s %s: staging content left: %v", fast, tag, left)
			}
		}
	}
	if out := c.Must(t, "images", "-q"); out != "" {
		t.Fatalf("images after failed pulls: %q", out)
	}
}
