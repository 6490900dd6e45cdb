package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

func tarNames(t *testing.T, b []byte) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading tar: %v", err)
		}
		names = append(names, strings.TrimSuffix(h.Name, "/"))
	}
	sort.Strings(names)
	return names
}

func writeTree(t *testing.T, dir string) {
	t.Helper()
	for p, c := range map[string]string{"f": "hi\n", "d/sub/y": "x\n", "d/top": "t\n"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCpMatrix: host→container, container→host, container→container,
// trailing "/" and "/." as Podman, on created, running and stopped
// containers, - on stdin/stdout.
func TestCpMatrix(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	host := t.TempDir()
	writeTree(t, host)
	c.Must(t, "create", "--name", "created", "bb", "sleep", "1000")
	c.Must(t, "run", "-d", "--name", "running", "bb", "sleep", "1000")
	c.Must(t, "run", "--name", "stopped", "bb", "true")
	for _, ctr := range []string{"created", "running", "stopped"} {
		t.Run(ctr, func(t *testing.T) {
			get := func(p string) []string {
				r := c.Run("cp", ctr+":"+p, "-")
				if r.ExitCode != 0 {
					t.Fatalf("cp %s:%s -: %s", ctr, p, r)
				}
				return tarNames(t, []byte(r.Stdout))
			}
			c.Must(t, "cp", filepath.Join(host, "f"), ctr+":/newname")
			if got := get("/newname"); strings.Join(got, ",") != "newname" {
				t.Fatalf("file to new name: %v", got)
			}
			c.Must(t, "cp", filepath.Join(host, "f"), ctr+":/etc/")
			if got := get("/etc/f"); strings.Join(got, ",") != "f" {
				t.Fatalf("file into dir: %v", got)
			}
			c.Must(t, "cp", filepath.Join(host, "d"), ctr+":/newdir")
			if got := get("/newdir"); strings.Join(got, ",") != "newdir,newdir/sub,newdir/sub/y,newdir/top" {
				t.Fatalf("dir to new name: %v", got)
			}
			c.Must(t, "cp", filepath.Join(host, "d"), ctr+":/newdir")
			if got := get("/newdir"); !strings.Contains(strings.Join(got, ","), "newdir/d/sub/y") {
				t.Fatalf("dir into existing dir: %v", got)
			}
			c.Must(t, "cp", filepath.Join(host, "d")+"/.", ctr+":/content")
			if got := get("/content"); strings.Join(got, ",") != "content,content/sub,content/sub/y,content/top" {
				t.Fatalf("dir/. into new dir: %v", got)
			}
			runExpect(t, c, 125, `"/nonexist/x" could not be found on container `+ctr+`: no such file or directory`, "cp", filepath.Join(host, "f"), ctr+":/nonexist/x")
			runExpect(t, c, 125, `"/nodir/" could not be found on container`, "cp", filepath.Join(host, "f"), ctr+":/nodir/")
			runExpect(t, c, 125, "destination must be a directory when copying a directory", "cp", filepath.Join(host, "d"), ctr+":/etc/passwd")
			runExpect(t, c, 125, `"/nonexist" could not be found on container`, "cp", ctr+":/nonexist", host)

			out := t.TempDir()
			c.Must(t, "cp", ctr+":/etc/passwd", out)
			c.Must(t, "cp", ctr+":/etc/passwd", filepath.Join(out, "renamed"))
			c.Must(t, "cp", ctr+":/newdir", out)
			c.Must(t, "cp", ctr+":/content/.", filepath.Join(out, "flat"))
			for _, p := range []string{"passwd", "renamed", "newdir/sub/y", "flat/sub/y", "flat/top"} {
				if _, err := os.Stat(filepath.Join(out, p)); err != nil {
					t.Errorf("container→host: %v", err)
				}
			}
			runExpect(t, c, 125, "could not be found on the host", "cp", ctr+":/etc/passwd", filepath.Join(out, "nodir", "x"))
			runExpect(t, c, 125, "destination must be a directory when copying a directory", "cp", ctr+":/etc", filepath.Join(out, "passwd"))

			// tar on stdin.
			tb := tarOf(t, []*tar.Header{{Name: "fromstdin", Typeflag: tar.TypeReg}}, map[string]string{"fromstdin": "s"})
			if r := c.RunStdin(bytes.NewReader(tb), "cp", "-", ctr+":/tmp"); r.ExitCode != 0 {
				t.Fatalf("cp -: %s", r)
			}
			if got := get("/tmp/fromstdin"); len(got) != 1 {
				t.Fatalf("cp - result: %v", got)
			}
			if r := c.RunStdin(bytes.NewReader(tb), "cp", "-", ctr+":/etc/passwd"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "destination must be a directory when copying from stdin") {
				t.Fatalf("cp - to a file: %s", r)
			}
		})
	}
	// The running container sees what was copied while it ran.
	if got := c.Must(t, "exec", "running", "cat", "/newname"); got != "hi" {
		t.Fatalf("exec after cp: %q", got)
	}
	// container → container.
	c.Must(t, "cp", "running:/newdir", "stopped:/fromrunning")
	r := c.Run("cp", "stopped:/fromrunning/sub/y", "-")
	if r.ExitCode != 0 || len(tarNames(t, []byte(r.Stdout))) != 1 {
		t.Fatalf("container→container: %s", r)
	}
	runExpect(t, c, 125, "name or ID cannot be empty", "cp", filepath.Join(host, "f"), filepath.Join(host, "g"))
	runExpect(t, c, 125, "no container with name or ID", "cp", filepath.Join(host, "f"), "nosuch:/tmp")

	// -a (default) chowns to the container user; --archive=false keeps ids.
	if err := os.Chown(filepath.Join(host, "f"), 4321, 4321); err != nil {
		t.Fatal(err)
	}
	c.Must(t, "cp", filepath.Join(host, "f"), "running:/owned-default")
	c.Must(t, "cp", "--archive=false", filepath.Join(host, "f"), "running:/owned-kept")
	if got := c.Must(t, "exec", "running", "stat", "-c", "%u", "/owned-default", "/owned-kept"); got != "0\n4321" {
		t.Fatalf("ownership: %q", got)
	}
}

// TestCpSymlinks: symlinks in the container resolve inside it (security.md
// B2, B3, A8).
func TestCpSymlinks(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	probeDir := t.TempDir()
	probeFile := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(probeFile, []byte("HOST SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := strings.Join([]string{
		"ln -s /tmp /test",
		"ln -s " + probeFile + " /tmp/badlink",
		"ln -s ../../../../../../ /up",
		"ln -s " + probeDir + " /tmp/d",
		"ln -s " + probeFile + " /file1",
		"ln -s 'file*' /copyme",
		"ln -s " + probeFile + " '/tmp/*'",
		"sleep 1000",
	}, "; ")
	c.Must(t, "run", "-d", "--name", "sl", "bb", "sh", "-c", script)
	cpWaitFor(t, func() bool { return c.Run("exec", "sl", "test", "-L", "/tmp/*").ExitCode == 0 })
	check := func() {
		t.Helper()
		if ents, _ := os.ReadDir(probeDir); len(ents) != 0 {
			t.Fatalf("cp wrote into the host dir %s: %v", probeDir, ents)
		}
		if b, _ := os.ReadFile(probeFile); string(b) != "HOST SECRET" {
			t.Fatalf("host probe changed: %q", b)
		}
		if fi, _ := os.Stat(probeFile); fi.Mode().Perm() != 0o600 {
			t.Fatalf("host probe mode changed: %v", fi.Mode())
		}
	}
	src := filepath.Join(t.TempDir(), "payload")
	if err := os.WriteFile(src, []byte("payload"), 0o777); err != nil {
		t.Fatal(err)
	}
	for _, state := range []string{"running", "stopped"} {
		if state == "stopped" {
			c.Must(t, "stop", "-t", "0", "sl")
		}
		out := t.TempDir()
		// Writes through /test land in the container's /tmp.
		c.Must(t, "cp", src, "sl:/test")
		r := c.Run("cp", "sl:/tmp/payload", "-")
		if r.ExitCode != 0 {
			t.Fatalf("%s: payload not in the container's /tmp: %s", state, r)
		}
		// Reads through links to host paths fail (Podman: 125 "could not be found").
		for _, p := range []string{"/tmp/badlink", "/up" + probeFile, "/file1", "/copyme", "/tmp/*", "/tmp/d/x"} {
			r := c.Run("cp", "sl:"+p, out)
			if r.ExitCode != 125 {
				t.Errorf("%s: cp sl:%s: %s", state, p, r)
			}
		}
		if ents, _ := os.ReadDir(out); len(ents) != 0 {
			t.Fatalf("%s: host content copied out: %v", state, ents)
		}
		// Writes through links to host dirs stay in the container (A8: no
		// parent created on the host either).
		c.Run("cp", src, "sl:/tmp/d/")
		c.Run("cp", src, "sl:/up"+probeDir+"/")
		c.Run("cp", src, "sl:/tmp/d/a/b/f")
		tb := tarOf(t, []*tar.Header{{Name: "d/a/b/f", Typeflag: tar.TypeReg}, {Name: "badlink", Typeflag: tar.TypeReg, Mode: 0o777}},
			map[string]string{"d/a/b/f": "x", "badlink": "overwritten"})
		c.RunStdin(bytes.NewReader(tb), "cp", "-", "sl:/tmp")
		check()
	}
}

// TestCpStdinHostile: a tar on stdin with ../, absolute names, links out
// and a compressed body with a trojan xz in the image (A3) stays confined.
func TestCpStdinHostile(t *testing.T) {
	probe := filepath.Join(t.TempDir(), "xz-probe")
	c := newRunCLI(t, testenv.ImageSpec{Layers: 2, Files: map[string]string{
		"/usr/local/bin/xz":     "#!/bin/sh\ntouch " + probe + " /xz-ran\nexit 1\n",
		"/usr/local/bin/unpigz": "#!/bin/sh\ntouch " + probe + " /xz-ran\nexit 1\n",
		"/usr/local/bin/gzip":   "#!/bin/sh\ntouch " + probe + " /xz-ran\nexit 1\n",
	}})
	c.Must(t, "create", "--name", "h", "bb", "true")
	victimDir := t.TempDir()
	victimFile := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victimFile, []byte("victim"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.RunStdin(bytes.NewReader(hostileTar(t, victimDir, victimFile)), "cp", "-", "h:/tmp")
	checkVictim(t, victimDir, victimFile, "victim")
	r := c.Run("cp", "h:/tmp"+victimDir+"/absolute", "-")
	if r.ExitCode != 0 {
		t.Fatalf("absolute entry not extracted inside the container: %s", r)
	}

	// xz-compressed stream: decompressed in-process.
	if testenv.LookPath("xz") == "" {
		t.Skip("xz not installed")
	}
	plain := tarOf(t, []*tar.Header{{Name: "compressed", Typeflag: tar.TypeReg}}, map[string]string{"compressed": "ok"})
	cmd := exec.Command("xz", "-c")
	cmd.Stdin = bytes.NewReader(plain)
	xzed, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if r := c.RunStdin(bytes.NewReader(xzed), "cp", "-", "h:/tmp"); r.ExitCode != 0 {
		t.Fatalf("cp - of an xz tar: %s", r)
	}
	if r := c.Run("cp", "h:/tmp/compressed", "-"); r.ExitCode != 0 {
		t.Fatalf("xz content missing: %s", r)
	}
	if _, err := os.Stat(probe); err == nil {
		t.Fatal("a decompressor from the container ran")
	}
	if r := c.Run("cp", "h:/xz-ran", "-"); r.ExitCode == 0 {
		t.Fatal("a decompressor from the container ran inside it")
	}
}

// TestCpSymlinkRace: the container swaps /x between a directory and a
// symlink to / while the host copies through it 100 times (B1,
// CVE-2018-15664): no host byte ever comes out, nothing lands on the host.
func TestCpSymlinkRace(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	canaryDir := t.TempDir()
	canary := filepath.Join(canaryDir, "canary")
	if err := os.WriteFile(canary, []byte("HOST CANARY"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeDir := t.TempDir()
	c.Must(t, "run", "-d", "--name", "race", "bb", "sh", "-c",
		"mkdir -p /x"+canaryDir+"; echo inside > /x"+canary+"; while :; do mv /x /x.d; ln -sfn / /x; rm /x; mv /x.d /x; done")
	src := filepath.Join(t.TempDir(), "payload")
	if err := os.WriteFile(src, []byte("payload"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for i := 0; i < 100; i++ {
		dst := filepath.Join(out, "o")
		_ = os.RemoveAll(dst)
		c.Run("cp", "race:/x"+canary, dst)
		if b, err := os.ReadFile(dst); err == nil && strings.Contains(string(b), "HOST CANARY") {
			t.Fatalf("iteration %d: host file read through the container's symlink", i)
		}
		c.Run("cp", src, "race:/x"+writeDir+"/")
		if ents, _ := os.ReadDir(writeDir); len(ents) != 0 {
			t.Fatalf("iteration %d: cp wrote into the host dir", i)
		}
	}
	if b, _ := os.ReadFile(canary); string(b) != "HOST CANARY" {
		t.Fatal("host canary modified")
	}
}

func cpWaitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("condition not met in 5 s")
}

// TestCpPodmanEdges: DST/ naming an existing file, and stdin that is not a
// tar, fail as in Podman 4.3.1 (exit 125, nothing changed); a gzip tar on
// stdin works.
func TestCpPodmanEdges(t *testing.T) {
	c := newRunCLI(t, testenv.ImageSpec{})
	id := c.Must(t, "create", "bb", "true")
	host := t.TempDir()
	writeTree(t, host)
	runExpect(t, c, 125, "copying to container: copier: put: /etc/passwd (/etc/passwd): exists but is not a directory",
		"cp", filepath.Join(host, "f"), id+":/etc/passwd/")
	r := c.Run("cp", id+":/etc/passwd", "-")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "root:") {
		t.Fatalf("/etc/passwd changed by a refused cp: %s", r)
	}
	runExpect(t, c, 125, `could not be found on the host: stat `+filepath.Join(host, "f")+`/: not a directory`,
		"cp", id+":/etc/passwd", filepath.Join(host, "f")+"/")
	// The container is named as the caller named it (here by ID).
	runExpect(t, c, 125, `"/nonexist/." could not be found on container `+id+`: no such file or directory`, "cp", id+":/nonexist/.", host)
	for name, in := range map[string][]byte{"empty": nil, "junk": []byte("garbage\n"), "zeros": make([]byte, 1024)} {
		if r := c.RunStdin(bytes.NewReader(in), "cp", "-", id+":/tmp"); r.ExitCode != 125 ||
			!strings.Contains(r.Stderr, "source must be a (compressed) tar archive when copying from stdin") {
			t.Fatalf("cp - of %s stdin: %s", name, r)
		}
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tarOf(t, []*tar.Header{{Name: "zipped", Typeflag: tar.TypeReg}}, map[string]string{"zipped": "z"}))
	zw.Close()
	if r := c.RunStdin(&gz, "cp", "-", id+":/tmp"); r.ExitCode != 0 {
		t.Fatalf("cp - of a gzip tar: %s", r)
	}
	if got := tarNames(t, []byte(c.Must(t, "cp", id+":/tmp/zipped", "-"))); len(got) != 1 {
		t.Fatalf("gzip content: %v", got)
	}
}
