package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
	"golang.org/x/sys/unix"
)

// TestMountOptions: the -v/--mount/--tmpfs options of issue #4 that change
// what the container sees, each against what Podman 4.3.1 shows on this
// host (same commands, runc): noexec, bind vs rbind, propagation, tmpfs
// size/mode, devpts, image rw=true, relabel/z/Z (accepted, SELinux off),
// --volumes-from :rw, volume rm --all.
func TestMountOptions(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{Files: map[string]string{"/marker": "img\n"}})
	run := func(args ...string) string {
		t.Helper()
		return c.Must(t, append([]string{"run", "--rm", "--network", "none"}, args...)...)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s.sh"), []byte("#!/bin/sh\necho ran\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", sub, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Unmount(sub, unix.MNT_DETACH) })
	if err := os.WriteFile(filepath.Join(sub, "insub"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	if got := run("-v", dir+":/d", "bb", "/d/s.sh"); got != "ran" {
		t.Fatalf("exec from a bind mount: %q", got)
	}
	runExpect(t, c, 126, "permission denied", "run", "--rm", "--network", "none", "-v", dir+":/d:noexec", "bb", "/d/s.sh")
	// rbind (default) brings submounts, bind does not.
	if got := run("-v", dir+":/d", "bb", "ls", "/d/sub"); got != "insub" {
		t.Fatalf("rbind submount: %q", got)
	}
	if got := run("-v", dir+":/d:bind", "bb", "ls", "/d/sub"); got != "" {
		t.Fatalf("bind (non-recursive) shows the submount: %q", got)
	}
	if got := run("--mount", "type=bind,src="+dir+",dst=/d,bind-nonrecursive", "bb", "ls", "/d/sub"); got != "" {
		t.Fatalf("bind-nonrecursive shows the submount: %q", got)
	}
	// Propagation: rshared makes the mount shared in the container; the
	// default (rprivate) does not.
	if got := run("-v", dir+":/d:rshared", "bb", "grep", " /d ", "/proc/self/mountinfo"); !strings.Contains(got, " shared:") {
		t.Fatalf("rshared: %q", got)
	}
	if got := run("--mount", "type=bind,src="+dir+",dst=/d,bind-propagation=rshared", "bb", "grep", " /d ", "/proc/self/mountinfo"); !strings.Contains(got, " shared:") {
		t.Fatalf("bind-propagation=rshared: %q", got)
	}
	if got := run("-v", dir+":/d", "bb", "grep", " /d ", "/proc/self/mountinfo"); strings.Contains(got, "shared:") {
		t.Fatalf("default propagation is not private: %q", got)
	}
	// tmpfs: --mount keys and --tmpfs options.
	if got := run("--mount", "type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=700", "bb", "sh", "-c", "grep ' /t ' /proc/mounts; stat -c %a /t"); !strings.Contains(got, "size=1024k") || !strings.HasSuffix(got, "\n700") {
		t.Fatalf("--mount tmpfs: %q", got)
	}
	if got := run("--tmpfs", "/t:size=2m,mode=0750,noexec", "bb", "sh", "-c", "grep ' /t ' /proc/mounts; stat -c %a /t"); !strings.Contains(got, "noexec") || !strings.Contains(got, "size=2048k") || !strings.HasSuffix(got, "\n750") {
		t.Fatalf("--tmpfs: %q", got)
	}
	if got := run("--mount", "type=devpts,dst=/dp", "bb", "grep", " /dp ", "/proc/mounts"); !strings.HasPrefix(got, "devpts /dp devpts") {
		t.Fatalf("devpts: %q", got)
	}
	// U: a tmpfs, a named volume (-v and --mount) owned by the container user.
	if got := run("--user", "1234:1235", "--mount", "type=tmpfs,dst=/t,U", "-v", "uv:/u:U", "--mount", "type=volume,src=uv2,dst=/u2,U=true",
		"bb", "stat", "-c", "%u:%g", "/t", "/u", "/u2"); got != "1234:1235\n1234:1235\n1234:1235" {
		t.Fatalf("U on tmpfs/volumes: %q", got)
	}
	// volume-opt: the options of a volume made on first use.
	if got := run("--mount", "type=volume,src=vo,dst=/x,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=1m", "bb", "sh", "-c", "grep ' /x ' /proc/mounts | cut -d' ' -f3"); got != "tmpfs" {
		t.Fatalf("volume-opt on first use: %q", got)
	}
	if got := c.Must(t, "volume", "inspect", "--format", "{{.Options.type}} {{.Options.device}}", "vo"); got != "tmpfs tmpfs" {
		t.Fatalf("volume-opt options: %q", got)
	}
	runExpect(t, c, 125, "invalid mount option foo for driver 'local'", "create", "--mount", "type=volume,src=vbad,dst=/x,volume-opt=foo=bar", "bb", "true")
	if r := c.Run("volume", "exists", "vbad"); r.ExitCode != 1 {
		t.Fatalf("a refused volume-opt created the volume: %s", r)
	}
	// Image mounts: read-only, or writable through a throwaway layer.
	if got := run("--mount", "type=image,src=bb,dst=/img,rw=true", "bb", "sh", "-c", "echo new > /img/marker && cat /img/marker"); got != "new" {
		t.Fatalf("image rw=true: %q", got)
	}
	if got := run("--mount", "type=image,src=bb,dst=/img", "bb", "cat", "/img/marker"); got != "img" {
		t.Fatalf("image mount after a rw=true run: %q", got)
	}
	// z/Z and relabel: accepted (SELinux is off); inspect shows the mode as Podman.
	if got := run("-v", dir+":/d:z", "-v", sub+":/s:Z", "--mount", "type=bind,src="+dir+",dst=/r,relabel=private", "bb", "ls", "/d/s.sh"); got != "/d/s.sh" {
		t.Fatalf("z/Z/relabel: %q", got)
	}
	id := c.Must(t, "create", "--mount", "type=bind,src="+dir+",dst=/d,relabel=shared", "bb", "true")
	var ms []struct{ Destination, Mode string }
	if err := json.Unmarshal([]byte(c.Must(t, "inspect", "--format", "{{json .Mounts}}", id)), &ms); err != nil || len(ms) != 1 || ms[0].Mode != "z" {
		t.Fatalf("inspect relabel=shared: %+v %v", ms, err)
	}
	c.Must(t, "rm", id)

	// A source starting with "." is a host path relative to the working
	// directory; O works on a named volume too (writes thrown away).
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := c.Command(ctx, "run", "--rm", "--network", "none", "-v", "./sub:/rel", "bb", "ls", "/rel")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "insub" {
		t.Fatalf("relative bind source: %q %v", out, err)
	}
	run("-v", "ov:/o", "bb", "sh", "-c", "echo keep > /o/f")
	if got := run("-v", "ov:/o:O", "bb", "sh", "-c", "echo lost > /o/f; echo new > /o/g; cat /o/f"); got != "lost" {
		t.Fatalf("O on a named volume: %q", got)
	}
	if got := run("-v", "ov:/o", "bb", "ls", "/o"); got != "f" {
		t.Fatalf("O on a named volume wrote through: %q", got)
	}
	if got := run("-v", "ov:/o", "bb", "cat", "/o/f"); got != "keep" {
		t.Fatalf("O on a named volume changed it: %q", got)
	}

	// Inspect shape as Podman: ro only as RW, propagation only as
	// Propagation, Driver always present, tmpfs not in .Mounts.
	id = c.Must(t, "create", "-v", dir+":/d:ro,rshared,noexec", "--tmpfs", "/tt", "bb", "true")
	want := `[{"Type":"bind","Source":"` + dir + `","Destination":"/d","Driver":"","Mode":"","Options":["noexec","rbind"],"RW":false,"Propagation":"rshared"}]`
	if got := c.Must(t, "inspect", "--format", "{{json .Mounts}}", id); got != want {
		t.Fatalf("inspect .Mounts:\n got %s\nwant %s", got, want)
	}
	c.Must(t, "rm", id)

	// --volumes-from :rw of a read-only mount makes it writable.
	c.Must(t, "create", "--name", "vsrc", "-v", "vf:/vf:ro", "bb", "true")
	run("--volumes-from", "vsrc:rw", "bb", "touch", "/vf/w")
	if r := c.Run("run", "--rm", "--network", "none", "--volumes-from", "vsrc", "bb", "touch", "/vf/x"); r.ExitCode == 0 {
		t.Fatalf("--volumes-from kept no ro: %s", r)
	}
	if r := c.Run("run", "--rm", "--network", "none", "--volumes-from", "vsrc:z,ro", "bb", "touch", "/vf/y"); r.ExitCode == 0 {
		t.Fatalf("--volumes-from :z,ro is writable: %s", r)
	}
	runExpect(t, c, 125, `invalid option "bogus" specified - volumes from another container can only use z,ro,rw options`, "create", "--volumes-from", "vsrc:bogus", "bb", "true")
	c.Must(t, "rm", "vsrc")
	// The same --tmpfs twice is one mount (Podman); different ones clash.
	run("--tmpfs", "/tt", "--tmpfs", "/tt", "bb", "true")
	runExpect(t, c, 125, "/tt: duplicate mount destination", "create", "--tmpfs", "/tt", "--tmpfs", "/tt:size=1m", "bb", "true")
	// volume rm --all.
	c.Must(t, "volume", "create", "extra")
	c.Must(t, "volume", "rm", "--all")
	if got := c.Must(t, "volume", "ls", "-q"); got != "" {
		t.Fatalf("volume rm --all left %q", got)
	}
}

// TestVolumeCopyUpOwnership: a new named volume is populated from the
// image with owners and modes kept, its root taking the mount point's
// (the test image's /home/tester is 1000's, /tmp 1777, /root 0700).
func TestVolumeCopyUpOwnership(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	got := c.Must(t, "run", "--rm", "--network", "none", "-v", "h:/home", "-v", "tv:/tmp", "-v", "r:/root", "-v", "var:/var", "bb",
		"stat", "-c", "%n %u %a", "/home/tester", "/tmp", "/root", "/var/tmp")
	if got != "/home/tester 1000 755\n/tmp 0 1777\n/root 0 700\n/var/tmp 0 1777" {
		t.Fatalf("copy-up ownership/modes in the container: %q", got)
	}
	mp := c.Must(t, "volume", "inspect", "--format", "{{.Mountpoint}}", "h")
	if o := owner(t, filepath.Join(mp, "tester")); o != "1000:1000" {
		t.Fatalf("copied-up dir on the host: %s", o)
	}
}
