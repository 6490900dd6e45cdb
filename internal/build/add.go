package build

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
	"go.podman.io/storage/pkg/idtools"
)

// IsURL reports whether an ADD source is a URL.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// IsArchive reports whether the file is a (possibly compressed) tar
// archive, which ADD extracts. Decompression is done in-process.
func IsArchive(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	rc, err := archive.DecompressStream(bufio.NewReader(f))
	if err != nil {
		return false
	}
	defer rc.Close()
	_, err = tar.NewReader(rc).Next()
	return err == nil
}

// ExtractInto extracts the archive at p into dir (inside rootfs), confined
// by chroot; entries are owned by o's UID/GID unless KeepOwner.
func ExtractInto(rootfs, dir, p string, o CopyOptions) error {
	_, full, err := prepare(rootfs, path.Join(dir, "x"), o)
	if err != nil {
		return err
	}
	target := full[:len(full)-2]
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	opts := &archive.TarOptions{NoLchown: false}
	if !o.KeepOwner {
		opts.ChownOpts = &idtools.IDPair{UID: o.UID, GID: o.GID}
	}
	return chrootarchive.Untar(f, target, opts)
}

// Fetch downloads rawURL to a temporary file in tmpDir, checking checksum
// (a digest like sha256:…) when given. It returns the file and the name
// the URL suggests.
func Fetch(ctx context.Context, rawURL, checksum, tmpDir string) (string, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", "", fmt.Errorf("invalid URL %q: %w", rawURL, err)
	}
	var want digest.Digest
	if checksum != "" {
		if want, err = digest.Parse(checksum); err != nil {
			return "", "", fmt.Errorf("invalid checksum %q: %w", checksum, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("fetching %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("fetching %s: invalid response status %d", rawURL, resp.StatusCode)
	}
	f, err := os.CreateTemp(tmpDir, "add-*")
	if err != nil {
		return "", "", err
	}
	h := sha256.New()
	var verifier digest.Verifier
	w := io.Writer(f)
	if want != "" {
		verifier = want.Verifier()
		w = io.MultiWriter(f, verifier)
	} else {
		w = io.MultiWriter(f, h)
	}
	_, err = io.Copy(w, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && verifier != nil && !verifier.Verified() {
		err = fmt.Errorf("unexpected response digest for %q: want %s", rawURL, want)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", "", err
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." || name == "" {
		name = "index.html"
	}
	return f.Name(), name, nil
}
