package local

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// The warm-up write is a no-op move: this process stays in the cgroups it
// was in, and the file written is one that lists it.
func TestWarmCgroupMigrationIsNoOp(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (writes cgroup.procs)")
	}
	p := ownCgroupProcs()
	if p == "" {
		t.Skip("no cgroup.procs of this process found")
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !containsPid(string(data), os.Getpid()) {
		t.Fatalf("%s does not list this process", p)
	}
	before, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	<-warmCgroupMigration()
	after, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Fatalf("cgroups changed:\n%s\n->\n%s", before, after)
	}
}

func containsPid(procs string, pid int) bool {
	for _, f := range strings.Fields(procs) {
		if f == strconv.Itoa(pid) {
			return true
		}
	}
	return false
}
