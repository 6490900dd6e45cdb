package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// buildCLI is a CLI with localhost/busybox seeded, for build tests.
func buildCLI(t *testing.T) *testenv.CLI {
	t.Helper()
	testenv.RequiresRoot(t)
	testenv.RequiresBinary(t, "runc", "conmon", "skopeo")
	c := testenv.NewCLI(t)
	c.SeedImage(t, "localhost/busybox:latest", testenv.ImageSpec{})
	return c
}

// buildContext writes files (path → content) into a fresh context dir.
func buildContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, data := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func noContainersLeft(t *testing.T, c *testenv.CLI) {
	t.Helper()
	if out := c.Must(t, "ps", "-a", "-q", "--external"); out != "" {
		t.Errorf("containers left after build: %q", out)
	}
}

func tgzWith(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o640, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte(content))
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// TestBuildCorpus builds a Containerfile using every metadata instruction,
// COPY/ADD variants, heredocs and RUN, then checks inspect, history and
// that the image runs.
func TestBuildCorpus(t *testing.T) {
	c := buildCLI(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("fetched body\n"))
	}))
	defer srv.Close()
	cf := `ARG BASE=localhost/busybox
FROM $BASE
ARG GREETING=hello
ENV APP_HOME=/app PATH=/usr/local/bin:/usr/bin:/bin:/sbin
LABEL org.test.a="one" org.test.b=two
WORKDIR $APP_HOME
COPY file.txt ./
COPY --chown=1000:1000 --chmod=0750 script.sh /usr/local/bin/script.sh
COPY dir/ /copied/
COPY *.glob /globbed/
ADD archive.tgz /extracted/
ADD ` + srv.URL + `/remote.txt /remote/
COPY <<EOF /heredoc.txt
from a heredoc
EOF
RUN echo "$GREETING from run" | tee /run.txt && id -u > /uid.txt
RUN <<EOF
echo heredoc-run > /heredoc-run.txt
EOF
EXPOSE 8080 9090/udp
VOLUME /data
USER 1000:1000
STOPSIGNAL SIGUSR1
HEALTHCHECK --interval=30s --timeout=3s CMD true
ONBUILD RUN echo onbuild
SHELL ["/bin/sh", "-c"]
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/file.txt /run.txt"]
`
	ctx := buildContext(t, map[string]string{
		"Containerfile": cf, "file.txt": "file content\n", "script.sh": "#!/bin/sh\necho script\n",
		"dir/a": "A\n", "dir/sub/b": "B\n", "one.glob": "1\n", "two.glob": "2\n",
	})
	if err := os.WriteFile(filepath.Join(ctx, "archive.tgz"), tgzWith(t, "inner.txt", "inside tar\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := c.Run("build", "--format", "docker", "-t", "corpus", "-t", "corpus:v2", "--label", "cli=label", ctx)
	if r.ExitCode != 0 {
		t.Fatalf("build: %s", r)
	}
	for _, want := range []string{"STEP 1/23: FROM $BASE", "STEP 13/23: RUN echo", "hello from run", "COMMIT corpus", "Successfully tagged localhost/corpus:latest", "Successfully tagged localhost/corpus:v2"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("build output lacks %q:\n%s", want, r.Stdout)
		}
	}
	id := lines(r.Stdout)[len(lines(r.Stdout))-1]
	if len(id) != 64 {
		t.Fatalf("last line is not an image ID: %q", id)
	}
	checks := map[string]string{
		"{{.Config.WorkingDir}}":                  "/app",
		"{{.Config.User}}":                        "1000:1000",
		"{{.Config.StopSignal}}":                  "SIGUSR1",
		"{{json .Config.Entrypoint}}":             `["/bin/sh","-c"]`,
		"{{json .Config.Cmd}}":                    `["cat /app/file.txt /run.txt"]`,
		"{{index .Config.Labels \"org.test.a\"}}": "one",
		"{{index .Config.Labels \"cli\"}}":        "label",
		"{{json .Config.ExposedPorts}}":           `{"8080/tcp":{},"9090/udp":{}}`,
		"{{json .Config.Volumes}}":                `{"/data":{}}`,
		"{{json .HealthCheck.Test}}":              `["CMD-SHELL","true"]`,
		"{{.ID}}":                                 id,
	}
	for f, want := range checks {
		if got := c.Must(t, "inspect", "--type", "image", "--format", f, "corpus"); got != want {
			t.Errorf("inspect %s = %q, want %q", f, got, want)
		}
	}
	if env := c.Must(t, "inspect", "--format", "{{json .Config.Env}}", "corpus"); !strings.Contains(env, "APP_HOME=/app") || strings.Contains(env, "GREETING") {
		t.Errorf("Env = %s: want APP_HOME and no ARG", env)
	}
	hist := c.Must(t, "history", "--no-trunc", "--format", "{{.CreatedBy}}", "corpus")
	for _, want := range []string{"ENV APP_HOME=/app", "/bin/sh -c echo \"$GREETING from run\" | tee", "|1 GREETING=hello"} {
		if !strings.Contains(hist, want) {
			t.Errorf("history lacks %q:\n%s", want, hist)
		}
	}
	out := c.Must(t, "run", "--rm", "corpus")
	if out != "file content\nhello from run" {
		t.Errorf("run output %q", out)
	}
	ls := c.Must(t, "run", "--rm", "--user", "0", "--entrypoint", "", "corpus", "sh", "-c",
		`stat -c '%u:%g %a' /usr/local/bin/script.sh; cat /copied/a /copied/sub/b /globbed/one.glob /globbed/two.glob /extracted/inner.txt /remote/remote.txt /heredoc.txt /heredoc-run.txt /uid.txt; stat -c %a /remote/remote.txt`)
	want := "1000:1000 750\nA\nB\n1\n2\ninside tar\nfetched body\nfrom a heredoc\nheredoc-run\n0\n600"
	if ls != want {
		t.Errorf("image content:\n%s\nwant:\n%s", ls, want)
	}
	noContainersLeft(t, c)
	// OCI format: HEALTHCHECK is dropped with Podman's warning.
	r = c.Run("build", "-q", "-t", "ocihc", ctx)
	if r.ExitCode != 0 || !strings.Contains(r.Stderr, "HEALTHCHECK is not supported for OCI image format") {
		t.Errorf("oci build with HEALTHCHECK: %s", r)
	}
	if n := len(lines(r.Stdout)); n != 1 {
		t.Errorf("-q printed %d lines: %q", n, r.Stdout)
	}
}

// TestBuildCache: an unchanged rebuild uses the cache for every step; a
// changed context file invalidates from its COPY on; --no-cache rebuilds.
func TestBuildCache(t *testing.T) {
	c := buildCLI(t)
	ctx := buildContext(t, map[string]string{
		"Containerfile": "FROM localhost/busybox\nENV A=1\nRUN echo one > /one\nCOPY f /f\nRUN cat /f > /g\nCMD [\"cat\", \"/g\"]\n",
		"f":             "v1\n",
	})
	first := c.Run("build", "-t", "cached", ctx)
	if first.ExitCode != 0 || strings.Contains(first.Stdout, "Using cache") {
		t.Fatalf("first build: %s", first)
	}
	id1 := lines(first.Stdout)[len(lines(first.Stdout))-1]
	second := c.Run("build", "-t", "cached", ctx)
	if second.ExitCode != 0 {
		t.Fatal(second)
	}
	if n := strings.Count(second.Stdout, "--> Using cache"); n != 5 {
		t.Errorf("rebuild used the cache %d times, want 5:\n%s", n, second.Stdout)
	}
	if id2 := lines(second.Stdout)[len(lines(second.Stdout))-1]; id2 != id1 {
		t.Errorf("cached rebuild gave %s, want %s", id2, id1)
	}
	if err := os.WriteFile(filepath.Join(ctx, "f"), []byte("v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	third := c.Run("build", "-t", "cached", ctx)
	if third.ExitCode != 0 {
		t.Fatal(third)
	}
	if n := strings.Count(third.Stdout, "--> Using cache"); n != 2 {
		t.Errorf("after a context change the cache was used %d times, want 2 (ENV, first RUN):\n%s", n, third.Stdout)
	}
	if out := c.Must(t, "run", "--rm", "cached"); out != "v2" {
		t.Errorf("run after rebuild: %q", out)
	}
	// A changed build arg used by ENV invalidates that step.
	actx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nARG V=a\nENV E=$V\nLABEL l=$V\n"})
	c.Must(t, "build", "-q", "--build-arg", "V=one", "-t", "argcache", actx)
	c.Must(t, "build", "-q", "--build-arg", "V=two", "-t", "argcache", actx)
	if got := c.Must(t, "inspect", "--format", `{{index .Config.Labels "l"}} {{.Config.Env}}`, "argcache"); !strings.HasPrefix(got, "two ") || !strings.Contains(got, "E=two") {
		t.Errorf("stale cache after a build-arg change: %s", got)
	}
	nc := c.Run("build", "--no-cache", "-t", "cached", ctx)
	if nc.ExitCode != 0 || strings.Contains(nc.Stdout, "Using cache") {
		t.Errorf("--no-cache: %s", nc)
	}
	noContainersLeft(t, c)
}

// TestBuildMultiStage: COPY --from a stage and an image, --target, ARG
// scoping (global ARG for FROM, re-declared in a stage, build args).
func TestBuildMultiStage(t *testing.T) {
	c := buildCLI(t)
	cf := `ARG IMG=localhost/busybox
ARG GLOBAL=g-default
FROM $IMG AS builder
ARG GLOBAL
ARG LOCAL=l-default
RUN echo "$GLOBAL $LOCAL" > /built.txt
FROM builder AS middle
RUN echo "[$LOCAL]" > /middle.txt
FROM $IMG
COPY --from=builder /built.txt /from-stage.txt
COPY --from=0 /built.txt /from-index.txt
COPY --from=localhost/busybox /bin/busybox /bb-copy
CMD ["cat", "/from-stage.txt"]
`
	ctx := buildContext(t, map[string]string{"Containerfile": cf})
	r := c.Run("build", "--build-arg", "LOCAL=l-cli", "--build-arg", "UNUSED=x", "-t", "multi", ctx)
	if r.ExitCode != 0 {
		t.Fatal(r)
	}
	if strings.Contains(r.Stdout, "middle.txt") {
		t.Errorf("unneeded stage was built:\n%s", r.Stdout)
	}
	if !strings.Contains(r.Stderr, "UNUSED") {
		t.Errorf("no warning for the unused build arg: %s", r.Stderr)
	}
	if out := c.Must(t, "run", "--rm", "multi"); out != "g-default l-cli" {
		t.Errorf("stage output %q", out)
	}
	if out := c.Must(t, "run", "--rm", "multi", "sh", "-c", "cat /from-index.txt; test -x /bb-copy && echo exec"); out != "g-default l-cli\nexec" {
		t.Errorf("COPY --from index/image: %q", out)
	}
	// --target stops at a stage; ARG from an earlier stage is not inherited.
	r = c.Run("build", "--target", "middle", "-t", "mid", ctx)
	if r.ExitCode != 0 {
		t.Fatal(r)
	}
	if out := c.Must(t, "run", "--rm", "mid", "cat", "/middle.txt"); out != "[]" {
		t.Errorf("ARG leaked across stages: %q", out)
	}
	mustFail(t, c, 125, "not found", "build", "--target", "nope", ctx)
	noContainersLeft(t, c)
}

// TestBuildSecurity: sources are confined to the context, a context
// symlink never copies host files, RUN --mount bind/cache cannot reach
// the host (CVE-2024-1753, CVE-2024-9675), writes to a bind mount are
// discarded (CVE-2025-4953), secrets stay out of layers and history.
func TestBuildSecurity(t *testing.T) {
	c := buildCLI(t)
	host := t.TempDir()
	secretHost := filepath.Join(host, "host-secret")
	if err := os.WriteFile(secretHost, []byte("HOST-ONLY-CONTENT"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := buildContext(t, map[string]string{"ok": "ok\n"})
	if err := os.Symlink(secretHost, filepath.Join(ctx, "link-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../../../../../", filepath.Join(ctx, "dir-out")); err != nil {
		t.Fatal(err)
	}
	write := func(name, cf string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(cf), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("copy parent", func(t *testing.T) {
		f := write("cf", "FROM localhost/busybox\nCOPY ../host-secret /x\n")
		mustFail(t, c, 125, "escaping context", "build", "-f", f, ctx)
	})
	t.Run("symlink outside", func(t *testing.T) {
		f := write("cf", "FROM localhost/busybox\nCOPY link-out /x\n")
		mustFail(t, c, 125, `building at STEP "COPY link-out /x"`, "build", "-f", f, ctx)
		f = write("cf", "FROM localhost/busybox\nCOPY dir-out"+secretHost+" /x\n")
		mustFail(t, c, 125, "no such file", "build", "-f", f, ctx)
	})
	t.Run("run mount bind", func(t *testing.T) {
		f := write("cf", "FROM localhost/busybox\nRUN --mount=type=bind,source=../../../../"+host+",target=/m cat /m/host-secret\n")
		mustFail(t, c, 125, "escaping context", "build", "-f", f, ctx)
		// CVE-2024-1753: a symlink to / in a stage resolves inside that stage.
		f = write("cf", "FROM localhost/busybox AS base\nRUN ln -s / /rootdir\nFROM localhost/busybox\nRUN --mount=type=bind,from=base,source=/rootdir,destination=/exploit,rw ls /exploit"+host+" && touch /exploit/BIND_BREAKOUT_B2\n")
		r := c.Run("build", "-f", f, ctx)
		if _, err := os.Stat("/BIND_BREAKOUT_B2"); err == nil {
			os.Remove("/BIND_BREAKOUT_B2")
			t.Fatal("RUN --mount bind reached the host root")
		}
		if r.ExitCode == 0 {
			t.Errorf("the host dir %s was visible through the stage symlink: %s", host, r)
		}
		// CVE-2025-4953: writes to a rw bind of the context are discarded.
		f = write("cf", "FROM localhost/busybox\nRUN --mount=type=bind,rw,target=/ctx touch /ctx/leak\n")
		r = c.Run("build", "-t", "leak", "-f", f, ctx)
		if r.ExitCode != 0 {
			t.Fatal(r)
		}
		if _, err := os.Stat(filepath.Join(ctx, "leak")); err == nil {
			t.Error("a RUN bind-mount write reached the context dir")
		}
		if out := c.Run("run", "--rm", "leak", "ls", "/ctx"); strings.Contains(out.Stdout, "leak") {
			t.Error("the bind mount's content landed in the image")
		}
	})
	t.Run("run mount cache id", func(t *testing.T) {
		f := write("cf", "FROM localhost/busybox\nRUN --mount=type=cache,id=../../../../../../../.."+host+",target=/var/tmp cat /var/tmp/host-secret\n")
		r := c.Run("build", "-f", f, ctx)
		if r.ExitCode == 0 || strings.Contains(r.Stdout, "HOST-ONLY-CONTENT") {
			t.Errorf("cache id reached the host: %s", r)
		}
		f = write("cf", "FROM localhost/busybox\nRUN --mount=type=cache,target=/x,bind-propagation=bogus true\n")
		mustFail(t, c, 125, "", "build", "-f", f, ctx)
	})
	t.Run("secrets", func(t *testing.T) {
		sec := filepath.Join(host, "s")
		if err := os.WriteFile(sec, []byte("TOPSECRET-B2"), 0o600); err != nil {
			t.Fatal(err)
		}
		f := write("cf", "FROM localhost/busybox\nRUN --mount=type=secret,id=tok cat /run/secrets/tok > /dev/null && test -f /run/secrets/tok && echo seen\nRUN --mount=type=secret,id=tok,target=/tmp/t cp /tmp/t /copy-is-ok-but-not-the-mount || true\n")
		r := c.Run("build", "--secret", "id=tok,src="+sec, "-t", "withsecret", "-f", f, ctx)
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "seen") {
			t.Fatal(r)
		}
		hist := c.Must(t, "history", "--no-trunc", "withsecret")
		if strings.Contains(hist, "TOPSECRET") {
			t.Error("secret in history")
		}
		out := c.Must(t, "run", "--rm", "withsecret", "sh", "-c", "ls /run/secrets /tmp/t 2>&1; true")
		if strings.Contains(out, "tok") && !strings.Contains(out, "No such file") {
			t.Errorf("secret mountpoint landed in the image: %q", out)
		}
		archive := filepath.Join(t.TempDir(), "img.tar")
		c.Must(t, "save", "-o", archive, "withsecret")
		data, _ := os.ReadFile(archive)
		// The second RUN copied it on purpose; the mount itself must not leave a file.
		if bytes.Count(data, []byte("TOPSECRET-B2")) > 1 {
			t.Error("secret content in more layers than the one that copied it")
		}
	})
	noContainersLeft(t, c)
}

// TestBuildBadInput: errors name the step and line, exit 125 (a failing
// RUN exits with its status, as Podman), no containers left.
func TestBuildBadInput(t *testing.T) {
	c := buildCLI(t)
	ctx := buildContext(t, map[string]string{"ok": "ok\n"})
	write := func(cf string) string {
		p := filepath.Join(t.TempDir(), "Containerfile")
		if err := os.WriteFile(p, []byte(cf), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mustFail(t, c, 125, "line 2: unknown instruction: FOO", "build", "-f", write("FROM localhost/busybox\nFOO bar\n"), ctx)
	mustFail(t, c, 125, `building at STEP "COPY nothere /x"`, "build", "-f", write("FROM localhost/busybox\nCOPY nothere /x\n"), ctx)
	mustFail(t, c, 125, "unknown flag: --bogus", "build", "--bogus", ctx)
	mustFail(t, c, 125, "localhost/does-not-exist", "build", "--pull=never", "-f", write("FROM localhost/does-not-exist\n"), ctx)
	mustFail(t, c, 1, `building at STEP "RUN false": while running runtime: exit status 1`, "build", "-f", write("FROM localhost/busybox\nRUN false\n"), ctx)
	mustFail(t, c, 3, "exit status 3", "build", "-f", write("FROM localhost/busybox\nRUN exit 3\n"), ctx)
	mustFail(t, c, 125, "no Containerfile or Dockerfile", "build", ctx)
	mustFail(t, c, 125, "only the native platform", "build", "-f", write("FROM --platform=linux/s390x localhost/busybox\n"), ctx)
	mustFail(t, c, 125, "escaping context", "build", "-f", write("FROM localhost/busybox\nRUN --mount=type=bind,source=../../..,target=/m true\n"), ctx)
	noContainersLeft(t, c)
	if out := c.Must(t, "images", "-q", "--filter", "reference=*does-not-exist*"); out != "" {
		t.Errorf("images after failures: %q", out)
	}
}

// TestBuildStdinAndIgnore: context as a tar on stdin, -f -, .containerignore.
func TestBuildStdinAndIgnore(t *testing.T) {
	c := buildCLI(t)
	ctx := buildContext(t, map[string]string{
		"Containerfile":    "FROM localhost/busybox\nCOPY . /ctx/\n",
		".containerignore": "secret*\n*.log\n!keep.log\n",
		"a":                "a\n", "secret.txt": "no\n", "x.log": "no\n", "keep.log": "yes\n",
	})
	c.Must(t, "build", "-t", "ign", ctx)
	out := c.Must(t, "run", "--rm", "ign", "ls", "/ctx")
	if strings.Contains(out, "secret") || strings.Contains(out, "x.log") || !strings.Contains(out, "keep.log") || !strings.Contains(out, "a") {
		t.Errorf(".containerignore not applied: %q", out)
	}
	r := c.RunStdin(strings.NewReader("FROM localhost/busybox\nLABEL from=stdin\n"), "build", "-q", "-f", "-", "-t", "stdinf", ctx)
	if r.ExitCode != 0 {
		t.Fatal(r)
	}
	if got := c.Must(t, "inspect", "--format", `{{index .Config.Labels "from"}}`, "stdinf"); got != "stdin" {
		t.Errorf("label %q", got)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	cf := "FROM localhost/busybox\nCOPY hello /hello\n"
	for name, data := range map[string]string{"Containerfile": cf, "hello": "from tar\n"} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write([]byte(data))
	}
	tw.Close()
	r = c.RunStdin(&buf, "build", "-t", "tarctx", "-")
	if r.ExitCode != 0 {
		t.Fatal(r)
	}
	if out := c.Must(t, "run", "--rm", "tarctx", "cat", "/hello"); out != "from tar" {
		t.Errorf("tar context: %q", out)
	}
	// Heredocs: a #! script is executed as a file, others go to the shell.
	hctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nRUN <<EOF\n#!/bin/sh -e\necho \"script $0\"\necho x > /made\nEOF\nRUN <<EOT cat\nto stdin\nEOT\n"})
	r = c.Run("build", "-t", "heredocs", hctx)
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "script /dev/pipes/EOF") || !strings.Contains(r.Stdout, "to stdin") {
		t.Errorf("heredoc RUN: %s", r)
	}
	if out := c.Must(t, "run", "--rm", "heredocs", "sh", "-c", "cat /made; ls /dev/pipes 2>/dev/null | wc -l"); out != "x\n0" {
		t.Errorf("heredoc result: %q", out)
	}
	// COPY --parents keeps the source paths.
	pctx := buildContext(t, map[string]string{"a/b/f.txt": "1\n", "c/g.txt": "2\n",
		"Containerfile": "FROM localhost/busybox\nCOPY --parents a/b/f.txt c /dst/\n"})
	c.Must(t, "build", "-q", "-t", "parents", pctx)
	if out := c.Must(t, "run", "--rm", "parents", "cat", "/dst/a/b/f.txt", "/dst/c/g.txt"); out != "1\n2" {
		t.Errorf("COPY --parents: %q", out)
	}
}

// TestBuildFlags: --squash/--squash-all, --iidfile, --timestamp, --layers=false,
// --from, --env, -v, the image build / buildx build aliases, WORKDIR creating
// its directory, intermediate images hidden from `images`.
func TestBuildFlags(t *testing.T) {
	c := buildCLI(t)
	ctx := buildContext(t, map[string]string{
		"Containerfile": "FROM localhost/nothing-here\nENV A=1\nCOPY f /f\nRUN echo run > /r && echo \"env=$FROMCLI\" && cat /hostvol/v\nWORKDIR /made/by/workdir\nCMD [\"sh\"]\n",
		"f":             "f\n",
	})
	vol := t.TempDir()
	if err := os.WriteFile(filepath.Join(vol, "v"), []byte("from-volume\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	iid := filepath.Join(t.TempDir(), "iid")
	r := c.Run("build", "--from", "localhost/busybox", "--env", "FROMCLI=yes", "-v", vol+":/hostvol:ro",
		"--iidfile", iid, "--timestamp", "1700000000", "-t", "flags", ctx)
	if r.ExitCode != 0 {
		t.Fatal(r)
	}
	if !strings.Contains(r.Stdout, "env=yes") || !strings.Contains(r.Stdout, "from-volume") {
		t.Errorf("--env/-v not seen by RUN:\n%s", r.Stdout)
	}
	id := c.Must(t, "inspect", "--format", "{{.ID}}", "flags")
	if data, _ := os.ReadFile(iid); string(data) != "sha256:"+id {
		t.Errorf("iidfile %q, want sha256:%s", data, id)
	}
	if got := c.Must(t, "inspect", "--format", "{{.Created.Unix}}", "flags"); got != "1700000000" {
		t.Errorf("--timestamp: created %s", got)
	}
	if out := c.Must(t, "run", "--rm", "flags", "sh", "-c", "pwd; ls -d /made/by/workdir; cat /r; ls /hostvol 2>&1 | grep -c v || true"); !strings.HasPrefix(out, "/made/by/workdir\n/made/by/workdir\nrun") {
		t.Errorf("WORKDIR/RUN result: %q", out)
	}
	// The steps are intermediate: only with -a.
	if n := len(lines(c.Must(t, "images", "-q"))); n != 2 {
		t.Errorf("images lists %d images, want busybox and flags:\n%s", n, c.Must(t, "images"))
	}
	if n := len(lines(c.Must(t, "images", "-a", "-q"))); n < 6 {
		t.Errorf("images -a lists %d images, want the steps too", n)
	}
	layers := func(ref string) int {
		return len(strings.Split(c.Must(t, "inspect", "--format", `{{range .RootFS.Layers}}{{.}} {{end}}`, ref), " "))
	}
	base := layers("localhost/busybox")
	c.Must(t, "build", "-q", "--from", "localhost/busybox", "--env", "FROMCLI=x", "-v", vol+":/hostvol", "--squash", "-t", "sq", ctx)
	if n := layers("sq"); n != base+1 {
		t.Errorf("--squash: %d layers, want %d", n, base+1)
	}
	c.Must(t, "build", "-q", "--from", "localhost/busybox", "--env", "FROMCLI=x", "-v", vol+":/hostvol", "--squash-all", "-t", "sqa", ctx)
	if n := layers("sqa"); n != 1 {
		t.Errorf("--squash-all: %d layers, want 1", n)
	}
	if out := c.Must(t, "run", "--rm", "sqa", "cat", "/f", "/r"); out != "f\nrun" {
		t.Errorf("squashed image content %q", out)
	}
	// --layers=false keeps no intermediate images.
	before := len(lines(c.Must(t, "images", "-a", "-q")))
	ctx2 := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nENV X=1\nRUN touch /x\nENV Y=2\n"})
	c.Must(t, "image", "build", "-q", "--layers=false", "-t", "nolayers", ctx2)
	if after := len(lines(c.Must(t, "images", "-a", "-q"))); after != before+1 {
		t.Errorf("--layers=false left %d new images, want 1", after-before)
	}
	if out := c.Must(t, "run", "--rm", "nolayers", "sh", "-c", "ls /x && echo $X$Y"); out != "/x\n12" {
		t.Errorf("--layers=false image: %q", out)
	}
	c.Must(t, "buildx", "build", "-q", "-t", "viabuildx", ctx2)
	// RUN network, capabilities, --build-arg-file, --annotation, ADD --checksum.
	argFile := filepath.Join(t.TempDir(), "args")
	if err := os.WriteFile(argFile, []byte("# comment\nFROMFILE=file-value\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx3 := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nARG FROMFILE\nRUN echo \"arg=$FROMFILE\"; echo \"ifaces=$(grep -c : /proc/net/dev)\"; grep CapEff /proc/self/status\nRUN --network=none echo \"none-ifaces=$(grep -c : /proc/net/dev)\"\n"})
	r = c.Run("build", "--no-cache", "--build-arg-file", argFile, "--network", "none", "--cap-drop", "ALL", "--annotation", "a.b=c", "-t", "misc", ctx3)
	if r.ExitCode != 0 {
		t.Fatal(r)
	}
	for _, want := range []string{"arg=file-value", "ifaces=1", "CapEff:\t0000000000000000", "none-ifaces=1"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("build output lacks %q:\n%s", want, r.Stdout)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("body")) }))
	defer srv.Close()
	good := "sha256:230d8358dc8e8890b4c58deeb62912ee2f20357ae92a5cc861b98e68fe31acb5" // sha256("body")
	bad := "sha256:" + strings.Repeat("0", 64)
	ctx4 := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nADD --checksum=" + bad + " " + srv.URL + "/x /x\n"})
	mustFail(t, c, 125, "unexpected response digest", "build", ctx4)
	ctx5 := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nADD --checksum=" + good + " " + srv.URL + "/x /x\n"})
	c.Must(t, "build", "-q", "-t", "checksummed", ctx5)
	// ADD of a URL is keyed by the downloaded content.
	var body atomic.Value
	body.Store("v1")
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body.Load().(string))) }))
	defer srv2.Close()
	ctx6 := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nADD " + srv2.URL + "/u /u\n"})
	c.Must(t, "build", "-q", "-t", "urlcache", ctx6)
	body.Store("v2")
	c.Must(t, "build", "-q", "-t", "urlcache", ctx6)
	if out := c.Must(t, "run", "--rm", "--user", "0", "urlcache", "cat", "/u"); out != "v2" {
		t.Errorf("ADD URL after the content changed: %q", out)
	}
	noContainersLeft(t, c)
}

// TestBuildOnbuildAndIsolation: ONBUILD triggers of the base run after FROM;
// the caller's environment is not visible to RUN (CVE-2021-3602); a tar
// context whose Containerfile is a symlink to a host file is refused and
// the host file is untouched (CVE-2020-10696 class).
func TestBuildOnbuildAndIsolation(t *testing.T) {
	c := buildCLI(t)
	ctx := buildContext(t, map[string]string{
		"Containerfile": "FROM localhost/busybox\nONBUILD RUN echo triggered > /trig\nONBUILD ENV TRIG=1\n",
	})
	c.Must(t, "build", "-q", "--format", "docker", "-t", "onb", ctx)
	ctx2 := buildContext(t, map[string]string{
		"Containerfile": "FROM onb\nRUN cat /trig && (cat /proc/1/environ /proc/*/environ 2>/dev/null | grep -a SECRET_X_B2 && exit 1 || true)\n",
	})
	c.Env = append(c.Env, "SECRET_X_B2=zz")
	r := c.Run("build", "-t", "onb2", ctx2)
	c.Env = c.Env[:len(c.Env)-1]
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "triggered") {
		t.Fatalf("ONBUILD trigger or environment isolation: %s", r)
	}
	if env := c.Must(t, "inspect", "--format", "{{.Config.Env}}", "onb2"); !strings.Contains(env, "TRIG=1") {
		t.Errorf("ONBUILD ENV not applied: %s", env)
	}
	probe := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(probe, []byte("original"), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "Dockerfile", Linkname: probe, Typeflag: tar.TypeSymlink, Mode: 0o777})
	tw.Close()
	buf.Write(bytes.Repeat([]byte{0x5a}, 2048))
	r = c.RunStdin(&buf, "build", "-")
	if r.ExitCode != 125 {
		t.Errorf("symlinked Dockerfile in a tar context: %s", r)
	}
	if data, _ := os.ReadFile(probe); string(data) != "original" {
		t.Errorf("probe changed: %q", data)
	}
	noContainersLeft(t, c)
}

// TestBuildInterrupted: SIGINT during a RUN ends the build at once and
// leaves no container (and no RUN process) behind.
func TestBuildInterrupted(t *testing.T) {
	c := buildCLI(t)
	ctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nRUN echo started; sleep 337\n"})
	cmd := c.Command(context.Background(), "build", "--no-cache", ctx)
	outPath := filepath.Join(t.TempDir(), "out")
	outFile, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer outFile.Close()
	cmd.Stdout, cmd.Stderr = outFile, outFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	output := func() string { data, _ := os.ReadFile(outPath); return string(data) }
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(output(), "\nstarted\n") && time.Now().Before(deadline) { // the RUN's line, not the STEP's
		time.Sleep(50 * time.Millisecond)
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err == nil {
		t.Fatalf("interrupted build succeeded: %s", output())
	}
	if d := time.Since(start); d > 120*time.Second { // the RUN sleeps 337 s
		t.Errorf("build took %s to stop", d)
	}
	noContainersLeft(t, c)
	if t.Failed() {
		t.Logf("build output:\n%s\nps -a:\n%s", output(), c.Run("ps", "-a", "--external").Stdout)
	}
	if ps, _ := exec.Command("pgrep", "-f", "sleep 337").Output(); len(ps) > 0 {
		t.Errorf("RUN process left: %s", ps)
	}
}
