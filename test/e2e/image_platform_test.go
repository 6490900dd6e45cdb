package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// writeIndex adds to an OCI layout an image index tagged "multi" listing the
// manifests (by digest) for the given platforms ("os/arch[/variant]").
func writeIndex(t *testing.T, dir string, manifests map[string]string) {
	t.Helper()
	type platform struct {
		OS      string `json:"os"`
		Arch    string `json:"architecture"`
		Variant string `json:"variant,omitempty"`
	}
	var list []map[string]any
	for plat, dgst := range manifests {
		parts := append(strings.Split(plat, "/"), "", "")
		osName, arch, variant := parts[0], parts[1], parts[2]
		fi, err := os.Stat(filepath.Join(dir, "blobs", "sha256", dgst[len("sha256:"):]))
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, map[string]any{
			"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": dgst, "size": fi.Size(),
			"platform": platform{OS: osName, Arch: arch, Variant: variant},
		})
	}
	idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": list})
	sum := sha256.Sum256(idx)
	if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", hex.EncodeToString(sum[:])), idx, 0o644); err != nil {
		t.Fatal(err)
	}
	top := map[string]any{}
	raw, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	json.Unmarshal(raw, &top)
	top["manifests"] = append(top["manifests"].([]any), map[string]any{
		"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + hex.EncodeToString(sum[:]), "size": len(idx),
		"annotations": map[string]string{"org.opencontainers.image.ref.name": "multi"},
	})
	raw, _ = json.Marshal(top)
	if err := os.WriteFile(filepath.Join(dir, "index.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// --arch/--os/--variant/--platform pick an image from a manifest list; a
// platform the list lacks is a clear error.
func TestImagePullPlatform(t *testing.T) {
	c := newImageCLI(t)
	dir, err := os.MkdirTemp("", "selkie-platform-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	dA, err := testenv.WriteOCILayout(dir, "a", testenv.ImageSpec{Files: map[string]string{"/p": "amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	dB, err := testenv.WriteOCILayout(dir, "b", testenv.ImageSpec{Files: map[string]string{"/p": "arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	writeIndex(t, dir, map[string]string{"linux/amd64": dA, "linux/arm64/v8": dB})
	p := c.PolicyPath
	idA := c.Must(t, "pull", "-q", "--signature-policy", p, "oci:"+dir+":a")
	idB := c.Must(t, "pull", "-q", "--signature-policy", p, "oci:"+dir+":b")
	if idA == idB {
		t.Fatal("fixture images are identical")
	}
	for args, want := range map[string]string{
		"--arch amd64":              idA,
		"--arch arm64":              idB,
		"--arch arm64 --variant v8": idB,
		"--platform linux/arm64":    idB,
		"--os linux --arch amd64":   idA,
	} {
		a := append([]string{"pull", "-q", "--signature-policy", p}, strings.Fields(args)...)
		if got := c.Must(t, append(a, "oci:"+dir+":multi")...); got != want {
			t.Errorf("pull %s: %s, want %s", args, got, want)
		}
	}
	mustFail(t, c.CLI, 125, "no image found in image index for architecture", "pull", "--arch", "s390x", "--signature-policy", p, "oci:"+dir+":multi")
	mustFail(t, c.CLI, 125, "--platform option can not be specified with --arch or --os", "pull", "--platform", "linux/arm64", "--arch", "arm64", "oci:"+dir+":multi")
}
