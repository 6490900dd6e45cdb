package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
)

var update = flag.Bool("update", false, "rewrite golden files")

const testID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func testRootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\nbob:x:1000:1000:bob:/home/bob:/bin/sh\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\nbob:x:1000:\nwheel:x:10:bob\naudio:x:29:\n"), 0o644))
	return root
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func fixedLimit(res int) (uint64, error) { return 20000, nil }

func fixedPidMax() uint64 { return 32768 }

func TestGolden(t *testing.T) {
	img := &v1.ImageConfig{Cmd: []string{"sh"}, Env: []string{"PATH=/bin", "FOO=image"}, WorkingDir: "/srv"}
	ro := true
	cases := map[string]engine.ContainerCreateOptions{
		"default":  {Command: []string{"echo", "hi"}, Network: "none"},
		"user_env": {User: "bob", Env: map[string]string{"FOO": "user", "BAR": "1"}, WorkDir: "/w", Terminal: true, Hostname: "box", GroupAdd: []string{"audio"}},
		"security": {CapAdd: []string{"net_admin"}, CapDrop: []string{"CHOWN"}, SecurityOpt: []string{"no-new-privileges", "seccomp=unconfined", "mask=/proc/foo", "unmask=/proc/kcore"}, ReadOnly: true, ReadOnlyTmpfs: &ro},
		"resources": {Resources: engine.Resources{Memory: 64 << 20, NanoCPUs: 1500000000, CPUShares: 512, CPUSetCPUs: "0", BlkioWeight: 300},
			Ulimits: []engine.Ulimit{{Name: "nofile", Soft: 100, Hard: 200}}, Network: "host", Mounts: []engine.Mount{{Type: "tmpfs", Destination: "/scratch", Options: []string{"size=1m"}}}},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			root := testRootfs(t)
			s, err := Generate(Input{ID: testID, Name: "ctr", Options: &o, Image: img, Config: config.Default(), Rootfs: root, RunDir: "/run/selkie/ctr", HardLimit: fixedLimit, PidMax: fixedPidMax})
			if err != nil {
				t.Fatal(err)
			}
			if s.Linux.Seccomp != nil {
				if len(s.Linux.Seccomp.Syscalls) < 10 {
					t.Fatalf("seccomp profile too small: %d rules", len(s.Linux.Seccomp.Syscalls))
				}
				s.Linux.Seccomp.Syscalls = nil
				s.Linux.Seccomp.Architectures = nil
			}
			data, _ := json.MarshalIndent(s, "", "  ")
			data = bytes.ReplaceAll(data, []byte(root), []byte("ROOTFS"))
			if h, err := os.Hostname(); err == nil {
				data = bytes.ReplaceAll(data, []byte("HOSTNAME="+h+`"`), []byte(`HOSTNAME=HOST"`))
				data = bytes.ReplaceAll(data, []byte(`"hostname": "`+h+`"`), []byte(`"hostname": "HOST"`))
			}
			golden := filepath.Join("testdata", name+".json")
			if *update {
				must(t, os.WriteFile(golden, append(data, '\n'), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			must(t, err)
			if !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(data)) {
				t.Errorf("spec differs from %s (run with -update to accept):\n%s", golden, data)
			}
		})
	}
}

func TestUserLookup(t *testing.T) {
	root := testRootfs(t)
	u, err := LookupUser(root, "bob", nil)
	must(t, err)
	if u.UID != 1000 || u.GID != 1000 || u.Home != "/home/bob" || len(u.AdditionalGids) != 1 || u.AdditionalGids[0] != 10 {
		t.Fatalf("bob: %+v", u)
	}
	u, err = LookupUser(root, "1234:wheel", nil)
	must(t, err)
	if u.UID != 1234 || u.GID != 10 || u.Home != "/" {
		t.Fatalf("1234:wheel: %+v", u)
	}
	_, err = LookupUser(root, "bogus", nil)
	if err == nil || err.Error() != "unable to find user bogus: no matching entries in passwd file" {
		t.Fatalf("bogus: %v", err)
	}
	_, err = LookupUser(root, "bob:nogroup", nil)
	if err == nil || !strings.Contains(err.Error(), "unable to find group nogroup") {
		t.Fatalf("bob:nogroup: %v", err)
	}
}

// A hostile image points /etc/passwd at a FIFO or outside the root: the
// lookup must neither hang nor read the host's file (security.md B9).
func TestUserLookupHostileFiles(t *testing.T) {
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	must(t, syscall.Mkfifo(filepath.Join(root, "etc/passwd"), 0o644))
	if _, err := LookupUser(root, "root", nil); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("fifo passwd: %v", err)
	}
	must(t, os.Remove(filepath.Join(root, "etc/passwd")))
	// An absolute symlink resolves inside the root, never to the host's /etc/passwd.
	must(t, os.Symlink("/../../../../etc/passwd", filepath.Join(root, "etc/passwd")))
	if _, err := LookupUser(root, "root", nil); err == nil {
		t.Fatal("symlink to the host's passwd was followed")
	}
	must(t, os.Remove(filepath.Join(root, "etc/passwd")))
	must(t, os.Symlink("/dev/zero", filepath.Join(root, "etc/passwd")))
	if _, err := LookupUser(root, "root", nil); err == nil {
		t.Fatal("/dev/zero passwd accepted")
	}
	// Numeric users work without any passwd file.
	must(t, os.Remove(filepath.Join(root, "etc/passwd")))
	if u, err := LookupUser(root, "0:0", nil); err != nil || u.UID != 0 {
		t.Fatalf("0:0: %v %+v", err, u)
	}
}

func TestUlimits(t *testing.T) {
	root := testRootfs(t)
	cfg := config.Default()
	cfg.Containers.DefaultUlimits = []string{"nofile=1048576:1048576"}
	s, err := Generate(Input{ID: testID, Options: &engine.ContainerCreateOptions{Command: []string{"true"}}, Config: cfg, Rootfs: root, HardLimit: fixedLimit, PidMax: fixedPidMax})
	must(t, err)
	for _, r := range s.Process.Rlimits {
		if r.Hard > 20000 || r.Soft > r.Hard {
			t.Fatalf("default %s not clamped: %+v", r.Type, r)
		}
	}
	_, err = Generate(Input{ID: testID, Options: &engine.ContainerCreateOptions{Command: []string{"true"}, Ulimits: []engine.Ulimit{{Name: "nofile", Soft: 30000, Hard: 30000}}}, Config: cfg, Rootfs: root, HardLimit: fixedLimit, PidMax: fixedPidMax})
	if !errors.Is(err, engine.ErrInvalidArg) || !strings.Contains(err.Error(), "maximum allowed (20000)") {
		t.Fatalf("explicit ulimit above the hard limit: %v", err)
	}
	for _, bad := range []string{"nofile", "bogus=1", "nofile=a", "nofile=10:5", "core=-1:1000"} {
		if _, err := ParseUlimit(bad); err == nil {
			t.Errorf("ParseUlimit(%q) accepted", bad)
		}
	}
}

func TestCapabilitiesNonRoot(t *testing.T) {
	root := testRootfs(t)
	s, err := Generate(Input{ID: testID, Options: &engine.ContainerCreateOptions{Command: []string{"true"}, User: "1000:1000"}, Rootfs: root, HardLimit: fixedLimit, PidMax: fixedPidMax})
	must(t, err)
	c := s.Process.Capabilities
	if len(c.Effective) != 0 || len(c.Inheritable) != 0 || len(c.Bounding) == 0 {
		t.Fatalf("non-root default caps: %+v", c)
	}
	s, err = Generate(Input{ID: testID, Options: &engine.ContainerCreateOptions{Command: []string{"true"}, User: "1000:1000", CapAdd: []string{"DAC_OVERRIDE"}}, Rootfs: root, HardLimit: fixedLimit, PidMax: fixedPidMax})
	must(t, err)
	c = s.Process.Capabilities
	if len(c.Inheritable) != 1 || c.Inheritable[0] != "CAP_DAC_OVERRIDE" || len(c.Ambient) != 1 {
		t.Fatalf("non-root cap-add: %+v", c)
	}
	s, err = Generate(Input{ID: testID, Options: &engine.ContainerCreateOptions{Command: []string{"true"}, CapAdd: []string{"ALL"}}, Rootfs: root, HardLimit: fixedLimit, PidMax: fixedPidMax})
	must(t, err)
	if len(s.Process.Capabilities.Inheritable) != 0 {
		t.Fatal("root with --cap-add ALL got inheritable capabilities")
	}
}

func TestBadInput(t *testing.T) {
	root := testRootfs(t)
	for name, o := range map[string]engine.ContainerCreateOptions{
		"memory":  {Resources: engine.Resources{Memory: 1}},
		"cap":     {CapAdd: []string{"BOGUS"}},
		"secopt":  {SecurityOpt: []string{"bogus=1"}},
		"cgrule":  {DeviceCgroupRules: []string{"b 7:* rmX"}},
		"relpath": {Mounts: []engine.Mount{{Type: "bind", Source: "/tmp", Destination: "rel"}}},
		"dupdest": {Mounts: []engine.Mount{{Type: "tmpfs", Destination: "/x"}, {Type: "tmpfs", Destination: "/x/"}}},
		"user":    {User: "bogus:user"},
	} {
		o.Command = []string{"true"}
		if _, err := Generate(Input{ID: testID, Options: &o, Rootfs: root, HardLimit: fixedLimit, PidMax: fixedPidMax}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Generate(Input{ID: testID, Options: &engine.ContainerCreateOptions{}, Rootfs: root}); err == nil {
		t.Error("no command accepted")
	}
}
