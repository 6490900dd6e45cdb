package volume

import (
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestIDMapMappings(t *testing.T) {
	ctr := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	u, g, err := IDMapMappings("idmap", ctr, ctr)
	if err != nil || !reflect.DeepEqual(u, ctr) || !reflect.DeepEqual(g, ctr) {
		t.Fatalf("plain idmap: %v %v %v", u, g, err)
	}
	u, g, err = IDMapMappings("idmap=uids=0-1-10#10-11-10", ctr, ctr)
	want := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1, Size: 10}, {ContainerID: 10, HostID: 11, Size: 10}}
	if err != nil || !reflect.DeepEqual(u, want) || !reflect.DeepEqual(g, ctr) {
		t.Fatalf("custom uids: %v %v %v", u, g, err)
	}
	if _, _, err := IDMapMappings("idmap=uids=0-1-1;gids=0-2-1", nil, nil); err != nil {
		t.Fatalf("custom, no userns: %v", err)
	}
	for opt, msg := range map[string]string{
		"idmap":                                "no user namespace",
		"idmap=uids=0-1-1":                     "no user namespace", // gids missing
		"idmap=":                               "empty mapping",
		"idmap=uids=0-1":                       "invalid value",
		"idmap=uids=a-1-1;gids=0-1-1":          "invalid value",
		"idmap=uids=0-1-0;gids=0-1-1":          "invalid value",
		"idmap=uids=0-4294967295-2;gids=0-1-1": "invalid value",
		"idmap=bogus":                          `unknown option "bogus"`,
	} {
		if _, _, err := IDMapMappings(opt, nil, nil); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: got %v, want %q", opt, err, msg)
		}
	}
}

func TestUnmountIDMappedMissing(t *testing.T) {
	if err := UnmountIDMapped(t.TempDir() + "/nope"); err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	if err := UnmountIDMapped(d); err != nil {
		t.Fatal(err)
	}
}
