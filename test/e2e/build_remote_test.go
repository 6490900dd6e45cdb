package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// ctxTarOf builds an uncompressed tar of entries, in order.
type ctxEntry struct {
	name, body, link string
	typ              byte
}

func ctxTarOf(t *testing.T, entries ...ctxEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: e.typ, Linkname: e.link}
		switch e.typ {
		case 0, tar.TypeReg:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.body))
		case tar.TypeDir:
			h.Mode = 0o755
		case tar.TypeSymlink:
			h.Mode = 0o777
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipOf(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	gz.Write(data)
	gz.Close()
	return buf.Bytes()
}

// oneLineError fails unless the command exited 125 with a one-line
// error naming want.
func oneLineError(t *testing.T, c *testenv.CLI, want string, args ...string) {
	t.Helper()
	r := c.Run(args...)
	if r.ExitCode != 125 || !strings.Contains(r.Stderr, want) {
		t.Errorf("selkie %s: want exit 125 and %q, got %s", strings.Join(args, " "), want, r)
		return
	}
	if n := len(lines(r.Stderr)); n != 1 {
		t.Errorf("selkie %s: the error spans %d lines:\n%s", strings.Join(args, " "), n, r.Stderr)
	}
}

// TestBuildCopyExclude: COPY/ADD --exclude (Dockerfile 1.7): patterns
// relative to the copied directory, a glob's own matches, directories
// with what is below them, an archive ADD leaves out; changing an
// excluded file keeps the cache.
func TestBuildCopyExclude(t *testing.T) {
	c := buildCLI(t)
	ctx := buildContext(t, map[string]string{
		"dir/src/a.go": "a\n", "dir/src/b.c": "b\n", "dir/tmp/x.txt": "x\n", "dir/keep.txt": "k\n",
		"dir/node_modules/m/i.js": "m\n",
		"home.txt":                "h\n", "home.md": "h2\n",
		"Containerfile": "FROM localhost/busybox\n" +
			"COPY --exclude=src/*.go --exclude=tmp/*.txt --exclude=node_modules dir /sub/\n" +
			"COPY --exclude=*.txt hom* /mydir/\n" +
			"ADD --exclude=*.tgz --exclude=dir/keep.txt dir/keep.txt a.tgz dir/src/b.c /added/\n" +
			"RUN find /sub /mydir /added -type f | sort\n",
	})
	if err := os.WriteFile(filepath.Join(ctx, "a.tgz"), tgzWith(t, "inner.txt", "inside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := c.Run("build", "-t", "excl", ctx)
	if r.ExitCode != 0 {
		t.Fatal(r)
	}
	out := c.Must(t, "run", "--rm", "excl", "find", "/sub", "/mydir", "/added", "-type", "f")
	got := strings.Fields(out)
	want := map[string]bool{"/sub/src/b.c": true, "/sub/keep.txt": true, "/mydir/home.md": true, "/added/b.c": true}
	for _, f := range got {
		if !want[f] {
			t.Errorf("excluded file %s is in the image (files: %v)", f, got)
		}
		delete(want, f)
	}
	for f := range want {
		t.Errorf("file %s is missing from the image (files: %v)", f, got)
	}
	// An excluded file does not take part in the cache key.
	if err := os.WriteFile(filepath.Join(ctx, "dir/src/a.go"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = c.Run("build", "-t", "excl", ctx)
	if r.ExitCode != 0 || strings.Count(r.Stdout, "--> Using cache") != 4 {
		t.Errorf("rebuild after changing an excluded file did not use the cache for every step:\n%s", r)
	}
	// An included file still invalidates.
	if err := os.WriteFile(filepath.Join(ctx, "dir/src/b.c"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = c.Run("build", "-t", "excl", ctx)
	if r.ExitCode != 0 || strings.Count(r.Stdout, "--> Using cache") != 0 {
		t.Errorf("rebuild after changing a copied file used the cache:\n%s", r)
	}
	// Hostile: an exclude pattern cannot widen what COPY reads.
	ctx2 := buildContext(t, map[string]string{"f": "f\n", "Containerfile": "FROM localhost/busybox\nCOPY --exclude=f ../ /x/\n"})
	mustFail(t, c, 125, "escaping context", "build", ctx2)
	noContainersLeft(t, c)
}

// agentListSrc is a static helper run inside a RUN: it asks the agent at
// $SSH_AUTH_SOCK for its identities (SSH_AGENTC_REQUEST_IDENTITIES) and
// prints their count and comments. Busybox has no unix-socket client.
const agentListSrc = `package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	c, err := net.Dial("unix", os.Getenv("SSH_AUTH_SOCK"))
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(2)
	}
	c.Write([]byte{0, 0, 0, 1, 11})
	var n uint32
	if err := binary.Read(c, binary.BigEndian, &n); err != nil || n > 1<<20 {
		fmt.Println("read:", err)
		os.Exit(3)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(c, msg); err != nil || msg[0] != 12 {
		fmt.Println("bad answer")
		os.Exit(4)
	}
	count := binary.BigEndian.Uint32(msg[1:5])
	fmt.Printf("agent-keys=%d\n", count)
	p := msg[5:]
	str := func() []byte {
		l := binary.BigEndian.Uint32(p)
		s := p[4 : 4+l]
		p = p[4+l:]
		return s
	}
	for i := uint32(0); i < count; i++ {
		str()
		fmt.Printf("agent-comment=%s\n", str())
	}
}
`

// agentListBinary compiles agentListSrc statically (skips without go).
func agentListBinary(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go toolchain not found: cannot build the agent client for the RUN")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(agentListSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module agentlist\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goBin, "build", "-o", "agentlist", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOTOOLCHAIN=local", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the agent client: %v\n%s", err, out)
	}
	return filepath.Join(dir, "agentlist")
}

// startSSHAgent runs a real ssh-agent (in the foreground, ended at
// cleanup) holding one new key with the given comment; it returns the
// agent's socket and the key file.
func startSSHAgent(t *testing.T, comment string) (sock, key string) {
	t.Helper()
	testenv.RequiresBinary(t, "ssh-agent", "ssh-add", "ssh-keygen")
	dir, err := os.MkdirTemp("", "e2e-agent-") // short: a socket path is limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock, key = filepath.Join(dir, "agent.sock"), filepath.Join(dir, "id")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		add := exec.Command("ssh-add", key)
		add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		out, err := add.CombinedOutput()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssh-add: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return sock, key
}

// TestBuildSSH: RUN --mount=type=ssh forwards the agent given by --ssh
// (default = $SSH_AUTH_SOCK, or id=socket) or serves key files; the RUN
// sees the socket at /run/buildkit/ssh_agent.N with SSH_AUTH_SOCK set,
// nothing of it lands in the image, a missing required id is an error.
func TestBuildSSH(t *testing.T) {
	c := buildCLI(t)
	sock, key := startSSHAgent(t, "selkie-e2e-key")
	helper := agentListBinary(t)
	ctx := buildContext(t, map[string]string{
		"Containerfile": "FROM localhost/busybox\n" +
			"RUN --mount=type=ssh echo \"sock=$SSH_AUTH_SOCK\" && test -S /run/buildkit/ssh_agent.0 && stat -c 'mode=%a' $SSH_AUTH_SOCK && /h/agentlist\n" +
			"RUN --mount=type=ssh,id=other,target=/tmp/o.sock,mode=0666 --mount=type=ssh,id=keys SSH_AUTH_SOCK=/tmp/o.sock /h/agentlist && SSH_AUTH_SOCK=/run/buildkit/ssh_agent.1 /h/agentlist | sed s/agent-/file-/\n" +
			"RUN --mount=type=ssh,id=absent test ! -e /run/buildkit/ssh_agent.0 && echo optional-skipped\n",
	})
	vol := filepath.Dir(helper) + ":/h:ro"
	c.Env = append(c.Env, "SSH_AUTH_SOCK="+sock)
	r := c.Run("build", "--no-cache", "-v", vol, "--ssh", "default", "--ssh", "other="+sock, "--ssh", "keys="+key, "-t", "withssh", ctx)
	c.Env = c.Env[:len(c.Env)-1]
	if r.ExitCode != 0 {
		t.Fatal(r)
	}
	for _, want := range []string{"sock=/run/buildkit/ssh_agent.0", "mode=600", "agent-keys=1", "agent-comment=selkie-e2e-key", "file-keys=1", "optional-skipped"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("build output lacks %q:\n%s", want, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, sock) {
		t.Errorf("the host socket path reached the RUN:\n%s", r.Stdout)
	}
	if out := c.Must(t, "run", "--rm", "withssh", "sh", "-c", "ls -a /run/buildkit /tmp/o.sock 2>&1; echo $SSH_AUTH_SOCK"); strings.Contains(out, "ssh_agent") || strings.Contains(out, "o.sock\n") {
		t.Errorf("ssh mount points landed in the image: %q", out)
	}
	if hist := c.Must(t, "history", "--no-trunc", "withssh"); strings.Contains(hist, sock) || strings.Contains(hist, key) {
		t.Errorf("host paths in history:\n%s", hist)
	}
	req := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nRUN --mount=type=ssh,id=nope,required=true true\n"})
	mustFail(t, c, 125, `ssh required but no ssh with id "nope" found`, "build", req)
	mustFail(t, c, 125, "--ssh bad", "build", "--ssh", "bad=/does/not/exist", req)
	noContainersLeft(t, c)
}

// TestBuildNetworkDefault: as Podman 4.3, a RUN gets a private network
// namespace on the default network (lo + eth0); --network none leaves
// only lo, --network host the host's interfaces, RUN --network overrides.
func TestBuildNetworkDefault(t *testing.T) {
	c := buildCLI(t)
	if _, err := os.Stat("/usr/lib/podman/netavark"); err != nil {
		t.Skip("netavark not installed")
	}
	ctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nRUN echo \"ifaces=$(grep : /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ,)\"\nRUN --network=none echo \"runnone=$(grep -c : /proc/net/dev)\"\n"})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "ifaces=eth0,lo,"},
		{[]string{"--network", "private"}, "ifaces=eth0,lo,"},
		{[]string{"--network", "none"}, "ifaces=lo,"},
	} {
		r := c.Run(append(append([]string{"build", "--no-cache"}, tc.args...), ctx)...)
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, tc.want+"\n") || !strings.Contains(r.Stdout, "runnone=1\n") {
			t.Errorf("build %v: want %q and runnone=1:\n%s", tc.args, tc.want, r)
		}
	}
	// --network host: the RUN is in this process's network namespace.
	hostNS, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	hctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nRUN echo \"ns=$(readlink /proc/self/ns/net)\"\n"})
	r := c.Run("build", "--no-cache", "--network", "host", hctx)
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "ns="+hostNS+"\n") {
		t.Errorf("--network host: want ns=%s:\n%s", hostNS, r)
	}
	r = c.Run("build", "--no-cache", hctx)
	if r.ExitCode != 0 || strings.Contains(r.Stdout, "ns="+hostNS+"\n") {
		t.Errorf("the default RUN network is the host's:\n%s", r)
	}
	noContainersLeft(t, c)
}

// serveGitDumb makes a bare copy of a new repository holding files (one
// commit on branch main) and serves it over git's dumb HTTP protocol.
func gitRepo(t *testing.T, files map[string]string) (bare string) {
	t.Helper()
	testenv.RequiresBinary(t, "git")
	plain := map[string]string{}
	for p, data := range files {
		if !strings.HasPrefix(data, "symlink:") {
			plain[p] = data
		}
	}
	work := buildContext(t, plain)
	for p, data := range files {
		if target, ok := strings.CutPrefix(data, "symlink:"); ok {
			if err := os.Symlink(target, filepath.Join(work, p)); err != nil {
				t.Fatal(err)
			}
		}
	}
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@example.invalid",
			"GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@example.invalid", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git(work, "init", "-q", "-b", "main")
	git(work, "add", "-A")
	git(work, "commit", "-q", "-m", "ctx")
	bare = filepath.Join(t.TempDir(), "repo.git")
	git(work, "clone", "-q", "--bare", work, bare)
	git(bare, "update-server-info")
	return bare
}

// serveGitDaemon answers git:// on a loopback listener, one git daemon
// --inetd per connection (no port to guess); it returns host:port.
func serveGitDaemon(t *testing.T, base string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); l.Close(); <-done })
	go func() {
		defer close(done)
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				cmd := exec.CommandContext(ctx, "git", "daemon", "--inetd", "--export-all", "--base-path="+base, base)
				cmd.Stdin, cmd.Stdout = conn, conn
				cmd.Run()
			}()
		}
	}()
	return l.Addr().String()
}

// TestBuildRemoteContext: contexts from a tarball URL (plain and gzip), a
// URL serving a Containerfile alone, -f URL, git over dumb HTTP and
// git:// with #ref:subdir; hostile tarballs stay in their temp dir;
// oversized, invalid and missing downloads give a one-line error, exit 125.
func TestBuildRemoteContext(t *testing.T) {
	c := buildCLI(t)
	probeDir := t.TempDir()
	cf := "FROM localhost/busybox\nCOPY hello /hello\nCMD [\"cat\", \"/hello\"]\n"
	ctxTar := ctxTarOf(t, ctxEntry{name: "Containerfile", body: cf}, ctxEntry{name: "hello", body: "from a tarball\n"})
	hostile := ctxTarOf(t,
		ctxEntry{name: "Containerfile", body: "FROM localhost/busybox\nCOPY . /ctx/\n"},
		ctxEntry{name: "../../../escape-b8", body: "escaped"},
		ctxEntry{name: "abs", typ: tar.TypeSymlink, link: probeDir},
		ctxEntry{name: "abs/planted", body: "planted"},
		ctxEntry{name: "rel", typ: tar.TypeSymlink, link: "../../../../../../../../" + probeDir},
		ctxEntry{name: "rel/planted2", body: "planted"},
	)
	probe := filepath.Join(probeDir, "..", filepath.Base(probeDir)+"-probe")
	if err := os.WriteFile(probe, []byte("original"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(probe) })
	// CVE-2020-10696 class: the Dockerfile is a symlink to a host file, junk follows the tar.
	symlinked := append(ctxTarOf(t, ctxEntry{name: "Dockerfile", typ: tar.TypeSymlink, link: probe}), bytes.Repeat([]byte{0x5a}, 2048)...)
	withSub := ctxTarOf(t, ctxEntry{name: "sub/Containerfile", body: "FROM localhost/busybox\nLABEL from=sub-of-url\n"})
	big := bytes.Repeat([]byte("# comment line\n"), (17<<20)/15)
	mux := http.NewServeMux()
	mux.HandleFunc("/ctx.tar", func(w http.ResponseWriter, r *http.Request) { w.Write(ctxTar) })
	mux.HandleFunc("/ctx.tar.gz", func(w http.ResponseWriter, r *http.Request) { w.Write(gzipOf(t, ctxTar)) })
	mux.HandleFunc("/Containerfile", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "FROM localhost/busybox\nLABEL from=url\n")
	})
	mux.HandleFunc("/symlinked.tar", func(w http.ResponseWriter, r *http.Request) { w.Write(symlinked) })
	mux.HandleFunc("/with-sub.tar", func(w http.ResponseWriter, r *http.Request) { w.Write(withSub) })
	mux.HandleFunc("/hostile.tar", func(w http.ResponseWriter, r *http.Request) { w.Write(hostile) })
	mux.HandleFunc("/huge.tar", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.FormatInt(5<<30, 10))
		w.Write(ctxTar) // then the connection ends: the client must not wait for 5 GiB
	})
	mux.HandleFunc("/big-Containerfile", func(w http.ResponseWriter, r *http.Request) { w.Write(big) })
	mux.HandleFunc("/broken.tar.gz", func(w http.ResponseWriter, r *http.Request) { w.Write(gzipOf(t, ctxTar)[:200]) })
	mux.HandleFunc("/to-file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/hostname", http.StatusFound)
	})
	bare := gitRepo(t, map[string]string{
		"Containerfile": "FROM localhost/busybox\nCOPY top /top\n", "top": "top\n",
		"sub/Containerfile": "FROM localhost/busybox\nCOPY f /from-git-sub\n", "sub/f": "git subdir\n",
		"toroot": "symlink:/", "tohost": "symlink:" + probeDir,
	})
	mux.Handle("/git/", http.StripPrefix("/git/", http.FileServer(http.Dir(filepath.Dir(bare)))))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	t.Run("tarball", func(t *testing.T) {
		for _, u := range []string{srv.URL + "/ctx.tar", srv.URL + "/ctx.tar.gz"} {
			c.Must(t, "build", "-q", "-t", "fromurl", u)
			if out := c.Must(t, "run", "--rm", "fromurl"); out != "from a tarball" {
				t.Errorf("%s: %q", u, out)
			}
		}
	})
	t.Run("relative -f in a URL context", func(t *testing.T) {
		// -f names a file in the fetched context, never one in the working directory.
		cwd := buildContext(t, map[string]string{"sub/Containerfile": "FROM localhost/busybox\nLABEL from=cwd\n"})
		cmd := c.Command(context.Background(), "build", "-q", "-t", "subf", "-f", "sub/Containerfile", srv.URL+"/with-sub.tar")
		cmd.Dir = cwd
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
		if got := c.Must(t, "inspect", "--format", `{{index .Config.Labels "from"}}`, "subf"); got != "sub-of-url" {
			t.Errorf("-f took the %s file", got)
		}
	})
	t.Run("containerfile url", func(t *testing.T) {
		c.Must(t, "build", "-q", "-t", "cfurl", srv.URL+"/Containerfile")
		if got := c.Must(t, "inspect", "--format", `{{index .Config.Labels "from"}}`, "cfurl"); got != "url" {
			t.Errorf("label %q", got)
		}
		local := buildContext(t, map[string]string{"hello": "local\n"})
		c.Must(t, "build", "-q", "-t", "cfurl2", "-f", srv.URL+"/Containerfile", local)
		if got := c.Must(t, "inspect", "--format", `{{index .Config.Labels "from"}}`, "cfurl2"); got != "url" {
			t.Errorf("-f URL: label %q", got)
		}
	})
	t.Run("git dumb http", func(t *testing.T) {
		c.Must(t, "build", "-q", "-t", "gitctx", srv.URL+"/git/repo.git")
		if out := c.Must(t, "run", "--rm", "gitctx", "cat", "/top"); out != "top" {
			t.Errorf("git context: %q", out)
		}
		c.Must(t, "build", "-q", "-t", "gitsub", srv.URL+"/git/repo.git#main:sub")
		if out := c.Must(t, "run", "--rm", "gitsub", "cat", "/from-git-sub"); out != "git subdir" {
			t.Errorf("git context #main:sub: %q", out)
		}
		oneLineError(t, c, "escaping context", "build", srv.URL+"/git/repo.git#main:../../..")
		// A subdirectory that is a symlink out of the repository resolves
		// inside the clone (CVE-2026-44517 class): / is the clone's root.
		c.Must(t, "build", "-q", "-t", "gitlink", srv.URL+"/git/repo.git#main:toroot")
		if out := c.Must(t, "run", "--rm", "gitlink", "cat", "/top"); out != "top" {
			t.Errorf("#main:toroot built %q", out)
		}
		if r := c.Run("build", srv.URL+"/git/repo.git#main:tohost"); r.ExitCode != 125 {
			t.Errorf("#main:tohost (a symlink to a host dir) did not fail: %s", r)
		}
		oneLineError(t, c, "cloning", "build", srv.URL+"/git/repo.git#no-such-branch")
		oneLineError(t, c, "cloning", "build", srv.URL+"/git/nothere.git")
	})
	t.Run("git protocol", func(t *testing.T) {
		addr := serveGitDaemon(t, filepath.Dir(bare))
		c.Must(t, "build", "-q", "-t", "gitd", "git://"+addr+"/repo.git#main:sub")
		if out := c.Must(t, "run", "--rm", "gitd", "cat", "/from-git-sub"); out != "git subdir" {
			t.Errorf("git:// context: %q", out)
		}
	})
	t.Run("hostile", func(t *testing.T) {
		r := c.Run("build", "-t", "hostile", srv.URL+"/hostile.tar")
		if entries, _ := os.ReadDir(probeDir); len(entries) != 0 {
			t.Errorf("the context tarball wrote outside its directory: %v (%s)", entries, r)
		}
		found := ""
		filepath.Walk(filepath.Dir(c.Root), func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.Name() == "escape-b8" && !strings.Contains(p, "/overlay/") {
				found = p
			}
			return nil
		})
		if found != "" {
			t.Errorf("a ../ entry was written at %s", found)
		}
		r = c.Run("build", srv.URL+"/symlinked.tar")
		if data, _ := os.ReadFile(probe); r.ExitCode != 125 || string(data) != "original" {
			t.Errorf("symlinked Dockerfile in a URL context: probe %q, %s", data, r)
		}
		oneLineError(t, c, "more than the limit", "build", srv.URL+"/huge.tar")
		oneLineError(t, c, "more than the limit", "build", "-f", srv.URL+"/big-Containerfile", buildContext(t, nil))
		oneLineError(t, c, "invalid response status 404", "build", srv.URL+"/missing.tar")
		oneLineError(t, c, "build context", "build", srv.URL+"/broken.tar.gz")
		oneLineError(t, c, "fetching", "build", "http://127.0.0.1:1/ctx.tar")
	})
	t.Run("add url", func(t *testing.T) {
		// ADD of a URL stores the tarball as it is (no extraction, so
		// its ../ entries mean nothing); a redirect to file:// is refused.
		ctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nADD " + srv.URL + "/hostile.tar /dst/\n"})
		c.Must(t, "build", "-q", "-t", "addurl", ctx)
		if out := c.Must(t, "run", "--rm", "addurl", "sh", "-c", "ls /dst; ls / | grep -c escape-b8 || true"); out != "hostile.tar\n0" {
			t.Errorf("ADD URL tarball: %q", out)
		}
		host, _ := os.ReadFile("/etc/hostname")
		ctx2 := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nADD " + srv.URL + "/to-file /h\n"})
		r := c.Run("build", "-t", "addredir", ctx2)
		if r.ExitCode != 125 || (len(host) > 0 && strings.Contains(r.Stdout, strings.TrimSpace(string(host)))) {
			t.Errorf("ADD of a URL redirecting to file://: %s", r)
		}
		oneLineError(t, c, "unsupported protocol scheme", "build", srv.URL+"/to-file")
	})
	noContainersLeft(t, c)
	if t.Failed() {
		t.Logf("images -a:\n%s", c.Run("images", "-a").Stdout)
	}
}
