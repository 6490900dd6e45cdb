package spec

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
)

// The entries are those Podman 4.3 appends (checked against podman run -u
// on the same busybox image).
func TestContainerIDFiles(t *testing.T) {
	img := &v1.ImageConfig{WorkingDir: "/srv"}
	cases := []struct {
		user, workdir, pw, gr string
	}{
		{"", "", "", ""},
		{"bob", "", "", ""},
		{"1000", "", "", ""},
		{"7", "", "7:*:7:0:container user:/srv:/bin/sh\n", "7:x:7:7\n"},
		{"7", "/tmp", "7:*:7:0:container user:/tmp:/bin/sh\n", "7:x:7:7\n"},
		{"1:2", "", "1:*:1:2:container user:/srv:/bin/sh\n", "2:x:2:1\n"},
		{"4000:4000", "", "4000:*:4000:4000:container user:/srv:/bin/sh\n", "4000:x:4000:4000\n"},
		{"1000:5", "", "", "5:x:5:1000\n"},
		{"10", "", "10:*:10:0:container user:/srv:/bin/sh\n", ""}, // group 10 (wheel) exists
		{"1:wheel", "", "1:*:1:10:container user:/srv:/bin/sh\n", ""},
	}
	for _, tc := range cases {
		root := testRootfs(t)
		o := &engine.ContainerCreateOptions{User: tc.user, WorkDir: tc.workdir}
		pw, gr, err := ContainerIDFiles(root, o, img)
		if err != nil {
			t.Fatalf("%q: %v", tc.user, err)
		}
		check := func(what string, got []byte, orig, want string) {
			if want == "" {
				if got != nil {
					t.Errorf("-u %q: %s copy %q, want none", tc.user, what, got)
				}
				return
			}
			data, _ := os.ReadFile(filepath.Join(root, "etc", orig))
			if string(got) != string(data)+want {
				t.Errorf("-u %q: %s = %q, want image's + %q", tc.user, what, got, want)
			}
		}
		check("passwd", pw, "passwd", tc.pw)
		check("group", gr, "group", tc.gr)
		// The image's files are never written.
		if data, _ := os.ReadFile(filepath.Join(root, "etc/passwd")); strings.Contains(string(data), "container user") {
			t.Fatalf("image passwd modified: %q", data)
		}
	}

	// HOME of such a user is the workdir, as Podman's entry says.
	s, err := Generate(Input{ID: testID, Options: &engine.ContainerCreateOptions{User: "7", Command: []string{"id"}}, Image: img, Config: config.Default(), Rootfs: testRootfs(t), HardLimit: fixedLimit, PidMax: fixedPidMax})
	if err != nil {
		t.Fatal(err)
	}
	if !contains(s.Process.Env, "HOME=/srv") {
		t.Errorf("env %v lacks HOME=/srv", s.Process.Env)
	}

	// Hostile image: /etc/passwd a FIFO or a symlink out of the root.
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	outside := filepath.Join(t.TempDir(), "passwd")
	must(t, os.WriteFile(outside, []byte("host:x:0:0::/:/bin/sh\n"), 0o644))
	must(t, os.Symlink(outside, filepath.Join(root, "etc/passwd")))
	pw, _, err := ContainerIDFiles(root, &engine.ContainerCreateOptions{User: "7"}, img)
	if err != nil || strings.Contains(string(pw), "host:") || !strings.HasPrefix(string(pw), "7:*:7:") {
		t.Errorf("symlinked passwd: %q, %v (want only the new entry)", pw, err)
	}
	fifo := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(fifo, "etc"), 0o755))
	must(t, mkfifo(filepath.Join(fifo, "etc/passwd")))
	if _, _, err := ContainerIDFiles(fifo, &engine.ContainerCreateOptions{User: "7"}, img); err == nil {
		t.Error("FIFO /etc/passwd accepted")
	}
}

// etcMounts binds passwd, group and localtime only when the engine wrote them.
func TestOptionalEtcMounts(t *testing.T) {
	run := t.TempDir()
	has := func(ms []string, d string) bool {
		for _, m := range ms {
			if m == d {
				return true
			}
		}
		return false
	}
	dests := func() []string {
		var out []string
		for _, m := range etcMounts(run, &engine.ContainerCreateOptions{}) {
			out = append(out, m.Destination)
		}
		return out
	}
	if d := dests(); has(d, "/etc/passwd") || has(d, "/etc/localtime") {
		t.Fatalf("mounts without files: %v", d)
	}
	must(t, os.WriteFile(filepath.Join(run, "passwd"), nil, 0o644))
	must(t, os.WriteFile(filepath.Join(run, "localtime"), nil, 0o644))
	if d := dests(); !has(d, "/etc/passwd") || !has(d, "/etc/localtime") || has(d, "/etc/group") {
		t.Fatalf("mounts: %v", d)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func mkfifo(p string) error { return syscall.Mkfifo(p, 0o644) }
