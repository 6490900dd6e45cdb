package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/internal/testenv"
)

type syscallStat = syscall.Stat_t

// volumeCLI is a CLI with private storage and no image (volume commands
// need neither runc nor an image).
func volumeCLI(t *testing.T) *testenv.CLI {
	t.Helper()
	testenv.RequiresRoot(t)
	c := testenv.NewCLI(t)
	c.Timeout = 2 * time.Minute
	return c
}

func TestVolumeLifecycle(t *testing.T) {
	c := volumeCLI(t)
	if got := c.Must(t, "volume", "create", "v1"); got != "v1" {
		t.Fatalf("create printed %q", got)
	}
	c.Must(t, "volume", "create", "--label", "team=a", "--label", "x", "v2")
	anon := c.Must(t, "volume", "create")
	if len(anon) != 64 {
		t.Fatalf("unnamed volume got name %q, want 64 hex digits", anon)
	}
	runExpect(t, c, 125, "volume with name v1 already exists: volume already exists", "volume", "create", "v1")
	c.Must(t, "volume", "create", "--ignore", "v1")
	runExpect(t, c, 125, "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", "volume", "create", "bad/name")
	runExpect(t, c, 125, "names must match", "volume", "create", "../escape")
	runExpect(t, c, 125, "invalid mount option foo for driver 'local'", "volume", "create", "--opt", "foo=bar", "v3")
	runExpect(t, c, 125, "no volume plugin with name other available", "volume", "create", "--driver", "other", "v3")
	runExpect(t, c, 125, "Error: cannot convert UID abc to integer: strconv.Atoi: parsing \"abc\": invalid syntax\n", "volume", "create", "--opt", "o=uid=abc", "v3")
	runExpect(t, c, 125, `unable to process labels: invalid label format: "=x"`, "volume", "create", "--label", "=x", "v3")
	if _, err := os.Stat(filepath.Join(c.Root, "volumes", "v3")); err == nil {
		t.Fatal("a refused create left a volume directory")
	}
	if _, err := os.Stat(filepath.Join(c.Root, "..", "escape")); err == nil {
		t.Fatal("a hostile name created a directory outside the volume path")
	}

	var docs []map[string]any
	if err := json.Unmarshal([]byte(c.Must(t, "volume", "inspect", "v1", "v2")), &docs); err != nil || len(docs) != 2 {
		t.Fatalf("inspect: %v %v", err, docs)
	}
	d := docs[0]
	want := filepath.Join(c.Root, "volumes", "v1", "_data")
	if d["Name"] != "v1" || d["Driver"] != "local" || d["Mountpoint"] != want || d["Scope"] != "local" ||
		d["NeedsCopyUp"] != true || d["MountCount"] != float64(0) || d["CreatedAt"] == "" {
		t.Fatalf("inspect v1: %v", d)
	}
	if fi, err := os.Stat(want); err != nil || !fi.IsDir() {
		t.Fatalf("volume directory %s: %v", want, err)
	}
	if labels := docs[1]["Labels"].(map[string]any); labels["team"] != "a" || labels["x"] != "" {
		t.Fatalf("labels: %v", labels)
	}
	if got := c.Must(t, "volume", "inspect", "--format", "{{.Name}} {{.Driver}}", "v2"); got != "v2 local" {
		t.Fatalf("inspect --format: %q", got)
	}
	runExpect(t, c, 125, "inspecting object: no such volume nope", "volume", "inspect", "nope")

	out := c.Must(t, "volume", "ls")
	if l := lines(out); len(l) != 4 || !strings.HasPrefix(l[0], "DRIVER") || !strings.Contains(l[0], "VOLUME NAME") {
		t.Fatalf("volume ls:\n%s", out)
	}
	if got := c.Must(t, "volume", "ls", "-q", "--filter", "label=team=a"); got != "v2" {
		t.Fatalf("label filter: %q", got)
	}
	if got := c.Must(t, "volume", "ls", "-q", "--filter", "name=v1"); got != "v1" {
		t.Fatalf("name filter: %q", got)
	}
	if got := c.Must(t, "volume", "ls", "--format", "{{.Name}}", "--filter", "driver=local", "--filter", "label=x"); got != "v2" {
		t.Fatalf("format + filters: %q", got)
	}
	var ls []map[string]any
	if err := json.Unmarshal([]byte(c.Must(t, "volume", "ls", "--format", "json")), &ls); err != nil || len(ls) != 3 {
		t.Fatalf("ls json: %v %d", err, len(ls))
	}
	runExpect(t, c, 125, "invalid volume filter", "volume", "ls", "--filter", "bogus=1")
	runExpect(t, c, 125, "filter input must be in the form of filter=value: label is invalid", "volume", "ls", "--filter", "label")
	runExpect(t, c, 125, "Error: no such volume nope\n", "volume", "import", "nope", "/dev/null")

	if r := c.Run("volume", "exists", "v1"); r.ExitCode != 0 {
		t.Fatalf("exists v1: %s", r)
	}
	if r := c.Run("volume", "exists", "nope"); r.ExitCode != 1 {
		t.Fatalf("exists nope: %s", r)
	}
	runExpect(t, c, 1, `no volume with name "nope" found: no such volume`, "volume", "rm", "nope")
	if got := c.Must(t, "volume", "rm", "v1"); got != "v1" {
		t.Fatalf("rm printed %q", got)
	}
	if _, err := os.Stat(filepath.Dir(want)); !os.IsNotExist(err) {
		t.Fatalf("rm left %s: %v", filepath.Dir(want), err)
	}
	pruned := lines(c.Must(t, "volume", "prune", "-f"))
	sort.Strings(pruned)
	if len(pruned) != 2 || pruned[1] != "v2" {
		t.Fatalf("prune removed %v", pruned)
	}
	if got := c.Must(t, "volume", "ls", "-q"); got != "" {
		t.Fatalf("volumes left after prune: %q", got)
	}
}

func TestVolumeRunIntegration(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{Files: map[string]string{"/data/seed.txt": "from the image\n"}})
	// Named volume created on first use, content persists, copy-up of the
	// image's /data into the new volume.
	c.Must(t, "run", "--rm", "-v", "named:/data", "bb", "sh", "-c", "echo hello > /data/f")
	if got := c.Must(t, "run", "--rm", "-v", "named:/data", "bb", "cat", "/data/f", "/data/seed.txt"); got != "hello\nfrom the image" {
		t.Fatalf("named volume content: %q", got)
	}
	// ro.
	r := c.Run("run", "--rm", "-v", "named:/data:ro", "bb", "touch", "/data/x")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "Read-only file system") {
		t.Fatalf("ro volume writable: %s", r)
	}
	// nocopy: a new volume stays empty.
	if got := c.Must(t, "run", "--rm", "-v", "nc:/data:nocopy", "bb", "ls", "/data"); got != "" {
		t.Fatalf("nocopy volume got %q", got)
	}

	// CVE-2020-1726 (security.md B6): a pre-populated volume is never
	// overwritten by the image content, on the first run nor later.
	c.Must(t, "volume", "create", "pre")
	mp := c.Must(t, "volume", "inspect", "--format", "{{.Mountpoint}}", "pre")
	if err := os.WriteFile(filepath.Join(mp, "marker"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if got := c.Must(t, "run", "--rm", "-v", "pre:/etc", "bb", "ls", "/etc"); !strings.Contains(got, "marker") || strings.Contains(got, "passwd") {
			t.Fatalf("run %d: pre-populated volume shows %q", i, got)
		}
	}
	// Copy-up happens once: after emptying the volume, nothing comes back.
	c.Must(t, "run", "--rm", "-v", "named:/data", "bb", "rm", "/data/seed.txt")
	if got := c.Must(t, "run", "--rm", "-v", "named:/data", "bb", "ls", "/data"); got != "f" {
		t.Fatalf("copy-up repeated: %q", got)
	}

	// In use: rm refused (exit 2), -f removes the user too.
	id := c.Must(t, "create", "-v", "named:/data", "bb", "true")
	runExpect(t, c, 2, "volume named is being used by the following container(s): "+id+": volume is being used", "volume", "rm", "named")
	if got := c.Must(t, "volume", "ls", "-q", "--filter", "dangling=false"); got != "named" {
		t.Fatalf("dangling=false: %q", got)
	}
	c.Must(t, "volume", "rm", "-f", "named")
	if r := c.Run("container", "exists", id); r.ExitCode != 1 {
		t.Fatalf("volume rm -f left its user: %s", r)
	}

	// Anonymous volumes: rm keeps them, rm -v and run --rm remove them.
	before := len(lines(c.Must(t, "volume", "ls", "-q")))
	id = c.Must(t, "create", "-v", "/anon", "bb", "true")
	c.Must(t, "rm", id)
	if n := len(lines(c.Must(t, "volume", "ls", "-q"))); n != before+1 {
		t.Fatalf("rm without -v: %d volumes, want %d", n, before+1)
	}
	c.Must(t, "volume", "prune", "-f")
	before = len(lines(c.Must(t, "volume", "ls", "-q")))
	id = c.Must(t, "create", "-v", "/anon", "bb", "true")
	c.Must(t, "rm", "-v", id)
	c.Must(t, "run", "--rm", "-v", "/anon", "bb", "true")
	if n := len(lines(c.Must(t, "volume", "ls", "-q"))); n != before {
		t.Fatalf("rm -v / run --rm left anonymous volumes: %d, want %d", n, before)
	}

	// --volumes-from with :ro.
	c.Must(t, "create", "--name", "src", "-v", "shared:/shared", "bb", "true")
	c.Must(t, "run", "--rm", "-v", "shared:/s", "bb", "sh", "-c", "echo s > /s/f")
	if got := c.Must(t, "run", "--rm", "--volumes-from", "src:ro", "bb", "cat", "/shared/f"); got != "s" {
		t.Fatalf("volumes-from: %q", got)
	}
	if r := c.Run("run", "--rm", "--volumes-from", "src:ro", "bb", "touch", "/shared/g"); r.ExitCode == 0 {
		t.Fatal("volumes-from :ro is writable")
	}

	// Bind mounts with options.
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "h"), []byte("host"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := c.Must(t, "run", "--rm", "-v", host+":/h:ro,nosuid,nodev", "bb", "cat", "/h/h"); got != "host" {
		t.Fatalf("bind: %q", got)
	}
	// O: writes go to a throwaway upper layer.
	c.Must(t, "run", "--rm", "-v", host+":/h:O", "bb", "sh", "-c", "echo changed > /h/h; touch /h/new")
	if b, _ := os.ReadFile(filepath.Join(host, "h")); string(b) != "host" {
		t.Fatalf("overlay volume wrote through: %q", b)
	}
	if _, err := os.Stat(filepath.Join(host, "new")); err == nil {
		t.Fatal("overlay volume created a host file")
	}
	// U: chown to the container user.
	uhost := t.TempDir()
	c.Must(t, "run", "--rm", "--user", "1234:1234", "-v", uhost+":/u:U", "bb", "touch", "/u/x")
	if fi, err := os.Stat(filepath.Join(uhost, "x")); err != nil || fi.Sys().(*syscallStat).Uid != 1234 {
		t.Fatalf("U: %v", err)
	}
}

func TestVolumeImageVolumes(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{
		Config: v1.ImageConfig{Volumes: map[string]struct{}{
			"/vol":                {},
			"/../../../../../etc": {}, // security.md B8: stays inside the rootfs
			"../relative":         {},
		}},
		Files: map[string]string{"/vol/in-image": "x\n"},
	})
	before := len(lines(c.Must(t, "volume", "ls", "-q")))
	// The image VOLUME becomes an anonymous volume filled from the image.
	if got := c.Must(t, "run", "--rm", "bb", "cat", "/vol/in-image"); got != "x" {
		t.Fatalf("image volume content %q", got)
	}
	// /etc of the container is a volume populated from the image's /etc, never the host's.
	out := c.Must(t, "run", "--rm", "bb", "cat", "/etc/passwd")
	if host, _ := os.ReadFile("/etc/passwd"); strings.TrimSpace(string(host)) == out {
		t.Fatal("image volume /../../etc shows the host's /etc/passwd")
	}
	if n := len(lines(c.Must(t, "volume", "ls", "-q"))); n != before {
		t.Fatalf("run --rm left %d anonymous volumes", n-before)
	}
	id := c.Must(t, "create", "bb", "true")
	if n := len(lines(c.Must(t, "volume", "ls", "-q"))); n != before+3 {
		t.Fatalf("create made %d volumes, want 3 (image VOLUMEs)", n-before)
	}
	c.Must(t, "rm", "-v", id)
	if got := c.Must(t, "run", "--rm", "--image-volume", "tmpfs", "bb", "sh", "-c", "grep ' /vol ' /proc/mounts | cut -d' ' -f3"); got != "tmpfs" {
		t.Fatalf("--image-volume tmpfs: %q", got)
	}
	if got := c.Must(t, "run", "--rm", "--image-volume", "ignore", "bb", "sh", "-c", "grep -c ' /vol ' /proc/mounts || true"); got != "0" {
		t.Fatalf("--image-volume ignore: %q", got)
	}
	if n := len(lines(c.Must(t, "volume", "ls", "-q"))); n != before {
		t.Fatalf("volumes left: %d", n-before)
	}
}

func TestVolumeBadInput(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"-v", "/nonexistent-selkie:/x"}, "statfs /nonexistent-selkie: no such file or directory"},
		{[]string{"--mount", "type=bind,src=/nonexistent-selkie,dst=/x"}, "statfs /nonexistent-selkie: no such file or directory"},
		{[]string{"-v", "/tmp:relative"}, `invalid container path "relative", must be an absolute path`},
		{[]string{"-v", "a:b:c:d"}, "incorrect volume format"},
		{[]string{"-v", "v:/x:bogus"}, `invalid option type "bogus"`},
		{[]string{"-v", "a:/x", "-v", "b:/x"}, "/x: duplicate mount destination"},
		{[]string{"--tmpfs", "/x", "-v", "a:/x"}, "/x: duplicate mount destination"},
		{[]string{"-v", "bad$name:/x"}, "names must match"},
		{[]string{"--volumes-from", "nosuchctr"}, "no container with name or ID"},
		{[]string{"--mount", "type=glob,src=/tmp/*,dst=/g"}, `invalid filesystem type "glob"`},
		{[]string{"-v", ":/x"}, "host directory cannot be empty"},
		{[]string{"--mount", "type=bind,src=/tmp,dst=/x,ro,rw"}, "cannot pass 'readonly', 'ro', or 'rw' options more than once"},
		{[]string{"--mount", "type=volume,src=v,dst=/x,foo"}, "foo: invalid mount option"},
		{[]string{"--tmpfs", "/x:bogus"}, `unknown mount option "bogus": invalid mount option`},
		{[]string{"--volumes-from", "x:bogus"}, `invalid option "bogus" specified`},
	}
	for _, tc := range cases {
		args := append(append([]string{"run", "--rm"}, tc.args...), "bb", "true")
		runExpect(t, c, 125, tc.msg, args...)
		args[0] = "create"
		args = append(args[:1], args[2:]...)
		runExpect(t, c, 125, tc.msg, args...)
	}
	if got := c.Must(t, "ps", "-aq"); got != "" {
		t.Fatalf("bad input left containers: %q", got)
	}
	if got := c.Must(t, "volume", "ls", "-q"); got != "" {
		t.Fatalf("bad input left volumes: %q", got)
	}
}

// tarOf builds a tar from entries in order.
func tarOf(t *testing.T, hs []*tar.Header, bodies map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hs {
		if b, ok := bodies[h.Name]; ok {
			h.Size = int64(len(b))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if b, ok := bodies[h.Name]; ok {
			if _, err := tw.Write([]byte(b)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// hostileTar tries every escape: ../, absolute names, a symlink to a host
// dir then a file through it, hardlinks to host files.
func hostileTar(t *testing.T, victimDir, victimFile string) []byte {
	return tarOf(t, []*tar.Header{
		{Name: "../../../../../../" + victimDir + "/dotdot", Typeflag: tar.TypeReg},
		{Name: victimDir + "/absolute", Typeflag: tar.TypeReg},
		{Name: "lnk", Typeflag: tar.TypeSymlink, Linkname: victimDir},
		{Name: "lnk/through-symlink", Typeflag: tar.TypeReg},
		{Name: "rel", Typeflag: tar.TypeSymlink, Linkname: "../../../../../../../" + victimDir},
		{Name: "rel/through-relative", Typeflag: tar.TypeReg},
		{Name: "hard", Typeflag: tar.TypeLink, Linkname: "../../../../../../" + victimFile},
		{Name: "hardabs", Typeflag: tar.TypeLink, Linkname: victimFile},
		{Name: "lnk", Typeflag: tar.TypeDir, Mode: 0o777},
	}, map[string]string{
		"../../../../../../" + victimDir + "/dotdot": "pwned", victimDir + "/absolute": "pwned",
		"lnk/through-symlink": "pwned", "rel/through-relative": "pwned",
	})
}

func checkVictim(t *testing.T, victimDir, victimFile, content string) {
	t.Helper()
	if ents, _ := os.ReadDir(victimDir); len(ents) != 0 {
		t.Fatalf("hostile tar wrote into the host dir %s: %v", victimDir, ents)
	}
	fi, err := os.Stat(victimFile)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(victimFile)
	if string(b) != content || fi.Mode().Perm() != 0o600 || fi.Sys().(*syscallStat).Nlink != 1 {
		t.Fatalf("victim file changed: %q mode %v nlink %d", b, fi.Mode(), fi.Sys().(*syscallStat).Nlink)
	}
}

func TestVolumeExportImport(t *testing.T) {
	c := volumeCLI(t)
	c.Must(t, "volume", "create", "src")
	mp := c.Must(t, "volume", "inspect", "--format", "{{.Mountpoint}}", "src")
	if err := os.MkdirAll(filepath.Join(mp, "d/sub"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mp, "d/sub/f"), []byte("content"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(mp, "d/sub/f"), 1000, 1001); err != nil {
		t.Fatal(err)
	}
	// A symlink to a host file stays a symlink in the export (B5).
	if err := os.Symlink("/etc/shadow", filepath.Join(mp, "shadow")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "v.tar")
	c.Must(t, "volume", "export", "src", "-o", out)
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(f)
	names := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names[h.Name] = h
	}
	f.Close()
	if h := names["shadow"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "/etc/shadow" {
		t.Fatalf("export: shadow entry %+v", h)
	}
	if h := names["d/sub/f"]; h == nil || h.Uid != 1000 || h.Gid != 1001 || h.Mode != 0o640 {
		t.Fatalf("export: d/sub/f %+v", h)
	}
	c.Must(t, "volume", "create", "dst")
	c.Must(t, "volume", "import", "dst", out)
	dmp := c.Must(t, "volume", "inspect", "--format", "{{.Mountpoint}}", "dst")
	fi, err := os.Stat(filepath.Join(dmp, "d/sub/f"))
	if err != nil || fi.Mode().Perm() != 0o640 || fi.Sys().(*syscallStat).Uid != 1000 {
		t.Fatalf("import round trip: %v %v", fi, err)
	}
	if l, _ := os.Readlink(filepath.Join(dmp, "shadow")); l != "/etc/shadow" {
		t.Fatalf("symlink not kept: %q", l)
	}
	// stdin.
	b, _ := os.ReadFile(out)
	c.Must(t, "volume", "create", "dst2")
	if r := c.RunStdin(bytes.NewReader(b), "volume", "import", "dst2", "-"); r.ExitCode != 0 {
		t.Fatalf("import -: %s", r)
	}
	runExpect(t, c, 125, "no such volume", "volume", "import", "nope", out)

	// Hostile tar: everything lands inside the volume (or fails), the host
	// victim dir and file stay untouched.
	victimDir := t.TempDir()
	victimFile := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victimFile, []byte("victim"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.Must(t, "volume", "create", "evil")
	r := c.RunStdin(bytes.NewReader(hostileTar(t, victimDir, victimFile)), "volume", "import", "evil", "-")
	checkVictim(t, victimDir, victimFile, "victim")
	if r.ExitCode == 0 {
		emp := c.Must(t, "volume", "inspect", "--format", "{{.Mountpoint}}", "evil")
		if _, err := os.Stat(filepath.Join(emp, victimDir, "absolute")); err != nil {
			t.Fatalf("absolute entry not confined into the volume: %v", err)
		}
	}
}

func TestVolumeMountBacked(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	c.Must(t, "volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=2m,nodev", "tv")
	mp := c.Must(t, "volume", "inspect", "--format", "{{.Mountpoint}}", "tv")
	out := c.Must(t, "run", "--rm", "-v", "tv:/t", "bb", "sh", "-c", "grep ' /t ' /proc/mounts; echo x > /t/f")
	if !strings.HasPrefix(out, "tmpfs /t tmpfs") || !strings.Contains(out, "size=2048k") {
		t.Fatalf("volume not a tmpfs in the container: %q", out)
	}
	if n := mountsUnder(t, mp); n != 0 {
		t.Fatalf("volume still mounted after the run (%d)", n)
	}
	if got := c.Must(t, "volume", "mount", "tv"); got != mp {
		t.Fatalf("volume mount printed %q", got)
	}
	if n := mountsUnder(t, mp); n != 1 {
		t.Fatalf("volume mount: %d mounts", n)
	}
	if got := c.Must(t, "volume", "inspect", "--format", "{{.MountCount}}", "tv"); got != "1" {
		t.Fatalf("MountCount %q", got)
	}
	c.Must(t, "volume", "unmount", "tv")
	if n := mountsUnder(t, mp); n != 0 {
		t.Fatalf("volume unmount left %d mounts", n)
	}
	c.Must(t, "volume", "rm", "tv")

	// type=none,o=bind: a host directory behind a named volume.
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "s"), []byte("srv"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.Must(t, "volume", "create", "--opt", "type=none", "--opt", "device="+src, "--opt", "o=bind", "bv")
	if got := c.Must(t, "run", "--rm", "-v", "bv:/b", "bb", "sh", "-c", "cat /b/s; echo w > /b/w"); got != "srv" {
		t.Fatalf("bind-backed volume: %q", got)
	}
	if b, _ := os.ReadFile(filepath.Join(src, "w")); string(b) != "w\n" {
		t.Fatalf("write through the bind-backed volume: %q", b)
	}
	c.Must(t, "volume", "rm", "bv")
	if _, err := os.Stat(filepath.Join(src, "s")); err != nil {
		t.Fatalf("volume rm removed the bound host directory's content: %v", err)
	}
}

// TestVolumeConcurrentFirstUse: containers started together with the same
// new named volume (Podman #20313) all get the one volume.
func TestVolumeConcurrentFirstUse(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	const n = 5
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			r := c.Run("run", "--rm", "-v", "same:/d", "bb", "sh", "-c", "touch /d/f"+string(rune('0'+i)))
			if r.ExitCode != 0 {
				errs <- r.String()
				return
			}
			errs <- ""
		}(i)
	}
	for i := 0; i < n; i++ {
		if e := <-errs; e != "" {
			t.Fatalf("concurrent run: %s", e)
		}
	}
	if got := c.Must(t, "volume", "ls", "-q"); got != "same" {
		t.Fatalf("volumes: %q", got)
	}
	if got := c.Must(t, "run", "--rm", "-v", "same:/d", "bb", "ls", "/d"); len(lines(got)) != n {
		t.Fatalf("files: %q", got)
	}
}

func TestVolumeImageMount(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{Files: map[string]string{"/marker": "img\n"}})
	if got := c.Must(t, "run", "--rm", "--mount", "type=image,source=bb,destination=/img", "bb", "cat", "/img/marker"); got != "img" {
		t.Fatalf("image mount content %q", got)
	}
	if r := c.Run("run", "--rm", "--mount", "type=image,source=bb,destination=/img", "bb", "touch", "/img/x"); r.ExitCode == 0 {
		t.Fatal("image mount is writable")
	}
	runExpect(t, c, 125, "", "run", "--rm", "--mount", "type=image,source=nosuchimage,destination=/img", "bb", "true")
	p := c.Must(t, "image", "mount", "bb")
	if b, err := os.ReadFile(filepath.Join(p, "marker")); err != nil || string(b) != "img\n" {
		t.Fatalf("image mount %s: %v", p, err)
	}
	c.Must(t, "image", "unmount", "bb")
	if n := mountsUnder(t, p); n != 0 {
		t.Fatalf("image still mounted at %s", p)
	}
}

// TestVolumeExportSymlinkRace: a container swaps a file in the volume with
// a symlink to a host file while the volume is exported 100 times (B5,
// CVE-2023-0778): the tar never carries the host file's content.
func TestVolumeExportSymlinkRace(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("HOST SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.Must(t, "run", "-d", "--name", "swapper", "-v", "racy:/v", "bb", "sh", "-c",
		"while :; do echo inside > /v/f.tmp; mv /v/f.tmp /v/f; ln -sfn "+secret+" /v/f; done")
	for i := 0; i < 100; i++ {
		r := c.Run("volume", "export", "racy")
		if r.ExitCode != 0 {
			t.Fatalf("export %d: %s", i, r)
		}
		if strings.Contains(r.Stdout, "HOST SECRET") {
			t.Fatalf("export %d carries the host file", i)
		}
	}
}
