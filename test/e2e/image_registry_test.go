package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Push to a real registry and pull back into empty storage: the ID is
// stable, progress goes to stderr, the ID alone to stdout.
func TestImagePushPullRoundTrip(t *testing.T) {
	c := newImageCLI(t)
	reg := withRegistry(t, c.CLI, false)
	id := c.pullArchive(t, "bb:1")
	ref := reg.Ref("selkie/bb:1")
	r := c.Run("push", "--signature-policy", c.PolicyPath, "bb:1", ref)
	if r.ExitCode != 0 || !strings.Contains(r.Stderr, "Writing manifest to image destination") {
		t.Fatalf("push: %s", r)
	}
	c2 := newImageCLI(t)
	c2.RegistriesConf = reg.RegistriesConf
	r = c2.Run("pull", "--signature-policy", c.PolicyPath, ref)
	if r.ExitCode != 0 {
		t.Fatalf("pull: %s", r)
	}
	for _, want := range []string{"Trying to pull " + ref, "Getting image source signatures", "Copying blob", "Copying config", "Writing manifest"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("pull progress lacks %q:\n%s", want, r.Stderr)
		}
	}
	if got := strings.TrimSpace(r.Stdout); got != id {
		t.Fatalf("pulled ID %q, pushed %q", got, id)
	}
	// -q prints only the ID; pulling again is stable.
	if got := c2.Must(t, "pull", "-q", "--signature-policy", c.PolicyPath, ref); got != id {
		t.Fatalf("second pull ID %q, want %q", got, id)
	}
	out := c2.Must(t, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
	if out != reg.Addr+"/selkie/bb:1 "+id[:12] {
		t.Fatalf("images: %q", out)
	}
	var docs []map[string]any
	if err := json.Unmarshal([]byte(c2.Must(t, "image", "inspect", ref)), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("inspect: %v %v", err, docs)
	}
	if docs[0]["Id"] != id || len(docs[0]["RepoDigests"].([]any)) != 1 {
		t.Fatalf("inspect document: %v", docs[0])
	}
}

// Registry error cases: manifest unknown, unreachable registry (bounded
// retries), invalid references and unknown transports; the store stays usable.
func TestImagePullBadInput(t *testing.T) {
	c := newImageCLI(t)
	reg := withRegistry(t, c.CLI, false)
	p := c.PolicyPath
	mustFail(t, c.CLI, 125, "manifest unknown", "pull", "--signature-policy", p, reg.Ref("nothere:1"))
	mustFail(t, c.CLI, 125, "connection refused", "pull", "--retry", "0", "--signature-policy", p, "127.0.0.1:1/x:1")
	r := mustFail(t, c.CLI, 125, "connection refused", "pull", "--retry", "1", "--retry-delay", "10ms", "--signature-policy", p, "127.0.0.1:1/x:1")
	if !strings.Contains(r.Stderr, "retrying in 10ms") {
		t.Errorf("no retry announced: %s", r)
	}
	mustFail(t, c.CLI, 125, `time: invalid duration "bogus"`, "pull", "--retry-delay", "bogus", "127.0.0.1:1/x:1")
	mustFail(t, c.CLI, 125, "invalid reference format", "pull", "UPPER/case")
	mustFail(t, c.CLI, 125, "invalid reference format", "pull", ":tag")
	mustFail(t, c.CLI, 125, "invalid reference format", "pull", "")
	mustFail(t, c.CLI, 125, "unknown transport", "pull", "bogus-transport:/x")
	mustFail(t, c.CLI, 125, "unknown transport", "pull", "bogus://x")
	mustFail(t, c.CLI, 125, "invalid reference format", "pull", "a/b@sha256:1234")
	mustFail(t, c.CLI, 125, "archive file not found", "pull", "--signature-policy", p, "oci-archive:/nonexistent.tar")
	// TLS required against a plain-HTTP registry: a protocol error, not
	// retried (the default 3 retries would take 7 s).
	start := time.Now()
	mustFail(t, c.CLI, 125, "server gave HTTP response to HTTPS client", "pull", "--tls-verify=true", "--signature-policy", p, reg.Ref("x:1"))
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("TLS error took %s: retried?", d)
	}
	// A policy that rejects everything stops the pull.
	reject := filepath.Join(t.TempDir(), "reject.json")
	os.WriteFile(reject, []byte(`{"default":[{"type":"reject"}]}`), 0o644)
	mustFail(t, c.CLI, 125, "rejected", "pull", "--signature-policy", reject, "oci-archive:"+c.archive)
	if out := c.Must(t, "images", "-q"); out != "" {
		t.Fatalf("store not empty after failures: %q", out)
	}
	// A retry after the failures succeeds.
	c.pullArchive(t, "")
}

// login checks credentials against the registry and stores them in the
// auth file; pulls then use them; logout removes them.
func TestImageLoginLogout(t *testing.T) {
	c := newImageCLI(t)
	reg := withRegistry(t, c.CLI, true)
	auth := t.TempDir() + "/auth.json"
	c.Env = append(c.Env, "REGISTRY_AUTH_FILE="+auth)
	p := c.PolicyPath
	c.pullArchive(t, "bb:1")
	ref := reg.Ref("selkie/bb:1")
	mustFail(t, c.CLI, 125, "authentication required", "push", "--signature-policy", p, "bb:1", ref)
	mustFail(t, c.CLI, 125, "invalid username/password", "login", "-u", reg.User, "-p", "wrong", reg.Addr)
	r := c.RunStdin(strings.NewReader(reg.Password+"\n"), "login", "-u", reg.User, "--password-stdin", reg.Addr)
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "Login Succeeded!") {
		t.Fatalf("login: %s", r)
	}
	c.Must(t, "push", "--signature-policy", p, "bb:1", ref)
	c.Must(t, "rmi", "bb:1")
	c.Must(t, "pull", "-q", "--signature-policy", p, ref)
	if out := c.Must(t, "logout", reg.Addr); out != "Removed login credentials for "+reg.Addr {
		t.Fatalf("logout: %q", out)
	}
	mustFail(t, c.CLI, 125, "not logged into", "logout", reg.Addr)
	// --authfile wins over REGISTRY_AUTH_FILE; logout --all empties it.
	other := t.TempDir() + "/other.json"
	c.Must(t, "login", "--authfile", other, "-u", reg.User, "-p", reg.Password, reg.Addr)
	if data, err := os.ReadFile(other); err != nil || !strings.Contains(string(data), reg.Addr) {
		t.Fatalf("--authfile not written: %q %v", data, err)
	}
	if out := c.Must(t, "logout", "--authfile", other, "--all"); out != "Removed login credentials for all registries" {
		t.Fatalf("logout --all: %q", out)
	}
	if data, _ := os.ReadFile(other); strings.Contains(string(data), reg.Addr) {
		t.Fatalf("logout --all left %q", data)
	}
	mustFail(t, c.CLI, 125, "authentication required", "pull", "--signature-policy", p, ref)
	// --creds works without a login.
	c.Must(t, "pull", "-q", "--creds", reg.User+":"+reg.Password, "--signature-policy", p, ref)
	mustFail(t, c.CLI, 125, "authentication required", "pull", "--creds", reg.User+":nope", "--signature-policy", p, ref)
}

// push --format and --digestfile; pull --all-tags pulls every tag.
func TestImagePushFormatsAllTags(t *testing.T) {
	c := newImageCLI(t)
	reg := withRegistry(t, c.CLI, false)
	p := c.PolicyPath
	c.pullArchive(t, "bb:1")
	df := t.TempDir() + "/digest"
	c.Must(t, "push", "--format", "v2s2", "--digestfile", df, "--signature-policy", p, "bb:1", reg.Ref("multi/bb:v2s2"))
	d, err := os.ReadFile(df)
	if err != nil || !strings.HasPrefix(string(d), "sha256:") || len(d) != 71 {
		t.Fatalf("digestfile: %q %v", d, err)
	}
	c.Must(t, "push", "-q", "--format", "oci", "--signature-policy", p, "bb:1", reg.Ref("multi/bb:oci"))
	mustFail(t, c.CLI, 125, "unknown format", "push", "--format", "bogus", "bb:1", reg.Ref("multi/bb:x"))
	c2 := newImageCLI(t)
	c2.RegistriesConf = reg.RegistriesConf
	ids := lines(c2.Must(t, "pull", "-q", "--all-tags", "--signature-policy", p, reg.Ref("multi/bb")))
	if len(ids) != 2 {
		t.Fatalf("--all-tags pulled %v", ids)
	}
	types := c2.Must(t, "images", "--format", "{{.Tag}}", "--sort", "tag")
	if types != "oci\nv2s2" {
		t.Fatalf("tags after --all-tags: %q", types)
	}
	mt := c2.Must(t, "image", "inspect", "--format", "{{.ManifestType}}", reg.Ref("multi/bb:v2s2"))
	if mt != "application/vnd.docker.distribution.manifest.v2+json" {
		t.Fatalf("v2s2 push stored %q", mt)
	}
	mustFail(t, c2.CLI, 125, "tag can't be used with --all-tags", "pull", "-a", reg.Ref("multi/bb:oci"))
}

// A registry that accepts connections and never answers does not hang a
// pull: the stall guard cancels it (security.md corpus 14).
func TestImagePullStalledRegistry(t *testing.T) {
	c := newImageCLI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // hold it open, say nothing
		}
	}()
	conf := filepath.Join(t.TempDir(), "registries.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("[[registry]]\nlocation = %q\ninsecure = true\n", ln.Addr().String())), 0o644)
	c.RegistriesConf = conf
	c.Env = append(c.Env, "SELKIE_REGISTRY_STALL_TIMEOUT=2s")
	start := time.Now()
	mustFail(t, c.CLI, 125, "no progress for 2s: registry stalled", "pull", "--retry", "0", "--tls-verify=false", "--signature-policy", c.PolicyPath, ln.Addr().String()+"/x:1")
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("stalled pull took %s", d)
	}
	c.Must(t, "images")
}
