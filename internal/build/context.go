package build

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// ErrEscape marks a source outside the context.
var ErrEscape = errors.New("possible escaping context directory error")

// Source is a tree COPY reads from: the build context (with its ignore
// patterns) or the rootfs of a stage or image. Every path is resolved inside
// Root: symlinks are followed only within it.
type Source struct {
	Root    string
	Matcher *patternmatcher.PatternMatcher // nil: nothing excluded
	// Exclude holds a COPY/ADD's --exclude patterns (nil: none). They
	// match a path relative to the source being copied (COPY
	// --exclude=*.go dir /d/ leaves out dir/*.go), or the path relative to
	// the root (the source itself: COPY --exclude=*.txt hom* /d/).
	Exclude *patternmatcher.PatternMatcher
}

// WithExcludes returns a copy of s that also leaves out what the
// --exclude patterns match.
func (s *Source) WithExcludes(patterns []string) (*Source, error) {
	if len(patterns) == 0 {
		return s, nil
	}
	for _, p := range patterns {
		if strings.TrimSpace(p) == "" {
			return nil, errors.New("--exclude: empty pattern")
		}
	}
	m, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("--exclude: %w", err)
	}
	c := *s
	c.Exclude = m
	return &c, nil
}

// ExcludedMatch tells whether a source itself is left out by --exclude.
func (s *Source) ExcludedMatch(m Match) bool {
	if s.Exclude == nil {
		return false
	}
	return matches(s.Exclude, m.Rel) || matches(s.Exclude, filepath.Base(m.Rel))
}

// excludedBelow tells whether the entry rel (relative to the match m)
// is left out by --exclude.
func (s *Source) excludedBelow(m Match, rel string) bool {
	if s.Exclude == nil || rel == "." {
		return false
	}
	return matches(s.Exclude, rel) || matches(s.Exclude, filepath.Join(m.Rel, rel))
}

func matches(pm *patternmatcher.PatternMatcher, rel string) bool {
	if rel == "." || rel == "" {
		return false
	}
	ok, err := pm.MatchesOrParentMatches(filepath.ToSlash(rel))
	return err == nil && ok
}

// LoadIgnore reads the ignore file: ignoreFile if set, else
// <context>/.containerignore, else <context>/.dockerignore.
func LoadIgnore(contextDir, ignoreFile string) (*patternmatcher.PatternMatcher, error) {
	candidates := []string{ignoreFile}
	if ignoreFile == "" {
		candidates = []string{filepath.Join(contextDir, ".containerignore"), filepath.Join(contextDir, ".dockerignore")}
	}
	for _, p := range candidates {
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) && ignoreFile == "" {
			continue
		}
		if err != nil {
			return nil, err
		}
		patterns, err := ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		if len(patterns) == 0 {
			return nil, nil
		}
		return patternmatcher.New(patterns)
	}
	return nil, nil
}

// Match is one source a COPY pattern named.
type Match struct {
	Path string // host path, inside Root, symlinks resolved
	Rel  string // path relative to Root as matched
	Info fs.FileInfo
}

func (s *Source) excluded(rel string) bool {
	if s.Matcher == nil || rel == "." {
		return false
	}
	m, err := s.Matcher.MatchesOrParentMatches(filepath.ToSlash(rel))
	return err == nil && m
}

// cleanRel makes a COPY source relative to the root; ".." leaving the root
// is an error (the source would escape the context).
func cleanRel(p string) (string, error) {
	rel := filepath.Clean(strings.TrimLeft(p, "/"))
	if rel == "" {
		rel = "."
	}
	if !filepath.IsLocal(rel) && rel != "." {
		return "", fmt.Errorf("%w: %q", ErrEscape, p)
	}
	return rel, nil
}

// Resolve finds the sources a COPY pattern names (globs allowed).
func (s *Source) Resolve(pattern string) ([]Match, error) {
	if strings.HasPrefix(filepath.Clean(pattern), "..") {
		return nil, fmt.Errorf("%w: %q", ErrEscape, pattern)
	}
	rel, err := cleanRel(pattern)
	if err != nil {
		return nil, err
	}
	if !strings.ContainsAny(rel, "*?[") {
		m, err := s.lookup(rel)
		if err != nil {
			return nil, err
		}
		return []Match{m}, nil
	}
	depth := strings.Count(rel, "/")
	var out []Match
	err = filepath.WalkDir(s.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(s.Root, p)
		if r == "." {
			return nil
		}
		if ok, _ := filepath.Match(rel, r); ok && !s.excluded(r) {
			m, err := s.lookup(r)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		if d.IsDir() && strings.Count(r, "/") >= depth {
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no source files were specified: %w", &fs.PathError{Op: "stat", Path: "/" + rel, Err: syscall.ENOENT})
	}
	return out, nil
}

func (s *Source) lookup(rel string) (Match, error) {
	if s.excluded(rel) {
		return Match{}, &fs.PathError{Op: "stat", Path: "/" + rel, Err: syscall.ENOENT}
	}
	p, err := securejoin.SecureJoin(s.Root, rel)
	if err != nil {
		return Match{}, err
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return Match{}, &fs.PathError{Op: "stat", Path: "/" + rel, Err: syscall.ENOENT}
	}
	return Match{Path: p, Rel: rel, Info: fi}, nil
}

// Entry is one file below a match.
type Entry struct {
	Path string // host path
	Rel  string // relative to the match ("." for the match itself)
	Info fs.FileInfo
}

// Walk lists the match and (for a directory) everything below it that the
// ignore patterns keep, in lexical order. Symlinks are not followed.
func (s *Source) Walk(m Match, fn func(Entry) error) error {
	if s.ExcludedMatch(m) {
		return nil
	}
	if !m.Info.IsDir() {
		return fn(Entry{Path: m.Path, Rel: ".", Info: m.Info})
	}
	return filepath.WalkDir(m.Path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(m.Path, p)
		if r != "." && s.Matcher != nil {
			full := filepath.Join(m.Rel, r)
			if s.excluded(full) {
				if d.IsDir() && !s.Matcher.Exclusions() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		if s.excludedBelow(m, r) {
			if d.IsDir() && !s.Exclude.Exclusions() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return fn(Entry{Path: p, Rel: r, Info: fi})
	})
}

// Digest is a content digest of the matches (names, modes, link targets,
// file contents) for the layer cache.
func (s *Source) Digest(ms []Match) (string, error) {
	h := sha256.New()
	for _, m := range ms {
		fmt.Fprintf(h, "match %s\n", m.Rel)
		err := s.Walk(m, func(e Entry) error { return hashEntry(h, e) })
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashEntry(h hash.Hash, e Entry) error {
	fmt.Fprintf(h, "%s %o", e.Rel, e.Info.Mode())
	switch {
	case e.Info.Mode()&fs.ModeSymlink != 0:
		t, err := os.Readlink(e.Path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, " -> %s", t)
	case e.Info.Mode().IsRegular():
		f, err := os.Open(e.Path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, " %d ", e.Info.Size())
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	h.Write([]byte{'\n'})
	return nil
}

// SortedKeys returns m's keys sorted.
func SortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
