package e2e

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func hostArch() string { return runtime.GOARCH }

// TestBuildIssueAudit covers what issue #8 names that the other build
// tests do not: --ignorefile and the .dockerignore fallback, FROM
// scratch, RUN in exec form, SHELL, RUN --mount=type=tmpfs and a cache
// mount kept across builds, --no-hosts, --cap-add, --annotation, an
// explicit native --platform, proxy build args (seen by RUN, kept out of
// the history and the cache key), --pull policies, --force-rm=false.
func TestBuildIssueAudit(t *testing.T) {
	c := buildCLI(t)
	t.Run("ignore files", func(t *testing.T) {
		ctx := buildContext(t, map[string]string{
			"Containerfile": "FROM localhost/busybox\nCOPY . /ctx/\n",
			".dockerignore": "docker-ignored\n", "docker-ignored": "x", "custom-ignored": "x", "kept": "x",
		})
		c.Must(t, "build", "-q", "-t", "ign1", ctx)
		if out := c.Must(t, "run", "--rm", "ign1", "ls", "/ctx"); strings.Contains(out, "docker-ignored") || !strings.Contains(out, "custom-ignored") {
			t.Errorf(".dockerignore fallback: %q", out)
		}
		custom := filepath.Join(t.TempDir(), "my.ignore")
		if err := os.WriteFile(custom, []byte("custom-*\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		c.Must(t, "build", "-q", "--ignorefile", custom, "-t", "ign2", ctx)
		if out := c.Must(t, "run", "--rm", "ign2", "ls", "/ctx"); strings.Contains(out, "custom-ignored") || !strings.Contains(out, "docker-ignored") || !strings.Contains(out, "kept") {
			t.Errorf("--ignorefile replaces the context's ignore file: %q", out)
		}
		mustFail(t, c, 125, "", "build", "--ignorefile", filepath.Join(t.TempDir(), "missing"), ctx)
		// Containerfile before Dockerfile, .containerignore before .dockerignore.
		both := buildContext(t, map[string]string{
			"Containerfile": "FROM localhost/busybox\nLABEL picked=containerfile\nCOPY . /ctx/\n", "Dockerfile": "FROM localhost/busybox\nLABEL picked=dockerfile\n",
			".containerignore": "c-ignored\n", ".dockerignore": "d-ignored\n", "c-ignored": "x", "d-ignored": "x",
		})
		c.Must(t, "build", "-q", "-t", "both", both)
		if got := c.Must(t, "inspect", "--format", `{{index .Config.Labels "picked"}}`, "both"); got != "containerfile" {
			t.Errorf("picked the %s", got)
		}
		if out := c.Must(t, "run", "--rm", "both", "ls", "/ctx"); strings.Contains(out, "c-ignored") || !strings.Contains(out, "d-ignored") {
			t.Errorf(".containerignore wins over .dockerignore: %q", out)
		}
	})
	t.Run("scratch exec shell tmpfs", func(t *testing.T) {
		ctx := buildContext(t, map[string]string{
			"only": "alone\n",
			"Containerfile": "FROM localhost/busybox AS tools\n" +
				"RUN [\"/bin/sh\", \"-c\", \"echo exec-form > /exec.txt\"]\n" +
				"SHELL [\"/bin/echo\", \"via-shell\"]\n" +
				"RUN hello\n" +
				"SHELL [\"/bin/sh\", \"-c\"]\n" +
				"RUN --mount=type=tmpfs,target=/scratchpad echo tmp > /scratchpad/f && grep -q ' /scratchpad tmpfs' /proc/mounts && echo tmpfs-ok\n" +
				"FROM scratch\n" +
				"COPY only /only\n" +
				"COPY --from=tools /exec.txt /exec.txt\n",
		})
		r := c.Run("build", "-t", "fromscratch", ctx)
		if r.ExitCode != 0 {
			t.Fatal(r)
		}
		for _, want := range []string{"via-shell hello", "tmpfs-ok"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, r.Stdout)
			}
		}
		if n := c.Must(t, "inspect", "--format", "{{len .RootFS.Layers}}", "fromscratch"); n != "2" {
			t.Errorf("FROM scratch image has %s layers, want 2", n)
		}
		// The scratch image has only what was copied: no shell to run.
		mp := c.Must(t, "image", "mount", "fromscratch")
		defer c.Run("image", "unmount", "fromscratch")
		var files []string
		filepath.Walk(mp, func(p string, fi os.FileInfo, err error) error {
			if err == nil && p != mp {
				files = append(files, strings.TrimPrefix(p, mp))
			}
			return nil
		})
		if strings.Join(files, " ") != "/exec.txt /only" {
			t.Errorf("scratch image content: %v", files)
		}
		if data, _ := os.ReadFile(filepath.Join(mp, "exec.txt")); string(data) != "exec-form\n" {
			t.Errorf("RUN exec form: %q", data)
		}
		mustFail(t, c, 125, "scratch", "build", buildContext(t, map[string]string{"Containerfile": "FROM scratch\nRUN true\n"}))
	})
	t.Run("cache mount persists", func(t *testing.T) {
		ctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nRUN --mount=type=cache,id=audit,target=/cache echo run >> /cache/log && wc -l < /cache/log | sed s/^/count=/ && test ! -e /image-has-no-cache\n"})
		c.Must(t, "build", "-q", "--no-cache", ctx)
		r := c.Run("build", "--no-cache", "-t", "cachemount", ctx)
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "count=2") {
			t.Errorf("the cache mount did not keep the first build's file:\n%s", r)
		}
		if out := c.Run("run", "--rm", "cachemount", "ls", "/cache"); out.Stdout != "" {
			t.Errorf("cache mount content landed in the image: %q", out.Stdout)
		}
	})
	t.Run("hosts caps annotation platform", func(t *testing.T) {
		// (A RUN cannot write the image's /etc/hosts: it is mounted over, as in Docker.)
		base := buildContext(t, map[string]string{"hosts": "192.0.2.7 from-image\n", "Containerfile": "FROM localhost/busybox\nCOPY hosts /etc/hosts\n"})
		c.Must(t, "build", "-q", "-t", "withhosts", base)
		ctx := buildContext(t, map[string]string{"Containerfile": "FROM withhosts\nRUN echo \"hosts=$(cat /etc/hosts | tr '\\n' '|')\"; cap=$(grep CapEff /proc/self/status | cut -f2); echo \"sysadmin=$(( (0x$cap >> 21) & 1 ))\"\n"})
		r := c.Run("build", "--no-cache", "--no-hosts", "--cap-add", "SYS_ADMIN", "--annotation", "org.test.note=audit", "--platform", "linux/"+hostArch(), "-t", "hostsok", ctx)
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "hosts=192.0.2.7 from-image|\n") || !strings.Contains(r.Stdout, "sysadmin=1") {
			t.Errorf("--no-hosts/--cap-add: %s", r)
		}
		if got := c.Must(t, "image", "inspect", "--format", `{{index .Annotations "org.test.note"}}`, "hostsok"); got != "audit" {
			t.Errorf("--annotation: %q", got)
		}
		r = c.Run("build", "--no-cache", ctx)
		if r.ExitCode != 0 || strings.Contains(r.Stdout, "hosts=192.0.2.7 from-image|\n") || !strings.Contains(r.Stdout, "sysadmin=0") {
			t.Errorf("without --no-hosts the RUN gets its own /etc/hosts, without --cap-add no SYS_ADMIN: %s", r)
		}
	})
	t.Run("proxy args", func(t *testing.T) {
		ctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nARG OTHER\nRUN echo \"proxy=$HTTP_PROXY other=$OTHER\"\n"})
		r := c.Run("build", "--build-arg", "HTTP_PROXY=http://user:pw@proxy:3128", "--build-arg", "OTHER=o", "-t", "proxied", ctx)
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "proxy=http://user:pw@proxy:3128 other=o") {
			t.Fatalf("proxy arg not seen by RUN: %s", r)
		}
		hist := c.Must(t, "history", "--no-trunc", "--format", "{{.CreatedBy}}", "proxied")
		if strings.Contains(hist, "user:pw") || !strings.Contains(hist, "|1 OTHER=o") {
			t.Errorf("history:\n%s", hist)
		}
		if out := c.Must(t, "inspect", "--format", "{{.Config.Env}}", "proxied"); strings.Contains(out, "PROXY") {
			t.Errorf("proxy arg in the image's Env: %s", out)
		}
		r = c.Run("build", "--build-arg", "HTTP_PROXY=http://other-proxy:3128", "--build-arg", "OTHER=o", "-t", "proxied", ctx)
		if r.ExitCode != 0 || strings.Count(r.Stdout, "--> Using cache") != 2 {
			t.Errorf("a changed proxy arg invalidated the cache: %s", r)
		}
	})
	t.Run("pull policies", func(t *testing.T) {
		ctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nENV P=1\n"})
		for _, p := range []string{"missing", "never", "newer"} {
			c.Must(t, "build", "-q", "--pull="+p, ctx)
		}
		// always goes to the registry (none listens here), even with the image local.
		mustFail(t, c, 125, "localhost/busybox", "build", "--pull", ctx)
		mustFail(t, c, 125, "invalid pull policy", "build", "--pull=sometimes", ctx)
	})
	t.Run("force-rm", func(t *testing.T) {
		ctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nRUN echo failing; exit 4\n"})
		mustFail(t, c, 4, "exit status 4", "build", ctx)
		noContainersLeft(t, c)
		mustFail(t, c, 4, "exit status 4", "build", "--force-rm=false", ctx)
		kept := c.Must(t, "ps", "-a", "-q", "--filter", "label=io.selkie.build-step")
		if len(lines(kept)) != 1 {
			t.Fatalf("--force-rm=false kept %q, want the failed step's container", kept)
		}
		if logs := c.Must(t, "logs", kept); logs != "failing" {
			t.Errorf("kept container's logs %q", logs)
		}
		c.Must(t, "rm", kept)
	})
	t.Run("timestamp reproducible", func(t *testing.T) {
		ctx := buildContext(t, map[string]string{"f": "f\n", "Containerfile": "FROM localhost/busybox\nCOPY f /f\nRUN echo x > /x && mkdir -p /d/e\nWORKDIR /w\nADD f /added\n"})
		a := c.Must(t, "build", "-q", "--no-cache", "--timestamp", "1000", ctx)
		if err := os.Chtimes(filepath.Join(ctx, "f"), time.Now(), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		b := c.Must(t, "build", "-q", "--no-cache", "--timestamp", "1000", ctx)
		if a != b {
			t.Errorf("two --timestamp builds of the same sources gave %s and %s", a, b)
		}
		if out := c.Must(t, "run", "--rm", a, "stat", "-c", "%Y", "/f", "/x", "/d/e", "/w", "/added"); out != "1000\n1000\n1000\n1000\n1000" {
			t.Errorf("file times in a --timestamp image: %q", out)
		}
		// Without --timestamp the times are the real ones (and the cache is not shared).
		if out := c.Must(t, "run", "--rm", c.Must(t, "build", "-q", ctx), "stat", "-c", "%Y", "/x"); out == "1000" {
			t.Errorf("a build without --timestamp reused the --timestamp layers")
		}
	})
	t.Run("secret env", func(t *testing.T) {
		// --secret id=,env= takes the caller's variable; RUN --mount
		// type=secret,env= gives it to the RUN as a variable, no file.
		ctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\n" +
			"RUN --mount=type=secret,id=tok,env=TOKEN test ! -e /run/secrets/tok && echo \"secret-env=$TOKEN\"\n" +
			"RUN --mount=type=secret,id=tok cat /run/secrets/tok | rev\n"})
		c.Env = append(c.Env, "AUDIT_SECRET=s3cr3t-audit")
		r := c.Run("build", "--secret", "id=tok,env=AUDIT_SECRET", "-t", "secenv", ctx)
		c.Env = c.Env[:len(c.Env)-1]
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "secret-env=s3cr3t-audit\n") || !strings.Contains(r.Stdout, "tidua-t3rc3s") {
			t.Fatalf("secret as env and file: %s", r)
		}
		for _, args := range [][]string{{"history", "--no-trunc", "secenv"}, {"inspect", "secenv"}} {
			if out := c.Must(t, args...); strings.Contains(out, "s3cr3t") {
				t.Errorf("secret in %s", args[0])
			}
		}
	})
	t.Run("run container flags", func(t *testing.T) {
		// Podman's RUN container flags, --env into the image, --http-proxy.
		ctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\n" +
			"RUN grep foo.test /etc/hosts; grep 192.0.2.53 /etc/resolv.conf; echo \"mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)\"; echo \"nofile=$(ulimit -n)\"; df -k /dev/shm | tail -1; echo \"proxy=$HTTP_PROXY foo=$FOO\"\n"})
		c.Env = append(c.Env, "HTTP_PROXY=http://proxy.invalid:3128")
		r := c.Run("build", "--no-cache", "--add-host", "foo.test:192.0.2.9", "--dns", "192.0.2.53", "--memory", "64m", "--ulimit", "nofile=512:512",
			"--shm-size", "32m", "--env", "FOO=bar", "-t", "runflags", ctx)
		off := c.Run("build", "--no-cache", "--http-proxy=false", ctx)
		c.Env = c.Env[:len(c.Env)-1]
		if r.ExitCode != 0 {
			t.Fatal(r)
		}
		for _, want := range []string{"192.0.2.9\tfoo.test", "nameserver 192.0.2.53", "mem=67108864", "nofile=512", " 32768 ", "proxy=http://proxy.invalid:3128 foo=bar"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("RUN output lacks %q:\n%s", want, r.Stdout)
			}
		}
		if off.ExitCode != 0 || !strings.Contains(off.Stdout, "proxy= foo=") {
			t.Errorf("--http-proxy=false: %s", off)
		}
		if env := c.Must(t, "inspect", "--format", "{{.Config.Env}}", "runflags"); !strings.Contains(env, "FOO=bar") || strings.Contains(env, "proxy.invalid") {
			t.Errorf("image Env %s: want --env's FOO and no proxy", env)
		}
		if hist := c.Must(t, "history", "--no-trunc", "runflags"); strings.Contains(hist, "proxy.invalid") {
			t.Errorf("proxy in history:\n%s", hist)
		}
		mustFail(t, c, 125, "invalid value for memory", "build", "--memory", "lots", ctx)
	})
	t.Run("build contexts and stages", func(t *testing.T) {
		extra := buildContext(t, map[string]string{"f": "from-extra\n", "sub/g": "g\n"})
		if err := os.Symlink("/etc/hostname", filepath.Join(extra, "out")); err != nil {
			t.Fatal(err)
		}
		ctx := buildContext(t, map[string]string{"Containerfile": "FROM base AS unused\nRUN echo unused-stage-ran\n" +
			"FROM base\nCOPY --from=extra f /f\nRUN --mount=type=bind,from=extra,target=/e cat /e/sub/g\nENV DROPME=1 KEEP=1\n"})
		logfile := filepath.Join(t.TempDir(), "build.log")
		r := c.Run("build", "--build-context", "extra="+extra, "--build-context", "base=docker-image://localhost/busybox",
			"--unsetenv", "DROPME", "--logfile", logfile, "-t", "bctx", ctx)
		if r.ExitCode != 0 || r.Stdout != "" {
			t.Fatalf("build with --logfile printed to stdout: %s", r)
		}
		log, _ := os.ReadFile(logfile)
		if !strings.Contains(string(log), "COMMIT bctx") || strings.Contains(string(log), "unused-stage-ran") {
			t.Errorf("log file:\n%s", log)
		}
		if out := c.Must(t, "run", "--rm", "bctx", "cat", "/f"); out != "from-extra" {
			t.Errorf("COPY --from a build context: %q", out)
		}
		if env := c.Must(t, "inspect", "--format", "{{.Config.Env}}", "bctx"); strings.Contains(env, "DROPME") || !strings.Contains(env, "KEEP=1") {
			t.Errorf("--unsetenv: %s", env)
		}
		// --skip-unused-stages=false builds the stage the target does not need.
		r = c.Run("build", "--no-cache", "--skip-unused-stages=false", "--build-context", "extra="+extra, "--build-context", "base=docker-image://localhost/busybox", ctx)
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "unused-stage-ran") {
			t.Errorf("--skip-unused-stages=false: %s", r)
		}
		// Reads stay inside the named context.
		for _, cf := range []string{"FROM localhost/busybox\nCOPY --from=extra ../ /x/\n", "FROM localhost/busybox\nCOPY --from=extra out /x\n"} {
			bad := buildContext(t, map[string]string{"Containerfile": cf})
			r := c.Run("build", "--build-context", "extra="+extra, "-t", "bctxbad", bad)
			if r.ExitCode == 0 {
				host, _ := os.ReadFile("/etc/hostname")
				if out := c.Run("run", "--rm", "bctxbad", "cat", "/x"); len(host) > 0 && strings.Contains(out.Stdout, strings.TrimSpace(string(host))) {
					t.Errorf("%q copied a host file through the build context", cf)
				}
			}
		}
		mustFail(t, c, 125, "build context", "build", "--build-context", "extra=/does/not/exist", ctx)
		mustFail(t, c, 125, "is a directory, not an image", "build", "--build-context", "base="+extra, ctx)
	})
	t.Run("output omit-history arch isolation", func(t *testing.T) {
		ctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nRUN echo out > /out.txt\n"})
		dir := filepath.Join(t.TempDir(), "rootfs")
		tarFile := filepath.Join(t.TempDir(), "rootfs.tar")
		c.Must(t, "build", "-q", "--omit-history", "--arch", hostArch(), "--os", "linux", "-o", dir, "--compress", "-D", "--identity-label=false", "-t", "omitted", ctx)
		if data, err := os.ReadFile(filepath.Join(dir, "out.txt")); err != nil || string(data) != "out\n" {
			t.Errorf("--output DIR: %q %v", data, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "bin", "busybox")); err != nil {
			t.Errorf("--output DIR lacks the base image's files: %v", err)
		}
		c.Must(t, "build", "-q", "--output", "type=tar,dest="+tarFile, ctx)
		if fi, err := os.Stat(tarFile); err != nil || fi.Size() < 1024 {
			t.Errorf("--output type=tar: %v %v", fi, err)
		}
		if n := c.Must(t, "inspect", "--format", "{{len .History}}", "omitted"); n != "0" {
			t.Errorf("--omit-history left %s history entries", n)
		}
		mustFail(t, c, 125, "only the native platform", "build", "--arch", "s390x", ctx)
		mustFail(t, c, 125, "only oci", "build", "--isolation", "chroot", ctx)
		mustFail(t, c, 125, "invalid --output", "build", "--output", "type=registry,dest=x", ctx)
	})
	t.Run("stdin", func(t *testing.T) {
		ctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nRUN read line; echo \"got=$line\"\n"})
		r := c.RunStdin(strings.NewReader("typed-in\n"), "build", "--no-cache", "--stdin", ctx)
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "got=typed-in\n") {
			t.Errorf("--stdin: %s", r)
		}
		r = c.RunStdin(strings.NewReader("typed-in\n"), "build", "--no-cache", ctx)
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "got=\n") {
			t.Errorf("without --stdin the RUN read the build's input: %s", r)
		}
		mustFail(t, c, 125, "--stdin", "build", "--stdin", "-f", "-", ctx)
	})
	t.Run("output as podman", func(t *testing.T) {
		ctx := buildContext(t, map[string]string{"Containerfile": "FROM localhost/busybox\nENV OUT=1\n"})
		r := c.Run("build", "--no-cache", ctx)
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "\nCOMMIT\n--> ") {
			t.Errorf("an untagged build prints COMMIT alone:\n%s", r.Stdout)
		}
		// Fully cached and untagged: nothing is committed again.
		r = c.Run("build", ctx)
		if r.ExitCode != 0 || strings.Contains(r.Stdout, "COMMIT") {
			t.Errorf("a cached untagged build printed COMMIT:\n%s", r.Stdout)
		}
		c.Must(t, "build", "-q", "-t", "out:1", ctx)
		r = c.Run("build", "-t", "out:2", ctx)
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "COMMIT out:2\n") ||
			!strings.Contains(r.Stdout, "Successfully tagged localhost/out:2\nSuccessfully tagged localhost/out:1\n") {
			t.Errorf("tagging lists every name of the image, the new one first:\n%s", r.Stdout)
		}
	})
	noContainersLeft(t, c)
}
