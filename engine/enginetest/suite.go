// Package enginetest is the conformance suite every engine.Engine must pass:
// it runs against local (in process) and against remote talking to an
// in-process api server around local, so a remote-only bug is a failing test.
// Methods that answer engine.ErrNotImplemented make their test skip.
package enginetest

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/engine"
)

// Harness tells Run how to reach the engine under test.
type Harness struct {
	// Engine is the engine under test, with private storage.
	Engine engine.Engine
	// Archive is an oci-archive holding a busybox image (Cmd ["sh"]).
	Archive string
	// PolicyPath is a policy.json accepting every image.
	PolicyPath string
}

// Run runs every conformance test against h.Engine.
func Run(t *testing.T, h Harness) {
	s := &suite{h: h, eng: h.Engine}
	t.Run("System", s.system)
	t.Run("Images", s.images)
	if s.image == "" {
		t.Fatal("no image loaded; container tests cannot run")
	}
	t.Run("Containers", s.containers)
	t.Run("Exec", s.exec)
	t.Run("Networks", s.networks)
	t.Run("Volumes", s.volumes)
	t.Run("Copy", s.copy)
	t.Run("Pods", s.pods)
}

func (s *suite) pods(t *testing.T) {
	c := ctx(t)
	name := fmt.Sprintf("etpod%d", time.Now().UnixNano()%1000000)
	id, err := s.eng.PodCreate(c, engine.PodCreateOptions{Name: name, NoInfra: true, Labels: map[string]string{"suite": "enginetest"}})
	must(t, "pod create", err)
	t.Cleanup(func() { _, _ = s.eng.PodRemove(context.Background(), id, engine.PodRemoveOptions{Force: true}) })
	_, err = s.eng.PodCreate(c, engine.PodCreateOptions{Name: name, NoInfra: true})
	mustFail(t, "pod create with a name in use", err, engine.ErrNameInUse)
	ok, err := s.eng.PodExists(c, name)
	must(t, "pod exists", err)
	if !ok {
		t.Fatal("pod does not exist")
	}
	pi, err := s.eng.PodInspect(c, name)
	must(t, "pod inspect", err)
	if pi.ID != id {
		t.Fatalf("pod inspect ID %s, want %s", pi.ID, id)
	}
	l, err := s.eng.PodList(c, engine.PodListOptions{})
	must(t, "pod ps", err)
	found := false
	for _, p := range l {
		found = found || p.ID == id
	}
	if !found {
		t.Fatalf("pod %s not listed: %+v", id, l)
	}
	_, err = s.eng.PodRemove(c, name, engine.PodRemoveOptions{})
	must(t, "pod rm", err)
	_, err = s.eng.PodInspect(c, name)
	mustFail(t, "inspect removed pod", err, engine.ErrNoSuchPod)
}

func (s *suite) volumes(t *testing.T) {
	c := ctx(t)
	name := fmt.Sprintf("etvol%d", time.Now().UnixNano()%1000000)
	v, err := s.eng.VolumeCreate(c, engine.VolumeCreateOptions{Name: name, Labels: map[string]string{"suite": "enginetest"}})
	must(t, "volume create", err)
	t.Cleanup(func() { _ = s.eng.VolumeRemove(context.Background(), name, engine.VolumeRemoveOptions{Force: true}) })
	if v.Name != name || v.Mountpoint == "" {
		t.Fatalf("created volume %+v", v)
	}
	_, err = s.eng.VolumeCreate(c, engine.VolumeCreateOptions{Name: name})
	if err == nil {
		t.Fatal("creating a volume twice succeeded")
	}
	l, err := s.eng.VolumeList(c, engine.VolumeListOptions{Filters: map[string][]string{"label": {"suite=enginetest"}}})
	must(t, "volume ls", err)
	if len(l) != 1 || l[0].Name != name {
		t.Fatalf("volume ls --filter label: %+v", l)
	}
	// a container writes into the volume; export carries the file
	id := s.create(t, c, engine.ContainerCreateOptions{Command: []string{"sh", "-c", "echo data > /v/f"},
		Mounts: []engine.Mount{{Type: "volume", Name: name, Source: name, Destination: "/v", RW: true}}})
	must(t, "start", s.eng.ContainerStart(c, id, engine.ContainerStartOptions{}))
	if code, err := s.eng.ContainerWait(c, id, engine.ContainerWaitOptions{}); err != nil || code != 0 {
		t.Fatalf("writer: %d %v", code, err)
	}
	err = s.eng.VolumeRemove(c, name, engine.VolumeRemoveOptions{})
	mustFail(t, "rm a volume in use", err, engine.ErrVolumeInUse)
	var tarball bytes.Buffer
	must(t, "volume export", s.eng.VolumeExport(c, name, &tarball))
	if !bytes.Contains(tarball.Bytes(), []byte("data\n")) {
		t.Fatalf("export of %d bytes misses the file", tarball.Len())
	}
	_, err = s.eng.ContainerRemove(c, id, engine.ContainerRemoveOptions{})
	must(t, "rm writer", err)
	must(t, "volume rm", s.eng.VolumeRemove(c, name, engine.VolumeRemoveOptions{}))
	_, err = s.eng.VolumeInspect(c, name)
	mustFail(t, "inspect removed volume", err, engine.ErrNoSuchVolume)
}

func (s *suite) copy(t *testing.T) {
	c := ctx(t)
	id := s.create(t, c, engine.ContainerCreateOptions{Command: []string{"true"}})
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	body := []byte("copied in\n")
	tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
	tw.Write(body)
	tw.Close()
	must(t, "archive put", s.eng.ContainerArchivePut(c, id, "/tmp", &tb, engine.ArchivePutOptions{}))
	st, err := s.eng.ContainerStat(c, id, "/tmp/hello.txt")
	must(t, "stat", err)
	if st.Size != int64(len(body)) {
		t.Fatalf("stat: %+v", st)
	}
	var out bytes.Buffer
	_, err = s.eng.ContainerArchiveGet(c, id, "/tmp/hello.txt", &out, engine.ArchiveGetOptions{})
	must(t, "archive get", err)
	tr := tar.NewReader(&out)
	h, err := tr.Next()
	if err != nil || h.Name != "hello.txt" {
		t.Fatalf("archive get: %v %+v", err, h)
	}
	got, _ := io.ReadAll(tr)
	if !bytes.Equal(got, body) {
		t.Fatalf("archive get content %q", got)
	}
	_, err = s.eng.ContainerStat(c, id, "/no/such/path")
	mustFail(t, "stat a missing path", err, engine.ErrNoSuchPath)
	// a path climbing out of the root stays inside it
	_, err = s.eng.ContainerStat(c, id, "/../../../../etc/hostname-selkie-probe")
	mustFail(t, "stat outside the root", err, engine.ErrNoSuchPath)
}

func (s *suite) networks(t *testing.T) {
	c := ctx(t)
	name := fmt.Sprintf("etnet%d", time.Now().UnixNano()%1000000)
	n, err := s.eng.NetworkCreate(c, engine.NetworkCreateOptions{Name: name, Labels: map[string]string{"suite": "enginetest"}})
	must(t, "network create", err)
	t.Cleanup(func() {
		_, _ = s.eng.NetworkRemove(context.Background(), name, engine.NetworkRemoveOptions{Force: true})
	})
	if n.Name != name || n.ID == "" || len(n.Subnets) == 0 {
		t.Fatalf("created network %+v", n)
	}
	_, err = s.eng.NetworkCreate(c, engine.NetworkCreateOptions{Name: name})
	mustFail(t, "create a network with a name in use", err, engine.ErrNameInUse)
	l, err := s.eng.NetworkList(c, engine.NetworkListOptions{Filters: map[string][]string{"label": {"suite=enginetest"}}})
	must(t, "network ls", err)
	if len(l) != 1 || l[0].ID != n.ID {
		t.Fatalf("network ls --filter label: %+v", l)
	}
	got, err := s.eng.NetworkInspect(c, n.ID[:12])
	must(t, "network inspect by ID prefix", err)
	if got.Name != name {
		t.Fatalf("inspect: %+v", got)
	}
	ok, err := s.eng.NetworkExists(c, name)
	must(t, "network exists", err)
	if !ok {
		t.Fatal("network does not exist")
	}
	rep, err := s.eng.NetworkRemove(c, name, engine.NetworkRemoveOptions{})
	must(t, "network rm", err)
	if rep.Name != name {
		t.Fatalf("rm report %+v", rep)
	}
	_, err = s.eng.NetworkInspect(c, name)
	mustFail(t, "inspect removed network", err, engine.ErrNoSuchNetwork)
	ok, err = s.eng.NetworkExists(c, name)
	must(t, "network exists (removed)", err)
	if ok {
		t.Fatal("removed network exists")
	}
}

type suite struct {
	h     Harness
	eng   engine.Engine
	image string // ID of the loaded busybox image
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// must fails the test on err, skipping it when the method is not written yet.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if errors.Is(err, engine.ErrNotImplemented) {
		t.Skipf("%s: %v", what, err)
	}
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// mustFail checks err wraps want (skipping on ErrNotImplemented).
func mustFail(t *testing.T, what string, err, want error) {
	t.Helper()
	if errors.Is(err, engine.ErrNotImplemented) {
		t.Skipf("%s: %v", what, err)
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want one wrapping %q", what, err, want)
	}
}

func (s *suite) system(t *testing.T) {
	info, err := s.eng.Info(ctx(t))
	must(t, "info", err)
	if info.Store.GraphRoot == "" || info.Host.Arch == "" || info.Host.OS == "" {
		t.Fatalf("info misses the store or the host: %+v", info)
	}
}

func (s *suite) images(t *testing.T) {
	c := ctx(t)
	var progress bytes.Buffer
	rep, err := s.eng.ImageLoad(c, nil, engine.ImageLoadOptions{Input: s.h.Archive, SignaturePolicy: s.h.PolicyPath}, &progress)
	must(t, "load", err)
	if len(rep.Names) == 0 {
		t.Fatalf("load reported no names (progress %q)", progress.String())
	}
	name := rep.Names[0]
	img, err := s.eng.ImageInspect(c, name)
	must(t, "inspect "+name, err)
	s.image = img.ID

	t.Run("ListInspectExists", func(t *testing.T) {
		l, err := s.eng.ImageList(c, engine.ImageListOptions{})
		must(t, "images", err)
		found := false
		for _, i := range l {
			found = found || i.ID == img.ID
		}
		if !found {
			t.Fatalf("image %s not listed in %+v", img.ID, l)
		}
		ok, err := s.eng.ImageExists(c, name)
		must(t, "image exists", err)
		if !ok {
			t.Fatalf("image exists %s: false", name)
		}
		ok, err = s.eng.ImageExists(c, "enginetest-no-such-image")
		must(t, "image exists (missing)", err)
		if ok {
			t.Fatal("a missing image exists")
		}
		_, err = s.eng.ImageInspect(c, "enginetest-no-such-image")
		mustFail(t, "inspect missing image", err, engine.ErrNoSuchImage)
		_, err = s.eng.ImageRemove(c, "enginetest-no-such-image", engine.ImageRemoveOptions{})
		mustFail(t, "rmi missing image", err, engine.ErrNoSuchImage)
	})
	t.Run("History", func(t *testing.T) {
		h, err := s.eng.ImageHistory(c, img.ID)
		must(t, "history", err)
		if len(h) == 0 {
			t.Fatal("empty history")
		}
	})
	t.Run("TagUntag", func(t *testing.T) {
		must(t, "tag", s.eng.ImageTag(c, img.ID, "localhost/enginetest:second"))
		i2, err := s.eng.ImageInspect(c, "localhost/enginetest:second")
		must(t, "inspect new tag", err)
		if i2.ID != img.ID {
			t.Fatalf("tag points at %s, want %s", i2.ID, img.ID)
		}
		must(t, "untag", s.eng.ImageUntag(c, img.ID, "localhost/enginetest:second"))
		_, err = s.eng.ImageInspect(c, "localhost/enginetest:second")
		mustFail(t, "inspect removed tag", err, engine.ErrNoSuchImage)
	})
	t.Run("SaveLoad", func(t *testing.T) {
		var buf bytes.Buffer
		must(t, "save", s.eng.ImageSave(c, []string{name}, engine.ImageSaveOptions{Format: engine.SaveFormatDockerArchive}, &buf))
		if buf.Len() < 512 {
			t.Fatalf("saved archive of %d bytes", buf.Len())
		}
		out := filepath.Join(t.TempDir(), "saved.tar")
		must(t, "save to file", s.eng.ImageSave(c, []string{name}, engine.ImageSaveOptions{Format: engine.SaveFormatOCIArchive, Output: out}, nil))
		if fi, err := os.Stat(out); err != nil || fi.Size() < 512 {
			t.Fatalf("save --output wrote %v %v", fi, err)
		}
		rep, err := s.eng.ImageLoad(c, &buf, engine.ImageLoadOptions{SignaturePolicy: s.h.PolicyPath}, nil)
		must(t, "load from stream", err)
		if len(rep.Names) == 0 {
			t.Fatal("load from stream reported no names")
		}
	})
}

// create makes a container from the suite's image with no network.
func (s *suite) create(t *testing.T, c context.Context, o engine.ContainerCreateOptions) string {
	t.Helper()
	o.Image = s.image
	if o.Network == "" {
		o.Network = "none"
	}
	rep, err := s.eng.ContainerCreate(c, o)
	must(t, "create", err)
	t.Cleanup(func() {
		_, _ = s.eng.ContainerRemove(context.Background(), rep.ID, engine.ContainerRemoveOptions{Force: true, Ignore: true})
	})
	return rep.ID
}

func (s *suite) containers(t *testing.T) {
	c := ctx(t)
	t.Run("CreateInspectListRemove", func(t *testing.T) {
		name := fmt.Sprintf("et-%d", time.Now().UnixNano())
		id := s.create(t, c, engine.ContainerCreateOptions{Name: name, Command: []string{"echo", "hi"}, Labels: map[string]string{"suite": "enginetest"}})
		ci, err := s.eng.ContainerInspect(c, name, engine.ContainerInspectOptions{})
		must(t, "inspect", err)
		if ci.ID != id || strings.TrimPrefix(ci.Name, "/") != name || ci.Config.Labels["suite"] != "enginetest" {
			t.Fatalf("inspect: id %s name %s labels %v", ci.ID, ci.Name, ci.Config.Labels)
		}
		l, err := s.eng.ContainerList(c, engine.ContainerListOptions{All: true, Filters: map[string][]string{"label": {"suite=enginetest"}}})
		must(t, "ps", err)
		if len(l) != 1 || l[0].ID != id {
			t.Fatalf("ps --filter label: %+v", l)
		}
		ok, err := s.eng.ContainerExists(c, name, engine.ContainerExistsOptions{})
		must(t, "exists", err)
		if !ok {
			t.Fatal("container does not exist")
		}
		_, err = s.eng.ContainerCreate(c, engine.ContainerCreateOptions{Name: name, Image: s.image, Network: "none"})
		mustFail(t, "create with a name in use", err, engine.ErrNameInUse)
		must(t, "rename", s.eng.ContainerRename(c, name, name+"-new"))
		_, err = s.eng.ContainerRemove(c, name+"-new", engine.ContainerRemoveOptions{})
		must(t, "rm", err)
		_, err = s.eng.ContainerInspect(c, id, engine.ContainerInspectOptions{})
		mustFail(t, "inspect removed", err, engine.ErrNoSuchContainer)
		ok, err = s.eng.ContainerExists(c, id, engine.ContainerExistsOptions{})
		must(t, "exists (removed)", err)
		if ok {
			t.Fatal("removed container exists")
		}
	})
	t.Run("StartWaitLogs", func(t *testing.T) {
		id := s.create(t, c, engine.ContainerCreateOptions{Command: []string{"sh", "-c", "echo out; echo err >&2; exit 3"}})
		must(t, "start", s.eng.ContainerStart(c, id, engine.ContainerStartOptions{}))
		code, err := s.eng.ContainerWait(c, id, engine.ContainerWaitOptions{})
		must(t, "wait", err)
		if code != 3 {
			t.Fatalf("wait: exit code %d, want 3", code)
		}
		var out, errb bytes.Buffer
		must(t, "logs", s.eng.ContainerLogs(c, id, engine.ContainerLogsOptions{Tail: -1, Stdout: &out, Stderr: &errb}))
		if out.String() != "out\n" || errb.String() != "err\n" {
			t.Fatalf("logs: stdout %q stderr %q", out.String(), errb.String())
		}
		ci, err := s.eng.ContainerInspect(c, id, engine.ContainerInspectOptions{})
		must(t, "inspect", err)
		if ci.State.Running || ci.State.ExitCode != 3 {
			t.Fatalf("state after exit: %+v", ci.State)
		}
	})
	t.Run("WaitCreatedNextExit", func(t *testing.T) {
		id := s.create(t, c, engine.ContainerCreateOptions{Command: []string{"sh", "-c", "sleep 0.2; exit 3"}})
		// As Podman: a container that never ran answers at once.
		wc, cancel := context.WithTimeout(c, 5*time.Second)
		code, err := s.eng.ContainerWait(wc, id, engine.ContainerWaitOptions{})
		cancel()
		must(t, "wait (created)", err)
		if code != 0 {
			t.Fatalf("wait on a created container: %d, want 0", code)
		}
		// NextExit (Docker's next-exit) waits until it has run and exited.
		type result struct {
			code int32
			err  error
		}
		ch := make(chan result, 1)
		go func() {
			code, err := s.eng.ContainerWait(c, id, engine.ContainerWaitOptions{NextExit: true, Interval: 5 * time.Millisecond})
			ch <- result{code, err}
		}()
		select {
		case r := <-ch:
			t.Fatalf("next-exit wait returned before start: %+v", r)
		case <-time.After(time.Second):
		}
		must(t, "start", s.eng.ContainerStart(c, id, engine.ContainerStartOptions{}))
		select {
		case r := <-ch:
			if r.err != nil || r.code != 3 {
				t.Fatalf("next-exit wait: %d %v, want 3", r.code, r.err)
			}
		case <-time.After(time.Minute):
			t.Fatal("next-exit wait did not return")
		}
	})
	t.Run("StartAttached", func(t *testing.T) {
		id := s.create(t, c, engine.ContainerCreateOptions{Command: []string{"sh", "-c", "read x; echo got:$x; echo bye >&2"}, Stdin: true})
		var out, errb bytes.Buffer
		st := &engine.Streams{Stdin: strings.NewReader("hello\n"), Stdout: &out, Stderr: &errb}
		must(t, "start --attach", s.eng.ContainerStart(c, id, engine.ContainerStartOptions{Attach: st}))
		if !strings.Contains(out.String(), "got:hello") || !strings.Contains(errb.String(), "bye") {
			t.Fatalf("attached output: stdout %q stderr %q", out.String(), errb.String())
		}
	})
	t.Run("StopKillRestart", func(t *testing.T) {
		id := s.create(t, c, engine.ContainerCreateOptions{Command: []string{"sleep", "1000"}})
		must(t, "start", s.eng.ContainerStart(c, id, engine.ContainerStartOptions{}))
		zero := uint(0)
		must(t, "restart", s.eng.ContainerRestart(c, id, engine.ContainerStopOptions{Timeout: &zero}))
		ci, err := s.eng.ContainerInspect(c, id, engine.ContainerInspectOptions{})
		must(t, "inspect", err)
		if !ci.State.Running {
			t.Fatalf("not running after restart: %+v", ci.State)
		}
		// sleep is PID 1 and ignores SIGTERM: KILL it
		must(t, "kill", s.eng.ContainerKill(c, id, engine.ContainerKillOptions{Signal: "KILL"}))
		code, err := s.eng.ContainerWait(c, id, engine.ContainerWaitOptions{})
		must(t, "wait after kill", err)
		if code != 137 {
			t.Fatalf("exit code after SIGKILL %d, want 137", code)
		}
		err = s.eng.ContainerStop(c, "enginetest-no-such-container", engine.ContainerStopOptions{})
		mustFail(t, "stop missing", err, engine.ErrNoSuchContainer)
	})
}

func (s *suite) exec(t *testing.T) {
	c := ctx(t)
	id := s.create(t, c, engine.ContainerCreateOptions{Command: []string{"sleep", "1000"}})
	must(t, "start", s.eng.ContainerStart(c, id, engine.ContainerStartOptions{}))
	t.Cleanup(func() {
		zero := uint(0)
		_ = s.eng.ContainerStop(context.Background(), id, engine.ContainerStopOptions{Timeout: &zero})
	})
	run := func(t *testing.T, cmd []string, stdin string) (int, string, string) {
		eid, err := s.eng.ExecCreate(c, id, engine.ExecCreateOptions{Command: cmd, AttachStdin: stdin != ""})
		must(t, "exec create", err)
		var out, errb bytes.Buffer
		st := engine.Streams{Stdout: &out, Stderr: &errb}
		if stdin != "" {
			st.Stdin = strings.NewReader(stdin)
		}
		code, err := s.eng.ExecStart(c, eid, engine.ExecStartOptions{Streams: st})
		must(t, "exec start", err)
		return code, out.String(), errb.String()
	}
	t.Run("Output", func(t *testing.T) {
		code, out, errs := run(t, []string{"sh", "-c", "echo x; echo y >&2"}, "")
		if code != 0 || out != "x\n" || errs != "y\n" {
			t.Fatalf("exec: %d %q %q", code, out, errs)
		}
	})
	t.Run("ExitCode", func(t *testing.T) {
		if code, _, _ := run(t, []string{"sh", "-c", "exit 7"}, ""); code != 7 {
			t.Fatalf("exit code %d, want 7", code)
		}
	})
	t.Run("Stdin", func(t *testing.T) {
		if _, out, _ := run(t, []string{"cat"}, "piped\n"); out != "piped\n" {
			t.Fatalf("cat: %q", out)
		}
	})
	t.Run("Missing", func(t *testing.T) {
		_, err := s.eng.ExecCreate(c, "enginetest-no-such-container", engine.ExecCreateOptions{Command: []string{"true"}})
		mustFail(t, "exec in a missing container", err, engine.ErrNoSuchContainer)
		_, err = s.eng.ExecInspect(c, "no-such-exec-session")
		mustFail(t, "inspect a missing exec session", err, engine.ErrNoSuchExec)
	})
}
