package build

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
)

// Limits of what a remote build context may be.
const (
	// MaxContextDownload bounds a context tarball fetched over HTTP.
	MaxContextDownload = 4 << 30
	// MaxContainerfileDownload bounds a Containerfile fetched over HTTP.
	MaxContainerfileDownload = 16 << 20
	// remoteTimeout bounds one download or clone.
	remoteTimeout = 10 * time.Minute
)

// RemoteKind tells what a build context argument names, as Podman does:
// "git" for git://…, http(s)://…/x.git (with an optional #ref[:subdir])
// and github.com/…; "http" for another http(s) URL (a tarball, or a
// Containerfile alone); "" for a local directory.
func RemoteKind(ref string) string {
	switch {
	case strings.HasPrefix(ref, "git://"), strings.HasPrefix(ref, "github.com/"):
		return "git"
	case IsURL(ref):
		u, err := url.Parse(ref)
		if err == nil && strings.HasSuffix(u.Path, ".git") {
			return "git"
		}
		return "http"
	}
	return ""
}

// FetchContext materialises a remote context in dir (an empty, private
// directory) and returns the directory to build in (dir, or a
// subdirectory of it named by a git fragment).
func FetchContext(ctx context.Context, ref, dir string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, remoteTimeout)
	defer cancel()
	var err error
	sub := ""
	switch RemoteKind(ref) {
	case "git":
		sub, err = gitContext(ctx, ref, dir)
	case "http":
		err = httpContext(ctx, ref, dir)
	default:
		return "", fmt.Errorf("%q is not a URL", ref)
	}
	if err != nil {
		return "", oneLine(err)
	}
	if sub == "" {
		return dir, nil
	}
	return securejoin.SecureJoin(dir, sub)
}

// oneLine keeps an error on one line (git and tar errors may span several).
func oneLine(err error) error {
	msg := err.Error()
	if !strings.ContainsAny(msg, "\r\n") {
		return err
	}
	return &lineError{msg: strings.Join(strings.Fields(msg), " "), err: err}
}

type lineError struct {
	msg string
	err error
}

func (e *lineError) Error() string { return e.msg }
func (e *lineError) Unwrap() error { return e.err }

// httpGet fetches rawURL into a temporary file in dir, refusing bodies
// larger than max bytes (by Content-Length, and while reading).
func httpGet(ctx context.Context, rawURL, dir string, max int64) (*os.File, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q", rawURL)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: invalid response status %d", rawURL, resp.StatusCode)
	}
	if resp.ContentLength > max {
		return nil, fmt.Errorf("fetching %s: %d bytes is more than the limit of %d", rawURL, resp.ContentLength, max)
	}
	f, err := os.CreateTemp(dir, ".download-")
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, max+1))
	if err == nil && n > max {
		err = fmt.Errorf("fetching %s: more than the limit of %d bytes", rawURL, max)
	} else if err != nil {
		err = fmt.Errorf("fetching %s: %w", rawURL, err)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// FetchContainerfile downloads a Containerfile named by a URL (-f URL).
func FetchContainerfile(ctx context.Context, rawURL, tmpDir string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, remoteTimeout)
	defer cancel()
	f, err := httpGet(ctx, rawURL, tmpDir, MaxContainerfileDownload)
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	return io.ReadAll(f)
}

// httpContext fetches a context over HTTP: a (compressed) tar archive is
// extracted into dir, confined to it; anything else is the Dockerfile.
func httpContext(ctx context.Context, rawURL, dir string) error {
	tmp := filepath.Dir(dir)
	f, err := httpGet(ctx, rawURL, tmp, MaxContextDownload)
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(512)
	isTar := archive.DetectCompression(head) != archive.Uncompressed
	if !isTar && len(head) >= 512 {
		_, terr := tar.NewReader(bytes.NewReader(head)).Next()
		isTar = terr == nil
	}
	if !isTar {
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if fi.Size() > MaxContainerfileDownload {
			return fmt.Errorf("fetching %s: not a tar archive, and too large (%d bytes) for a Containerfile", rawURL, fi.Size())
		}
		return copyToNew(filepath.Join(dir, "Dockerfile"), br)
	}
	if err := chrootarchive.Untar(br, dir, &archive.TarOptions{NoLchown: os.Geteuid() != 0}); err != nil {
		return fmt.Errorf("extracting the build context from %s: %w", rawURL, err)
	}
	return nil
}

func copyToNew(p string, r io.Reader) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// GitSource splits a git context into the repository URL, the ref and the
// subdirectory (URL#ref:subdir); github.com/… becomes https://github.com/….
func GitSource(ref string) (repo, gitRef, sub string, err error) {
	repo, frag, _ := strings.Cut(ref, "#")
	gitRef, sub, _ = strings.Cut(frag, ":")
	if strings.HasPrefix(repo, "github.com/") {
		repo = "https://" + repo
	}
	if strings.HasPrefix(gitRef, "-") {
		return "", "", "", fmt.Errorf("invalid git ref %q", gitRef)
	}
	if sub != "" {
		clean := path.Clean(strings.TrimLeft(sub, "/"))
		if !filepath.IsLocal(clean) && clean != "." {
			return "", "", "", fmt.Errorf("git context subdirectory %q: %w", sub, ErrEscape)
		}
		sub = clean
	}
	return repo, gitRef, sub, nil
}

// gitContext fetches the repository's ref (default HEAD) into dir with
// the git client (no submodules, no prompts) and returns the subdirectory.
func gitContext(ctx context.Context, ref, dir string) (string, error) {
	repo, gitRef, sub, err := GitSource(ref)
	if err != nil {
		return "", err
	}
	if _, err := exec.LookPath("git"); err != nil {
		return "", fmt.Errorf("cloning %s: git is not installed", repo)
	}
	if gitRef == "" {
		gitRef = "HEAD"
	}
	git := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir, "-c", "protocol.ext.allow=never", "-c", "core.symlinks=true"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=/bin/true", "SSH_ASKPASS=/bin/true", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			msg := strings.TrimSpace(string(out))
			if len(msg) > 500 {
				msg = msg[len(msg)-500:]
			}
			return fmt.Errorf("git %s: %s: %w", args[0], msg, err)
		}
		return nil
	}
	if err := git("init", "-q"); err != nil {
		return "", fmt.Errorf("cloning %s: %w", repo, err)
	}
	if err := git("remote", "add", "origin", repo); err != nil {
		return "", fmt.Errorf("cloning %s: %w", repo, err)
	}
	// A shallow fetch first; the dumb HTTP transport cannot do it.
	if err := git("fetch", "-q", "--depth=1", "origin", gitRef); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("cloning %s: %w", repo, err)
		}
		if err := git("fetch", "-q", "origin", gitRef); err != nil {
			return "", fmt.Errorf("cloning %s: %w", repo, err)
		}
	}
	if err := git("checkout", "-q", "FETCH_HEAD"); err != nil {
		return "", fmt.Errorf("cloning %s: %w", repo, err)
	}
	return sub, nil
}
