package testenv

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

func skopeoInspect(t *testing.T, ref string, extra ...string) map[string]any {
	t.Helper()
	RequiresBinary(t, "skopeo")
	args := append([]string{"inspect"}, extra...)
	out, err := exec.Command("skopeo", append(args, ref)...).CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo inspect %s: %v\n%s", ref, err, out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("parsing skopeo output: %v\n%s", err, out)
	}
	return m
}

func skopeoConfig(t *testing.T, ref string) map[string]any {
	t.Helper()
	out, err := exec.Command("skopeo", "inspect", "--config", ref).CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo inspect --config %s: %v\n%s", ref, err, out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func fullSpec() ImageSpec {
	return ImageSpec{
		Layers: 3,
		Config: v1.ImageConfig{
			User:         "tester",
			ExposedPorts: map[string]struct{}{"8080/tcp": {}},
			Env:          []string{"PATH=/bin", "FOO=bar"},
			Entrypoint:   []string{"/bin/sh", "-c"},
			Cmd:          []string{"echo hi"},
			Volumes:      map[string]struct{}{"/data": {}},
			WorkingDir:   "/home/tester",
			Labels:       map[string]string{"org.selkie.test": "yes"},
			StopSignal:   "SIGUSR1",
		},
		Files: map[string]string{"/etc/motd": "hello\n", "opt/run.sh": "#!/bin/sh\necho run\n"},
	}
}

func TestOCILayoutInspect(t *testing.T) {
	dir := t.TempDir()
	dgst, err := WriteOCILayout(dir, "latest", fullSpec())
	if err != nil {
		t.Fatal(err)
	}
	m := skopeoInspect(t, "oci:"+dir+":latest")
	if m["Digest"] != dgst {
		t.Errorf("digest %v, want %s", m["Digest"], dgst)
	}
	if n := len(m["Layers"].([]any)); n != 3 {
		t.Errorf("%d layers, want 3", n)
	}
	if m["Labels"].(map[string]any)["org.selkie.test"] != "yes" {
		t.Errorf("labels: %v", m["Labels"])
	}
	cfg := skopeoConfig(t, "oci:"+dir+":latest")["config"].(map[string]any)
	for k, want := range map[string]string{"User": "tester", "WorkingDir": "/home/tester", "StopSignal": "SIGUSR1"} {
		if cfg[k] != want {
			t.Errorf("config %s = %v, want %s", k, cfg[k], want)
		}
	}
	// Reproducible: the same spec gives the same digest.
	again, err := WriteOCILayout(t.TempDir(), "latest", fullSpec())
	if err != nil || again != dgst {
		t.Errorf("second build digest %s (%v), want %s", again, err, dgst)
	}
	// A second tag in the same layout keeps the first.
	if _, err := WriteOCILayout(dir, "other", ImageSpec{}); err != nil {
		t.Fatal(err)
	}
	skopeoInspect(t, "oci:"+dir+":latest")
	skopeoInspect(t, "oci:"+dir+":other")
}

// layerFiles returns name -> header of every entry of the top layer of an OCI layout.
func layerFiles(t *testing.T, dir string, index int) map[string]*tar.Header {
	t.Helper()
	var idx v1.Index
	readJSON(t, filepath.Join(dir, "index.json"), &idx)
	var m v1.Manifest
	readJSON(t, filepath.Join(dir, "blobs/sha256", idx.Manifests[0].Digest.Encoded()), &m)
	if index < 0 {
		index = len(m.Layers) + index
	}
	f, err := os.Open(filepath.Join(dir, "blobs/sha256", m.Layers[index].Digest.Encoded()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	files := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = h
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func TestRootfsContents(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteOCILayout(dir, "x", fullSpec()); err != nil {
		t.Fatal(err)
	}
	base := layerFiles(t, dir, 0)
	for name, mode := range map[string]int64{"bin/busybox": 0o755, "etc/passwd": 0o644, "tmp/": 0o1777, "root/": 0o700} {
		h, ok := base[name]
		if !ok {
			t.Errorf("%s missing from base layer", name)
			continue
		}
		if h.Mode != mode {
			t.Errorf("%s mode %o, want %o", name, h.Mode, mode)
		}
	}
	if h := base["bin/sh"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "busybox" {
		t.Errorf("bin/sh is not a link to busybox: %+v", h)
	}
	if h := base["home/tester/"]; h == nil || h.Uid != 1000 {
		t.Errorf("home/tester not owned by 1000: %+v", h)
	}
	top := layerFiles(t, dir, -1)
	if h := top["opt/run.sh"]; h == nil || h.Mode != 0o755 {
		t.Errorf("opt/run.sh not executable: %+v", h)
	}
	if _, ok := top["layer3.txt"]; !ok {
		t.Errorf("layer3.txt missing from top layer: %v", top)
	}
	for name := range top {
		if strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
			t.Errorf("unsafe name %q in layer", name)
		}
	}
}

func TestHealthcheckIsDockerFormat(t *testing.T) {
	dir := t.TempDir()
	s := ImageSpec{Healthcheck: &Healthcheck{Test: []string{"CMD-SHELL", "true"}, Interval: 30e9, Retries: 3}}
	if _, err := WriteOCILayout(dir, "hc", s); err != nil {
		t.Fatal(err)
	}
	var idx v1.Index
	readJSON(t, filepath.Join(dir, "index.json"), &idx)
	if mt := idx.Manifests[0].MediaType; mt != dockerManifestType {
		t.Errorf("OCI layout manifest type %s, want docker schema2", mt)
	}
	// Debian's skopeo 1.9 refuses schema2 inside an OCI layout (c/image
	// v5.41 accepts it), so check the config through a docker-archive.
	da := filepath.Join(dir, "hc.tar")
	if err := WriteDockerArchive(da, "localhost/hc:latest", s); err != nil {
		t.Fatal(err)
	}
	raw, err := exec.Command("skopeo", "inspect", "--raw", "--config", "docker-archive:"+da).Output()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Config map[string]any }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	cfg := doc.Config
	hc, _ := cfg["Healthcheck"].(map[string]any)
	if hc == nil || hc["Retries"] != float64(3) || hc["Interval"] != float64(30e9) {
		t.Errorf("healthcheck not in config: %v", cfg)
	}
}

func TestArchives(t *testing.T) {
	dir := t.TempDir()
	oa := filepath.Join(dir, "img.oci.tar")
	if err := WriteOCIArchive(oa, "v1", ImageSpec{Layers: 2}); err != nil {
		t.Fatal(err)
	}
	if n := len(skopeoInspect(t, "oci-archive:"+oa)["Layers"].([]any)); n != 2 {
		t.Errorf("oci-archive: %d layers, want 2", n)
	}
	da := filepath.Join(dir, "img.docker.tar")
	if err := WriteDockerArchive(da, "localhost/busybox:latest", ImageSpec{Layers: 2}); err != nil {
		t.Fatal(err)
	}
	m := skopeoInspect(t, "docker-archive:"+da)
	if n := len(m["Layers"].([]any)); n != 2 {
		t.Errorf("docker-archive: %d layers, want 2", n)
	}
	// The archive holds nothing but regular files with relative names.
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 {
		t.Errorf("temp files left beside the archives: %v", ents)
	}
}

func TestBenchLayers(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteOCILayout(dir, "b", ImageSpec{RandomLayers: []int64{1 << 20, 1 << 20}, SmallFiles: 250}); err != nil {
		t.Fatal(err)
	}
	if n := len(layerFiles(t, dir, -1)); n < 250 {
		t.Errorf("small-files layer has %d entries", n)
	}
	files := layerFiles(t, dir, 1)
	if h := files["random/layer1.bin"]; h == nil || h.Size != 1<<20 {
		t.Errorf("random layer: %+v", files)
	}
}

func TestRegistryPushPull(t *testing.T) {
	RequiresBinary(t, "skopeo")
	dir := t.TempDir()
	if _, err := WriteOCILayout(dir, "latest", ImageSpec{}); err != nil {
		t.Fatal(err)
	}
	for _, auth := range []bool{false, true} {
		r := StartRegistry(t, RegistryOptions{Auth: auth})
		dst := "docker://" + r.Ref("selkie/busybox:latest")
		args := []string{"copy", "--dest-tls-verify=false"}
		if auth {
			// Without credentials the registry refuses.
			if out, err := exec.Command("skopeo", append(args, "oci:"+dir+":latest", dst)...).CombinedOutput(); err == nil {
				t.Fatalf("push without credentials succeeded: %s", out)
			}
			args = append(args, "--dest-creds", r.User+":"+r.Password)
		}
		if out, err := exec.Command("skopeo", append(args, "oci:"+dir+":latest", dst)...).CombinedOutput(); err != nil {
			t.Fatalf("skopeo copy to registry (auth=%v): %v\n%s", auth, err, out)
		}
		extra := []string{"--tls-verify=false"}
		if auth {
			extra = append(extra, "--creds", r.User+":"+r.Password)
		}
		skopeoInspect(t, dst, extra...)
		data, err := os.ReadFile(r.RegistriesConf)
		if err != nil || !strings.Contains(string(data), r.Addr) {
			t.Errorf("registries.conf does not name %s: %s", r.Addr, data)
		}
	}
}

func TestRegistryStops(t *testing.T) {
	r, err := RunRegistry(t.TempDir(), RegistryOptions{})
	if err != nil {
		if LookPath("docker-registry") == "" {
			t.Skip("requires docker-registry")
		}
		t.Fatal(err)
	}
	r.Stop()
	if resp, err := http.Get("http://" + r.Addr + "/v2/"); err == nil {
		resp.Body.Close()
		t.Errorf("registry still answers after Stop")
	}
}

func TestCleanupDirUnmounts(t *testing.T) {
	RequiresRoot(t)
	base := t.TempDir()
	mnt := filepath.Join(base, "a", "b")
	if err := os.MkdirAll(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount tmpfs: %v %s", err, out)
	}
	if err := CleanupDir(base); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(data), mnt) {
		t.Errorf("%s still mounted", mnt)
	}
}

func TestBusyboxPath(t *testing.T) {
	p, err := BusyboxPath()
	if err != nil {
		t.Skip(err)
	}
	out, err := exec.Command(p, "echo", "ok").Output()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Errorf("%s echo ok: %q %v", p, out, err)
	}
}

// TestRootfsRuns unpacks the busybox layer and runs a shell in it (chroot):
// applet links, /etc/passwd and /tmp permissions work in a real process.
func TestRootfsRuns(t *testing.T) {
	RequiresRoot(t)
	RequiresBinary(t, "chroot")
	dir := t.TempDir()
	if _, err := WriteOCILayout(dir, "x", ImageSpec{}); err != nil {
		t.Fatal(err)
	}
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	extractLayer(t, dir, rootfs)
	out, err := exec.Command("chroot", rootfs, "/bin/sh", "-c", "id -u tester; id -gn tester; ls -ld /tmp | cut -c1-10; echo ok > /tmp/x && cat /tmp/x").CombinedOutput()
	if err != nil {
		t.Fatalf("chroot: %v\n%s", err, out)
	}
	if got, want := string(out), "1000\ntester\ndrwxrwxrwt\nok\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func extractLayer(t *testing.T, layout, dst string) {
	t.Helper()
	var idx v1.Index
	readJSON(t, filepath.Join(layout, "index.json"), &idx)
	var m v1.Manifest
	readJSON(t, filepath.Join(layout, "blobs/sha256", idx.Manifests[0].Digest.Encoded()), &m)
	f, err := os.Open(filepath.Join(layout, "blobs/sha256", m.Layers[0].Digest.Encoded()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
			if err == nil {
				err = os.Chmod(p, os.FileMode(h.Mode&0o777)|modeBits(h.Mode))
			}
		case tar.TypeSymlink:
			err = os.Symlink(h.Linkname, p)
		case tar.TypeReg:
			var out *os.File
			if out, err = os.OpenFile(p, os.O_CREATE|os.O_WRONLY, os.FileMode(h.Mode&0o777)); err == nil {
				_, err = io.Copy(out, tr)
				out.Close()
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func modeBits(m int64) os.FileMode {
	if m&0o1000 != 0 {
		return os.ModeSticky
	}
	return 0
}

func TestSeedImage(t *testing.T) {
	RequiresRoot(t)
	RequiresBinary(t, "skopeo")
	t.Setenv("SELKIE_BINARY", "/bin/true") // no selkie needed: skopeo only
	c := NewCLI(t)
	c.SeedImage(t, "localhost/busybox:latest", ImageSpec{Layers: 2})
	out, err := exec.Command("skopeo", "inspect", c.StorageRef("localhost/busybox:latest")).CombinedOutput()
	if err != nil {
		t.Fatalf("image not in store: %v\n%s", err, out)
	}
	var m struct{ Layers []string }
	if err := json.Unmarshal(out, &m); err != nil || len(m.Layers) != 2 {
		t.Errorf("want 2 layers in the stored image (%v): %s", err, out)
	}
}

// TestFilesStayInside: file names from a spec are cleaned into the image
// root, never written as absolute or ../ names; an empty name is refused.
func TestFilesStayInside(t *testing.T) {
	dir := t.TempDir()
	s := ImageSpec{Files: map[string]string{"../../escape.txt": "x", "/abs/file": "y"}}
	if _, err := WriteOCILayout(dir, "x", s); err != nil {
		t.Fatal(err)
	}
	top := layerFiles(t, dir, -1)
	for _, want := range []string{"escape.txt", "abs/", "abs/file"} {
		if _, ok := top[want]; !ok {
			t.Errorf("%s missing: %v", want, top)
		}
	}
	if _, err := WriteOCILayout(t.TempDir(), "x", ImageSpec{Files: map[string]string{"/": "z"}}); err == nil {
		t.Errorf("a file named / was accepted")
	}
}
