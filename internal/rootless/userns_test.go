//go:build linux

package rootless

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestKeepIDMapping(t *testing.T) {
	f := filepath.Join(t.TempDir(), "uid_map")
	// The pause namespace: 0 is the user, 1..65536 the subordinate range.
	if err := os.WriteFile(f, []byte("         0       1001          1\n         1     165536      65536\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := keepID(1001, f)
	if err != nil {
		t.Fatal(err)
	}
	want := []specs.LinuxIDMapping{
		{ContainerID: 0, HostID: 1, Size: 1001},
		{ContainerID: 1001, HostID: 0, Size: 1},
		{ContainerID: 1002, HostID: 1002, Size: 64535},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("keep-id 1001: %+v, want %+v", got, want)
	}
	// Every container ID maps to a distinct namespace ID inside 0..65536.
	seen := map[uint32]bool{}
	for _, m := range got {
		for i := uint32(0); i < m.Size; i++ {
			h := m.HostID + i
			if h > 65536 || seen[h] {
				t.Fatalf("namespace ID %d out of range or mapped twice", h)
			}
			seen[h] = true
		}
	}
	// Single-ID mapping: only the user itself.
	if err := os.WriteFile(f, []byte("0 1001 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = keepID(1001, f)
	if err != nil {
		t.Fatal(err)
	}
	if want := []specs.LinuxIDMapping{{ContainerID: 1001, HostID: 0, Size: 1}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("keep-id without ranges: %+v, want %+v", got, want)
	}
}

func TestContainerUserNSModes(t *testing.T) {
	for _, mode := range []string{"keep-id", "nomap"} {
		if _, err := ContainerUserNS(mode, false); err == nil {
			t.Errorf("%s accepted as root", mode)
		}
	}
	if _, err := ContainerUserNS("keep-id:uid=x", true); err == nil {
		t.Error("keep-id:uid=x accepted")
	}
	if _, err := ContainerUserNS("keep-id:size=1", true); err == nil {
		t.Error("keep-id:size=1 accepted")
	}
	if u, err := ContainerUserNS("ns:/proc/1/ns/user", false); err != nil || u.Path != "/proc/1/ns/user" || u.Private {
		t.Errorf("ns:PATH: %+v %v", u, err)
	}
	if u, err := ContainerUserNS("host", true); err != nil || u.Private || u.Path != "" {
		t.Errorf("host: %+v %v", u, err)
	}
}

func TestNeedsNamespace(t *testing.T) {
	for args, want := range map[string]bool{
		"":                               false,
		"version":                        false,
		"--version":                      false,
		"help run":                       false,
		"run --help":                     false,
		"--remote ps":                    false,
		"ps":                             true,
		"--root /x images":               true,
		"run -h myhost bb echo version":  true,
		"run --rm bb ls --help":          true,
		"--log-level debug pull busybox": true,
		"completion bash":                false,
		"unshare cat /proc/self/uid_map": true,
		"system migrate":                 true,
	} {
		var a []string
		if args != "" {
			a = splitFields(args)
		}
		if got := NeedsNamespace(a); got != want {
			t.Errorf("NeedsNamespace(%q) = %v, want %v", args, got, want)
		}
	}
}

func splitFields(s string) []string {
	var out []string
	cur := ""
	for _, r := range s {
		if r == ' ' {
			if cur != "" {
				out = append(out, cur)
			}
			cur = ""
			continue
		}
		cur += string(r)
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}
