package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/build"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
)

// cacheMetaPrefix marks an intermediate build image's cache key in the
// store's image metadata.
// The metadata stays JSON: containers/image's storage transport decodes it.
const cacheMetaPrefix = `{"selkie-build-cache":"`

// buildStepError is a failed step: Podman's "building at STEP" text, and
// the RUN's exit status as the process exit code when a RUN failed.
type buildStepError struct {
	msg  string
	code int
	err  error
}

func (e *buildStepError) Error() string { return e.msg }
func (e *buildStepError) Unwrap() []error {
	if e.code != 0 {
		return []error{&engine.ExitCodeError{Code: e.code}, e.err}
	}
	return []error{e.err}
}

// Build runs a Containerfile: each stage from its FROM image, metadata
// steps edit the config, COPY/ADD write a layer through a working storage
// container, RUN runs through the engine's own container path and commits
// the container's changes. With o.Layers each step is an intermediate image
// keyed by (parent, instruction, sources digest) for the cache.
func (e *Engine) Build(ctx context.Context, o engine.BuildOptions) (*engine.BuildReport, error) {
	st, err := e.Store()
	if err != nil {
		return nil, err
	}
	b := &builder{e: e, st: st, o: o, out: o.Out, errw: o.Err, stageImages: map[string]string{}, used: map[string]bool{}}
	if b.out == nil || o.Quiet {
		b.out = io.Discard
	}
	if b.errw == nil {
		b.errw = io.Discard
	}
	if _, _, err := parseOutput(o.Output); err != nil {
		return nil, err
	}
	if o.Jobs < 0 {
		return nil, fmt.Errorf("building: invalid value for jobs.  It must be a positive integer: %w", engine.ErrInvalidArg)
	}
	if b.mtype, err = commitFormat(o.Format); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Join(st.GraphRoot(), "selkie"), "build-")
	if err != nil {
		if err := os.MkdirAll(filepath.Join(st.GraphRoot(), "selkie"), 0o700); err != nil {
			return nil, err
		}
		if tmp, err = os.MkdirTemp(filepath.Join(st.GraphRoot(), "selkie"), "build-"); err != nil {
			return nil, err
		}
	}
	b.tmp = tmp
	defer os.RemoveAll(tmp)
	defer b.cleanup()
	if err := b.prepareContext(ctx); err != nil {
		return nil, err
	}
	if err := b.buildContexts(ctx); err != nil {
		return nil, err
	}
	data, err := b.containerfile(ctx)
	if err != nil {
		return nil, err
	}
	f, err := build.Parse(data)
	if err != nil {
		return nil, invalidArg(err)
	}
	b.file = f
	b.lex = build.NewLexer(f.Escape)
	if err := b.parseSecrets(); err != nil {
		return nil, err
	}
	getenv := func(k string) string {
		if k == "SSH_AUTH_SOCK" {
			return o.SSHAuthSock
		}
		return ""
	}
	if b.ssh, err = build.ParseSSH(o.SSH, getenv); err != nil {
		return nil, invalidArg(err)
	}
	id, err := b.run(ctx)
	if err != nil {
		return nil, err
	}
	if o.IIDFile != "" {
		if err := writeFileAtomic(o.IIDFile, []byte("sha256:"+id), 0o644); err != nil {
			return nil, err
		}
	}
	if o.Output != "" {
		if err := b.export(id, o.Output); err != nil {
			return nil, err
		}
	}
	return &engine.BuildReport{ID: id, Names: b.names}, nil
}

type builder struct {
	e     *Engine
	st    cstorage.Store
	o     engine.BuildOptions
	out   io.Writer
	errw  io.Writer
	mtype string
	tmp   string

	contextDir string
	remoteCtx  bool // the context was fetched from a URL
	ctxSrc     *build.Source
	file       *build.File
	lex        *build.Lexer
	secrets    map[string]string // id → host file
	ssh        map[string]build.SSHSource
	// ctxDirs and ctxImages are the --build-context names: a directory
	// (host path, confined reads) or an image reference.
	ctxDirs   map[string]string
	ctxImages map[string]string

	global      map[string]string // meta ARG values (before the first FROM)
	used        map[string]bool
	stageImages map[string]string // stage name and index → final image ID
	created     []string          // intermediate images (removed without --layers)
	cleanups    []func()
	names       []string
	// mu guards stageImages, created, cleanups and used while stages run
	// concurrently (--jobs), and keeps output lines whole.
	mu       sync.Mutex
	parallel bool
}

func (b *builder) cleanup() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.cleanups) - 1; i >= 0; i-- {
		b.cleanups[i]()
	}
}

// prepareContext settles the context directory (extracting a tar context,
// confined) and its ignore patterns.
func (b *builder) prepareContext(ctx context.Context) error {
	dir := b.o.ContextDir
	if build.RemoteKind(dir) != "" {
		// A URL: a tarball, a Containerfile alone, or a git repository,
		// fetched into a private directory.
		tmp := filepath.Join(b.tmp, "context")
		if err := os.Mkdir(tmp, 0o700); err != nil {
			return err
		}
		d, err := build.FetchContext(ctx, dir, tmp)
		if err != nil {
			return invalidArg(err)
		}
		dir = d
		b.remoteCtx = true
	} else if b.o.ContextArchive != nil {
		dir = filepath.Join(b.tmp, "context")
		if err := os.Mkdir(dir, 0o700); err != nil {
			return err
		}
		if err := chrootarchive.Untar(b.o.ContextArchive, dir, nil); err != nil {
			return fmt.Errorf("extracting the build context: %w: %w", err, engine.ErrInvalidArg)
		}
	}
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return fmt.Errorf("context directory %q: %w: %w", dir, err, engine.ErrInvalidArg)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("context directory %q: %w: %w", dir, err, engine.ErrInvalidArg)
	}
	if !fi.IsDir() {
		return fmt.Errorf("context %q is not a directory: %w", dir, engine.ErrInvalidArg)
	}
	b.contextDir = abs
	m, err := build.LoadIgnore(abs, b.o.IgnoreFile)
	if err != nil {
		return fmt.Errorf("reading the ignore file: %w: %w", err, engine.ErrInvalidArg)
	}
	b.ctxSrc = &build.Source{Root: abs, Matcher: m}
	return nil
}

// containerfile reads the Containerfile(s): -f paths (relative to the
// working directory, then the context), else Containerfile or Dockerfile
// in the context. A Containerfile inside the context is read confined to it.
func (b *builder) containerfile(ctx context.Context) ([]byte, error) {
	if b.o.ContainerfileData != nil {
		return b.o.ContainerfileData, nil
	}
	files := b.o.Containerfiles
	if len(files) == 0 {
		for _, n := range []string{"Containerfile", "Dockerfile"} {
			p := filepath.Join(b.contextDir, n)
			if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
				files = []string{p}
				break
			}
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("no Containerfile or Dockerfile specified or found in context directory, %s: %w", b.contextDir, engine.ErrInvalidArg)
		}
	}
	var data []byte
	for _, f := range files {
		if build.IsURL(f) {
			d, err := build.FetchContainerfile(ctx, f, b.tmp)
			if err != nil {
				return nil, invalidArg(err)
			}
			data = append(append(data, d...), '\n')
			continue
		}
		var d []byte
		err := fs.ErrNotExist
		if !b.remoteCtx || filepath.IsAbs(f) {
			d, err = os.ReadFile(f)
		}
		// A relative path is also looked up in the context (only there
		// for a context from a URL), confined to it.
		if err != nil && !filepath.IsAbs(f) {
			if m, rerr := b.ctxSrc.Resolve(f); rerr == nil && m[0].Info.Mode().IsRegular() {
				d, err = os.ReadFile(m[0].Path)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("the specified Containerfile or Dockerfile does not exist, %s: %w", f, engine.ErrInvalidArg)
		}
		data = append(data, d...)
		data = append(data, '\n')
	}
	return data, nil
}

func (b *builder) parseSecrets() error {
	b.secrets = map[string]string{}
	for _, s := range b.o.Secrets {
		var id, src, env string
		for _, kv := range strings.Split(s, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "id":
				id = v
			case "src", "source":
				src = v
			case "env":
				env = v
			case "type":
			default:
				return fmt.Errorf("invalid secret %q: unknown option %q: %w", s, k, engine.ErrInvalidArg)
			}
		}
		if id == "" {
			return fmt.Errorf("invalid secret %q: no id: %w", s, engine.ErrInvalidArg)
		}
		if src == "" && env != "" {
			p := filepath.Join(b.tmp, "secret-"+strconv.Itoa(len(b.secrets)))
			if err := os.WriteFile(p, []byte(os.Getenv(env)), 0o600); err != nil {
				return err
			}
			src = p
		}
		if src == "" {
			src = id
		}
		if _, err := os.Stat(src); err != nil {
			return fmt.Errorf("secret %q: %w: %w", id, err, engine.ErrInvalidArg)
		}
		abs, err := filepath.Abs(src)
		if err != nil {
			return err
		}
		b.secrets[id] = abs
	}
	return nil
}

// stageState is a stage being built.
type stageState struct {
	index   int
	name    string
	prefix  string
	imageID string // current image ("" while scratch without a step)
	top     string // its top layer
	cfg     v1.Image
	args    *build.Args
	shell   []string
	health  *dockerspec.HealthcheckConfig
	onbuild []string
	cmdSet  bool
	// cached: the stage's current image came from the layer cache.
	cached bool
	// baseTop and baseHistory are the FROM image's top layer and history length (for --squash).
	baseTop     string
	baseHistory int
	parents     bool // the COPY being run has --parents
	used        map[string]bool
	// out and errw receive the stage's progress and warnings, runOut and
	// runErr its RUN output: whole lines at a time when stages run concurrently.
	out, errw, runOut, runErr io.Writer
	flushers                  []*lineWriter
}

// lineWriter passes whole lines to w under mu; Flush writes the rest.
type lineWriter struct {
	mu  *sync.Mutex
	w   io.Writer
	buf []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	if i := bytes.LastIndexByte(l.buf, '\n'); i >= 0 {
		l.mu.Lock()
		_, err := l.w.Write(l.buf[:i+1])
		l.mu.Unlock()
		l.buf = append(l.buf[:0], l.buf[i+1:]...)
		if err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (l *lineWriter) Flush() {
	if len(l.buf) == 0 {
		return
	}
	l.mu.Lock()
	_, _ = l.w.Write(l.buf)
	l.mu.Unlock()
	l.buf = nil
}

// stageWriters sets the stage's outputs: the build's own writers, or
// line-buffered ones when stages run concurrently.
func (b *builder) stageWriters(s *stageState) {
	s.out, s.errw, s.runOut, s.runErr = b.out, b.errw, b.runOut(), b.runErr()
	if !b.parallel {
		return
	}
	wrap := func(w io.Writer) io.Writer {
		if w == io.Discard {
			return w
		}
		l := &lineWriter{mu: &b.mu, w: w}
		s.flushers = append(s.flushers, l)
		return l
	}
	s.out, s.errw, s.runOut, s.runErr = wrap(s.out), wrap(s.errw), wrap(s.runOut), wrap(s.runErr)
}

func (s *stageState) flush() {
	for _, l := range s.flushers {
		l.Flush()
	}
}

// run builds the stages the target needs and returns the final image ID.
func (b *builder) run(ctx context.Context) (string, error) {
	f := b.file
	globalArgs := build.NewArgs(b.o.BuildArgs, b.used)
	for _, a := range f.MetaArgs {
		for _, kv := range a.Args {
			def := kv.Value
			if def != nil {
				v, err := b.lex.Expander(globalArgs.Env())(*def)
				if err != nil {
					return "", fmt.Errorf("expanding ARG %s: %w: %w", kv.Key, err, engine.ErrInvalidArg)
				}
				def = &v
			}
			globalArgs.Declare(kv.Key, def, nil)
		}
	}
	b.global = globalArgs.Values()
	target := len(f.Stages) - 1
	if b.o.Target != "" {
		i, ok := instructions.HasStage(f.Stages, b.o.Target)
		if !ok {
			return "", fmt.Errorf("the target %q was not found in the provided Containerfile: %w", b.o.Target, engine.ErrInvalidArg)
		}
		target = i
	}
	needed := b.neededStages(target)
	if b.o.AllStages {
		for i := 0; i <= target; i++ {
			needed[i] = true
		}
	}
	var order []int
	for i := 0; i <= target; i++ {
		if needed[i] {
			order = append(order, i)
		}
	}
	prefixes := map[int]string{}
	for n, i := range order {
		if len(order) > 1 {
			prefixes[i] = fmt.Sprintf("[%d/%d] ", n+1, len(order))
		}
	}
	var finalID string
	if b.o.Jobs == 1 || len(order) < 2 {
		for _, i := range order {
			id, err := b.buildStage(ctx, i, prefixes[i], i == target)
			if err != nil {
				return "", err
			}
			b.setStageImage(i, id)
			finalID = id
		}
	} else {
		id, err := b.runConcurrently(ctx, order, prefixes, target)
		if err != nil {
			return "", err
		}
		finalID = id
	}
	if unused := build.Unused(b.o.BuildArgs, b.used); len(unused) > 0 {
		fmt.Fprintf(b.errw, "[Warning] one or more build args were not consumed: %v\n", unused)
	}
	if !b.o.Layers {
		for _, id := range b.created {
			if id != finalID {
				_, _ = b.st.DeleteImage(id, true)
			}
		}
	}
	if b.o.Quiet {
		fmt.Fprintln(b.o.Out, finalID)
	} else {
		fmt.Fprintln(b.out, finalID)
	}
	return finalID, nil
}

func (b *builder) setStageImage(i int, id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stageImages[strconv.Itoa(i)] = id
	if name := b.file.Stages[i].Name; name != "" {
		b.stageImages[strings.ToLower(name)] = id
	}
}

// runConcurrently builds the stages in order, each once the stages it
// depends on are built, at most o.Jobs at once (0: no limit). The first
// failure cancels the others.
func (b *builder) runConcurrently(ctx context.Context, order []int, prefixes map[int]string, target int) (string, error) {
	b.parallel = true
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var sem chan struct{}
	if b.o.Jobs > 0 {
		sem = make(chan struct{}, b.o.Jobs)
	}
	done := map[int]chan struct{}{}
	for _, i := range order {
		done[i] = make(chan struct{})
	}
	var (
		errMu    sync.Mutex
		firstErr error
		finalID  string
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
		cancel()
	}
	for _, i := range order {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer close(done[i])
			for j := range b.stageDeps(i) {
				if ch, ok := done[j]; ok {
					select {
					case <-ch:
					case <-ctx.Done():
						return
					}
				}
			}
			if sem != nil {
				select {
				case sem <- struct{}{}:
					defer func() { <-sem }()
				case <-ctx.Done():
					return
				}
			}
			if ctx.Err() != nil {
				return
			}
			id, err := b.buildStage(ctx, i, prefixes[i], i == target)
			if err != nil {
				fail(err)
				return
			}
			b.setStageImage(i, id)
			if i == target {
				finalID = id
			}
		}(i)
	}
	wg.Wait()
	if firstErr != nil {
		return "", firstErr
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return finalID, nil
}

// stageLookup finds a stage by name or index.
func (b *builder) stageLookup(ref string) (int, bool) {
	f := b.file
	if n, err := strconv.Atoi(ref); err == nil && n >= 0 && n < len(f.Stages) {
		return n, true
	}
	return instructions.HasStage(f.Stages, ref)
}

// stageDeps are the earlier stages stage i reads (FROM a stage, COPY
// --from, RUN --mount from=); a reference made of ARGs counts as all of them.
func (b *builder) stageDeps(i int) map[int]bool {
	deps := map[int]bool{}
	add := func(ref string) {
		if ref == "" {
			return
		}
		if b.namedContext(ref) {
			return
		}
		if strings.Contains(ref, "$") {
			v, err := b.lex.Expander(mapEnv(b.global))(ref)
			if err != nil || v == "" || strings.Contains(v, "$") {
				for j := 0; j < i; j++ {
					deps[j] = true
				}
				return
			}
			ref = v
		}
		if j, ok := b.stageLookup(ref); ok && j < i {
			deps[j] = true
		}
	}
	s := b.file.Stages[i]
	add(s.BaseName)
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *instructions.CopyCommand:
			add(c.From)
		case *instructions.RunCommand:
			for _, m := range instructions.GetMounts(c) {
				add(m.From)
			}
		}
	}
	return deps
}

// neededStages marks the target and every stage it depends on.
func (b *builder) neededStages(target int) map[int]bool {
	needed := map[int]bool{}
	var mark func(i int)
	mark = func(i int) {
		if needed[i] {
			return
		}
		needed[i] = true
		for j := range b.stageDeps(i) {
			mark(j)
		}
	}
	mark(target)
	return needed
}

func (b *builder) now() time.Time {
	if b.o.Timestamp != nil {
		return time.Unix(*b.o.Timestamp, 0).UTC()
	}
	return time.Now().UTC()
}

func (b *builder) stageRef(ref string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, ok := b.stageImages[strings.ToLower(ref)]
	return id, ok
}

func stepText(c instructions.Command) string {
	if s, ok := c.(fmt.Stringer); ok {
		return s.String()
	}
	return c.Name()
}

func (b *builder) buildStage(ctx context.Context, idx int, prefix string, final bool) (string, error) {
	stage := b.file.Stages[idx]
	total := len(stage.Commands) + 1
	used := map[string]bool{}
	s := &stageState{index: idx, name: stage.Name, prefix: prefix, args: build.NewArgs(b.o.BuildArgs, used), shell: []string{"/bin/sh", "-c"}, used: used}
	b.stageWriters(s)
	defer s.flush()
	defer func() {
		b.mu.Lock()
		for k := range used {
			b.used[k] = true
		}
		b.mu.Unlock()
	}()
	fromText := stage.SourceCode
	fmt.Fprintf(s.out, "%sSTEP 1/%d: %s\n", prefix, total, fromText)
	fail := func(text string, err error) error {
		var se *buildStepError
		if errors.As(err, &se) {
			return err
		}
		if !errors.Is(err, engine.ErrInvalidArg) && !errors.Is(err, engine.ErrNoSuchImage) && !errors.Is(err, engine.ErrNotImplemented) && !errors.Is(err, context.Canceled) {
			err = invalidArg(err)
		}
		return &buildStepError{msg: fmt.Sprintf("building at STEP %q: %v", text, err), err: err}
	}
	if err := b.from(ctx, s, stage); err != nil {
		return "", fail(fromText, err)
	}
	// --env goes into every stage's config, as Buildah does.
	for _, kv := range b.o.Env {
		k, v, _ := strings.Cut(kv, "=")
		s.cfg.Config.Env = build.SetEnv(s.cfg.Config.Env, k, v)
	}
	// The base image's ONBUILD triggers run first, as part of FROM.
	for _, trig := range b.onbuildTriggers(s) {
		cmd, err := build.ParseTrigger(trig)
		if err != nil {
			return "", fail(fromText, err)
		}
		if err := b.step(ctx, s, cmd, false, false); err != nil {
			return "", fail(fromText+" (ONBUILD "+trig+")", err)
		}
	}
	if len(stage.Commands) == 0 {
		// FROM alone: commit a new image only when naming the final one.
		if final {
			if err := b.commitStep(s, "", v1.History{}, true, final); err != nil {
				return "", fail(fromText, err)
			}
		}
	}
	for i, c := range stage.Commands {
		text := stepText(c)
		fmt.Fprintf(s.out, "%sSTEP %d/%d: %s\n", prefix, i+2, total, text)
		last := i == len(stage.Commands)-1
		if err := b.step(ctx, s, c, last && final, last); err != nil {
			return "", fail(text, err)
		}
	}
	if s.imageID == "" {
		if err := b.commitStep(s, "", v1.History{}, true, final); err != nil {
			return "", fail(fromText, err)
		}
	}
	if final {
		return b.finish(s)
	}
	return s.imageID, nil
}

// from starts the stage from its base: an earlier stage, scratch, or an image.
func (b *builder) from(ctx context.Context, s *stageState, stage instructions.Stage) error {
	base, err := b.lex.Expander(mapEnv(b.global))(stage.BaseName)
	if err != nil {
		return err
	}
	if s.index == 0 && b.o.From != "" {
		base = b.o.From
	}
	if ref, ok := b.ctxImages[strings.ToLower(base)]; ok {
		base = ref
	} else if _, ok := b.ctxDirs[strings.ToLower(base)]; ok {
		return fmt.Errorf("FROM %s: the build context %q is a directory, not an image: %w", base, base, engine.ErrInvalidArg)
	}
	for _, plat := range []string{stage.Platform, b.o.Platform} {
		if plat == "" {
			continue
		}
		p, _ := b.lex.Expander(mapEnv(b.global))(plat)
		if want := build.PlatformArgs()["TARGETPLATFORM"]; p != "" && p != want && !strings.HasPrefix(p, want+"/") {
			return fmt.Errorf("platform %q: only the native platform %s is supported: %w", p, want, engine.ErrNotImplemented)
		}
	}
	var id string
	switch {
	case strings.EqualFold(base, "scratch"):
		s.cfg = v1.Image{Platform: v1.Platform{Architecture: build.PlatformArgs()["TARGETARCH"], OS: "linux"}, RootFS: v1.RootFS{Type: "layers"}}
		return nil
	default:
		if sid, ok := b.stageRef(base); ok {
			id = sid
			break
		}
		img, err := b.e.resolveImageWith(ctx, base, b.o.PullPolicy, engine.ImagePullOptions{RegistryOptions: b.o.Registry}, s.errw)
		if err != nil {
			return err
		}
		id = img.ID
	}
	if err := b.adopt(s, id); err != nil {
		return err
	}
	s.baseTop, s.baseHistory = s.top, len(s.cfg.History)
	return nil
}

func mapEnv(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, k := range build.SortedKeys(m) {
		out = append(out, k+"="+m[k])
	}
	return out
}

// adopt makes image id the stage's current state.
func (b *builder) adopt(s *stageState, id string) error {
	img, err := b.st.Image(id)
	if err != nil {
		return fmt.Errorf("%s: image not known: %w", id, engine.ErrNoSuchImage)
	}
	cfg, err := imageConfig(b.st, img)
	if err != nil {
		return err
	}
	s.imageID, s.top, s.cfg = img.ID, img.TopLayer, *cfg
	return nil
}

// onbuildTriggers are the Docker config's OnBuild entries of the stage's base.
func (b *builder) onbuildTriggers(s *stageState) []string {
	if s.imageID == "" {
		return nil
	}
	data, err := b.st.ImageBigData(s.imageID, "sha256:"+s.imageID)
	if err != nil {
		return nil
	}
	var raw struct {
		Config struct {
			OnBuild []string `json:"OnBuild"`
		} `json:"config"`
	}
	if json.Unmarshal(data, &raw) != nil {
		return nil
	}
	return raw.Config.OnBuild
}

// imageConfig reads an image's OCI config from the store.
func imageConfig(st cstorage.Store, img *cstorage.Image) (*v1.Image, error) {
	data, err := st.ImageBigData(img.ID, "sha256:"+img.ID)
	if err != nil {
		// Images stored under another config key: find it from the manifest.
		var m v1.Manifest
		raw, merr := st.ImageBigData(img.ID, "manifest")
		if merr != nil || json.Unmarshal(raw, &m) != nil {
			return nil, fmt.Errorf("reading the config of image %s: %w", img.ID, err)
		}
		if data, err = st.ImageBigData(img.ID, m.Config.Digest.String()); err != nil {
			return nil, fmt.Errorf("reading the config of image %s: %w", img.ID, err)
		}
	}
	var cfg v1.Image
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("decoding the config of image %s: %w", img.ID, err)
	}
	return &cfg, nil
}

// stepEnv is the environment words are expanded in: ARGs, then ENV (ENV wins).
func stepEnv(s *stageState) []string {
	return append(s.args.Env(), s.cfg.Config.Env...)
}

func (b *builder) step(ctx context.Context, s *stageState, c instructions.Command, named, last bool) error {
	switch c.(type) {
	case *instructions.RunCommand, *instructions.CmdCommand, *instructions.EntrypointCommand,
		*instructions.ShellCommand, *instructions.OnbuildCommand, *instructions.HealthCheckCommand:
		if rc, ok := c.(*instructions.RunCommand); ok {
			// Only the --mount options are expanded; the shell expands the command.
			if err := rc.Expand(b.lex.Expander(stepEnv(s))); err != nil {
				return err
			}
		}
	case *instructions.ArgCommand:
		// ARG defaults see the ARGs and ENV before them.
		if err := b.lex.Expand(c, stepEnv(s)); err != nil {
			return err
		}
	default:
		if err := b.lex.Expand(c, stepEnv(s)); err != nil {
			return err
		}
	}
	nop := func() v1.History {
		return v1.History{CreatedBy: "/bin/sh -c #(nop) " + stepText(c), EmptyLayer: true}
	}
	cc := &s.cfg.Config
	switch c := c.(type) {
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			cc.Env = build.SetEnv(cc.Env, kv.Key, kv.Value)
		}
	case *instructions.LabelCommand:
		for _, kv := range c.Labels {
			if cc.Labels == nil {
				cc.Labels = map[string]string{}
			}
			cc.Labels[kv.Key] = kv.Value
		}
	case *instructions.MaintainerCommand:
		s.cfg.Author = c.Maintainer
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			s.args.Declare(kv.Key, kv.Value, b.global)
		}
	case *instructions.CmdCommand:
		cc.Cmd = b.cmdLine(s, c.ShellDependantCmdLine)
		s.cmdSet = true
	case *instructions.EntrypointCommand:
		cc.Entrypoint = b.cmdLine(s, c.ShellDependantCmdLine)
		if !s.cmdSet {
			cc.Cmd = nil
		}
	case *instructions.ExposeCommand:
		ex := b.lex.Expander(stepEnv(s))
		for _, p := range c.Ports {
			v, err := ex(p)
			if err != nil {
				return err
			}
			for _, port := range strings.Fields(v) {
				addPort(cc, port)
			}
		}
	case *instructions.VolumeCommand:
		for _, v := range c.Volumes {
			if v == "" {
				return errors.New("VOLUME specified can not be an empty string")
			}
			if cc.Volumes == nil {
				cc.Volumes = map[string]struct{}{}
			}
			cc.Volumes[v] = struct{}{}
		}
	case *instructions.UserCommand:
		cc.User = c.User
	case *instructions.WorkdirCommand:
		p := c.Path
		if !path.IsAbs(p) {
			p = path.Join("/", cc.WorkingDir, p)
		}
		cc.WorkingDir = path.Clean(p)
		if !b.pathExists(s, cc.WorkingDir) {
			// WORKDIR creates the directory, in a layer of its own.
			h := nop()
			h.EmptyLayer = false
			key := b.cacheKey(s.imageID, h.CreatedBy, "mkdir "+cc.WorkingDir)
			if ok, err := b.useCache(s, b.lookupCache(key), named, last); ok || err != nil {
				return err
			}
			dir := cc.WorkingDir
			return b.withWorkingContainer(s, h, key, named, func(rootfs string) error { return build.MkdirIn(rootfs, dir) })
		}
	case *instructions.StopSignalCommand:
		cc.StopSignal = c.Signal
	case *instructions.ShellCommand:
		s.shell = append([]string{}, c.Shell...)
	case *instructions.OnbuildCommand:
		s.onbuild = append(s.onbuild, c.Expression)
	case *instructions.HealthCheckCommand:
		if b.mtype != dockerManifestType {
			fmt.Fprintf(s.errw, "WARN[0000] HEALTHCHECK is not supported for OCI image format and will be ignored. Must use `docker` format\n")
		}
		h := *c.Health
		s.health = &h
	case *instructions.CopyCommand:
		if c.Parents {
			s.parents = true
			defer func() { s.parents = false }()
		}
		return b.copyStep(ctx, s, c.SourcesAndDest, c.From, c.Chown, c.Chmod, false, "", c.ExcludePatterns, named, last)
	case *instructions.AddCommand:
		return b.copyStep(ctx, s, c.SourcesAndDest, "", c.Chown, c.Chmod, true, c.Checksum, c.ExcludePatterns, named, last)
	case *instructions.RunCommand:
		return b.runStep(ctx, s, c, named, last)
	default:
		return fmt.Errorf("unsupported instruction %s: %w", strings.ToUpper(c.Name()), engine.ErrNotImplemented)
	}
	return b.metaStep(s, nop(), named, last)
}

func (b *builder) cmdLine(s *stageState, c instructions.ShellDependantCmdLine) []string {
	if c.PrependShell {
		return append(append([]string{}, s.shell...), strings.Join(c.CmdLine, " "))
	}
	return append([]string{}, c.CmdLine...)
}

// cacheKey identifies a step's result: the parent image, the step, and
// what the step read.
func (b *builder) cacheKey(parent, createdBy, extra string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s", b.mtype, parent, createdBy, extra)
	if len(b.o.Env) > 0 {
		// --env is in the config of every step.
		fmt.Fprintf(h, "\x00env=%q", b.o.Env)
	}
	if b.o.Timestamp != nil {
		// Layers and history made with --timestamp differ from the others.
		fmt.Fprintf(h, "\x00timestamp=%d", *b.o.Timestamp)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func cacheMeta(key string) string { return cacheMetaPrefix + key + `"}` }

func (b *builder) cacheEnabled() bool { return b.o.Layers && !b.o.NoCache }

// lookupCache finds the intermediate image recorded under key.
func (b *builder) lookupCache(key string) string {
	if !b.cacheEnabled() {
		return ""
	}
	imgs, err := b.st.Images()
	if err != nil {
		return ""
	}
	for _, img := range imgs {
		if img.Metadata == cacheMeta(key) {
			return img.ID
		}
	}
	return ""
}

// useCache adopts a cached step result, printing Podman's lines.
func (b *builder) useCache(s *stageState, id string, named, last bool) (bool, error) {
	if id == "" {
		return false, nil
	}
	if err := b.adopt(s, id); err != nil {
		return false, nil
	}
	s.cached = true
	fmt.Fprintf(s.out, "--> Using cache %s\n", id)
	if !named {
		fmt.Fprintf(s.out, "--> %s\n", shortID(id))
	}
	return true, nil
}

func shortID(id string) string {
	if len(id) > 11 {
		return id[:11]
	}
	return id
}

// metaStep commits a config-only step.
func (b *builder) metaStep(s *stageState, h v1.History, named, last bool) error {
	// The key holds the resulting config: the step text is not expanded,
	// and ENV A=$ARG must not hit the cache after --build-arg ARG changed.
	cfg, _ := json.Marshal(s.cfg.Config)
	key := b.cacheKey(s.imageID, h.CreatedBy, s.healthKey()+"\x00"+string(cfg))
	if ok, err := b.useCache(s, b.lookupCache(key), named, last); ok || err != nil {
		return err
	}
	return b.commitStepKey(s, s.top, h, key, named)
}

func (s *stageState) healthKey() string {
	if s.health == nil && len(s.onbuild) == 0 {
		return ""
	}
	data, _ := json.Marshal(struct {
		H *dockerspec.HealthcheckConfig
		O []string
	}{s.health, s.onbuild})
	return string(data)
}

// commitStep records the stage's current config (and top layer) as an image.
func (b *builder) commitStep(s *stageState, top string, h v1.History, empty, named bool) error {
	if h.CreatedBy == "" && empty {
		h = v1.History{}
	}
	key := b.cacheKey(s.imageID, h.CreatedBy+"\x00final", s.healthKey())
	if top == "" {
		top = s.top
	}
	return b.commitStepKey(s, top, h, key, named)
}

func (b *builder) commitStepKey(s *stageState, top string, h v1.History, key string, named bool) error {
	now := b.now()
	cfg := s.cfg
	cfg.Created = &now
	if h.CreatedBy != "" || h.Comment != "" {
		h.Created = &now
		cfg.History = append(append([]v1.History{}, s.cfg.History...), h)
	}
	if cfg.Architecture == "" {
		cfg.Architecture = build.PlatformArgs()["TARGETARCH"]
	}
	if cfg.OS == "" {
		cfg.OS = "linux"
	}
	id, err := writeBuildImage(b.st, top, &cfg, s.health, s.onbuild, b.mtype, cacheMeta(key))
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.created = append(b.created, id)
	b.mu.Unlock()
	if err := b.adopt(s, id); err != nil {
		return err
	}
	s.cached = false
	if !named && b.o.Layers {
		fmt.Fprintf(s.out, "--> %s\n", shortID(id))
	}
	return nil
}

// finish names the final image (squashing first when asked) and prints
// COMMIT, the ID and the tags.
func (b *builder) finish(s *stageState) (string, error) {
	id := s.imageID
	name := ""
	if len(b.o.Tags) > 0 {
		name = b.o.Tags[0]
	}
	changes := len(b.o.Labels) > 0 || len(b.o.Annotations) > 0 || len(b.o.UnsetEnv) > 0 || b.o.OmitHistory || b.o.Squash || b.o.SquashAll
	// As Podman: a cached last step with nothing to name or change is
	// not committed again.
	if !s.cached || name != "" || changes {
		fmt.Fprintln(s.out, strings.TrimRight(s.prefix+"COMMIT "+name, " "))
	}
	if changes {
		nid, err := b.finalImage(s)
		if err != nil {
			return "", err
		}
		id = nid
	}
	var names []string
	for _, t := range b.o.Tags {
		n, err := commitName(t)
		if err != nil {
			return "", err
		}
		names = append(names, n)
	}
	if len(names) > 0 {
		if err := b.st.AddNames(id, names); err != nil {
			return "", fmt.Errorf("tagging %s: %w", id, err)
		}
	}
	fmt.Fprintf(s.out, "--> %s\n", shortID(id))
	if len(names) > 0 {
		// As Podman: every name the image has, the new ones first.
		all := append([]string{}, names...)
		if img, err := b.st.Image(id); err == nil {
			for _, n := range img.Names {
				if !slices.Contains(all, n) {
					all = append(all, n)
				}
			}
		}
		for _, n := range all {
			fmt.Fprintf(s.out, "Successfully tagged %s\n", n)
		}
	}
	b.mu.Lock()
	b.names = names
	b.created = append(b.created, id)
	b.mu.Unlock()
	return id, nil
}

// finalImage applies --label/--annotation and --squash/--squash-all to the
// last step's image, making a new image.
func (b *builder) finalImage(s *stageState) (string, error) {
	cfg := s.cfg
	cc := cfg.Config
	if len(b.o.Labels) > 0 {
		labels := map[string]string{}
		for k, v := range cc.Labels {
			labels[k] = v
		}
		for _, l := range b.o.Labels {
			k, v, _ := strings.Cut(l, "=")
			labels[k] = v
		}
		cc.Labels = labels
	}
	if len(b.o.UnsetEnv) > 0 {
		var env []string
		for _, kv := range cc.Env {
			if k, _, _ := strings.Cut(kv, "="); !slices.Contains(b.o.UnsetEnv, k) {
				env = append(env, kv)
			}
		}
		cc.Env = env
	}
	cfg.Config = cc
	top := s.top
	switch {
	case b.o.SquashAll || b.o.Squash:
		base := ""
		if b.o.Squash {
			base = s.baseTop
		}
		l, err := b.squashLayer(s, base)
		if err != nil {
			return "", err
		}
		top = l
		h := v1.History{CreatedBy: "/bin/sh -c #(nop) squashed"}
		now := b.now()
		h.Created = &now
		if b.o.SquashAll {
			cfg.History = []v1.History{h}
		} else {
			cfg.History = append(append([]v1.History{}, s.cfg.History[:s.baseHistory]...), h)
		}
	}
	if b.o.OmitHistory {
		cfg.History = nil
	}
	now := b.now()
	cfg.Created = &now
	return writeBuildImageOpts(b.st, top, &cfg, s.health, s.onbuild, b.mtype, "", b.o.SquashAll || top == "", b.annotations())
}

func (b *builder) annotations() map[string]string {
	if len(b.o.Annotations) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, a := range b.o.Annotations {
		k, v, _ := strings.Cut(a, "=")
		m[k] = v
	}
	return m
}

// squashLayer makes one layer holding what the layers above base add up
// to; with no base, the whole rootfs of the stage's image.
func (b *builder) squashLayer(s *stageState, base string) (string, error) {
	if s.top == "" || s.top == base {
		return "", nil
	}
	unc := archiveUncompressed()
	if base != "" {
		rc, err := b.st.Diff(base, s.top, &cstorage.DiffOptions{Compression: &unc})
		if err != nil {
			return "", fmt.Errorf("squashing: %w", err)
		}
		return b.putLayer(base, rc)
	}
	c, err := b.st.CreateContainer("", nil, s.imageID, "", "", nil)
	if err != nil {
		return "", fmt.Errorf("squashing: %w", err)
	}
	defer func() {
		_, _ = b.st.Unmount(c.ID, true)
		_ = b.st.DeleteContainer(c.ID)
	}()
	mp, err := b.st.Mount(c.ID, "")
	if err != nil {
		return "", fmt.Errorf("squashing: %w", err)
	}
	rc, err := chrootarchive.Tar(mp, &archive.TarOptions{Compression: archive.Uncompressed}, mp)
	if err != nil {
		return "", fmt.Errorf("squashing: %w", err)
	}
	return b.putLayer("", rc)
}

// putLayer spools a layer tar and stores it on parent.
func (b *builder) putLayer(parent string, rc io.ReadCloser) (string, error) {
	spool, err := b.e.spoolFile(b.st)
	if err != nil {
		rc.Close()
		return "", err
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	if b.o.Timestamp != nil {
		err = build.ClampTimes(spool, rc, time.Unix(*b.o.Timestamp, 0).UTC())
	} else {
		_, err = io.Copy(spool, rc)
	}
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	layer, _, err := b.st.PutLayer("", parent, nil, "", false, nil, spool)
	if err != nil {
		return "", fmt.Errorf("storing the layer: %w", err)
	}
	return layer.ID, nil
}

// copyStep runs COPY or ADD through a working storage container.
func (b *builder) copyStep(ctx context.Context, s *stageState, sd instructions.SourcesAndDest, from, chown, chmod string, isAdd bool, checksum string, excludes []string, named, last bool) error {
	src := b.ctxSrc
	keep := false
	fromKey := ""
	if dir, ok := b.ctxDirs[strings.ToLower(from)]; ok && from != "" {
		src = &build.Source{Root: dir}
		fromKey = "context " + from
		from = ""
	} else if ref, ok := b.ctxImages[strings.ToLower(from)]; ok && from != "" {
		from = ref
	}
	if from != "" {
		id, ok := b.stageRef(from)
		if !ok {
			img, err := b.e.resolveImageWith(ctx, from, b.o.PullPolicy, engine.ImagePullOptions{RegistryOptions: b.o.Registry}, s.errw)
			if err != nil {
				return err
			}
			id = img.ID
		}
		mp, err := b.st.MountImage(id, nil, "")
		if err != nil {
			return fmt.Errorf("mounting image %s: %w", id, err)
		}
		// Not forced: a concurrent stage may have the same image mounted.
		defer func() { _, _ = b.st.UnmountImage(id, false) }()
		src = &build.Source{Root: mp}
		keep = true
		fromKey = id
	}
	src, err := src.WithExcludes(excludes)
	if err != nil {
		return invalidArg(err)
	}
	var mode *fs.FileMode
	if chmod != "" {
		v, err := strconv.ParseUint(chmod, 8, 32)
		if err != nil || v > 0o7777 {
			return fmt.Errorf("invalid chmod %q: %w", chmod, engine.ErrInvalidArg)
		}
		m := fs.FileMode(v&0o777) | specialBits(v)
		mode = &m
	}
	type srcSet struct {
		url       string
		tmp, name string // the downloaded URL
		matches   []build.Match
	}
	var sets []srcSet
	h := sha256.New()
	fmt.Fprintf(h, "from=%s chown=%s chmod=%s parents=%v exclude=%q\n", fromKey, chown, chmod, s.parents, excludes)
	for _, p := range sd.SourcePaths {
		if isAdd && build.IsURL(p) {
			// Fetched before the cache lookup: the content is part of the key.
			tmp, name, err := build.Fetch(ctx, p, checksum, b.tmp)
			if err != nil {
				return err
			}
			f, err := os.Open(tmp)
			if err != nil {
				return err
			}
			fh := sha256.New()
			_, err = io.Copy(fh, f)
			f.Close()
			if err != nil {
				return err
			}
			sets = append(sets, srcSet{url: p, tmp: tmp, name: name})
			fmt.Fprintf(h, "url %s %s %x\n", p, checksum, fh.Sum(nil))
			continue
		}
		ms, err := src.Resolve(p)
		if err != nil {
			return fmt.Errorf("checking on sources under %q: %w", src.Root, err)
		}
		t0 := time.Now()
		d, err := src.Digest(ms)
		if err != nil {
			return err
		}
		b.e.log.Debug("build: source digest", "source", p, "elapsed", time.Since(t0))
		fmt.Fprintf(h, "%s %s\n", p, d)
		sets = append(sets, srcSet{matches: ms})
	}
	for _, c := range sd.SourceContents {
		fmt.Fprintf(h, "heredoc %s %d %s\n", c.Path, len(c.Data), c.Data)
	}
	dest := sd.DestPath
	if !path.IsAbs(dest) {
		d := path.Join("/", s.cfg.Config.WorkingDir, dest)
		if strings.HasSuffix(dest, "/") || dest == "." {
			d += "/"
		}
		dest = d
	}
	digest := hex.EncodeToString(h.Sum(nil))
	kind := "COPY"
	if isAdd {
		kind = "ADD"
	}
	hist := v1.History{CreatedBy: fmt.Sprintf("/bin/sh -c #(nop) %s multi:%s in %s ", kind, digest[:16], dest)}
	key := b.cacheKey(s.imageID, hist.CreatedBy, digest)
	if ok, err := b.useCache(s, b.lookupCache(key), named, last); ok || err != nil {
		return err
	}
	total := 0
	for _, set := range sets {
		total += len(set.matches)
		if set.url != "" {
			total++
		}
	}
	total += len(sd.SourceContents)
	if total > 1 && !strings.HasSuffix(sd.DestPath, "/") && !s.parents {
		return errors.New("when using COPY with more than one source file, the destination must be a directory and end with a /")
	}
	if !isAdd {
		var all []build.Match
		for _, set := range sets {
			all = append(all, set.matches...)
		}
		heredocs := map[string]string{}
		for _, c := range sd.SourceContents {
			heredocs[c.Path] = c.Data
		}
		return b.copyViaTar(s, hist, key, named, dest, src, all, heredocs, chown, mode, keep)
	}
	return b.withWorkingContainer(s, hist, key, named, func(rootfs string) error {
		o := build.CopyOptions{KeepOwner: keep}
		if chown != "" {
			u, g, err := lookupChown(rootfs, chown)
			if err != nil {
				return err
			}
			o.UID, o.GID, o.KeepOwner = u, g, false
		}
		o.Chmod = mode
		for _, set := range sets {
			if set.url != "" {
				tmp, name := set.tmp, set.name
				target := dest
				if strings.HasSuffix(dest, "/") {
					target = path.Join(dest, name)
				}
				f, err := os.Open(tmp)
				if err != nil {
					return err
				}
				perm := fs.FileMode(0o600)
				err = build.WriteFile(rootfs, target, f, perm, o)
				f.Close()
				os.Remove(tmp)
				if err != nil {
					return err
				}
				continue
			}
			var plain []build.Match
			for _, m := range set.matches {
				if src.ExcludedMatch(m) {
					continue
				}
				if isAdd && m.Info.Mode().IsRegular() && build.IsArchive(m.Path) {
					if err := build.ExtractInto(rootfs, dest, m.Path, o); err != nil {
						return fmt.Errorf("extracting %s: %w", m.Rel, err)
					}
					continue
				}
				plain = append(plain, m)
			}
			if len(plain) > 0 {
				d := dest
				if total > 1 && !strings.HasSuffix(d, "/") {
					d += "/"
				}
				if err := build.CopyInto(rootfs, d, src, plain, o); err != nil {
					return err
				}
			}
		}
		for _, c := range sd.SourceContents {
			target := dest
			if strings.HasSuffix(dest, "/") {
				target = path.Join(dest, c.Path)
			}
			perm := fs.FileMode(0o644)
			if o.Chmod != nil {
				perm = *o.Chmod
			}
			if err := build.WriteFile(rootfs, target, strings.NewReader(c.Data), perm, o); err != nil {
				return err
			}
		}
		return nil
	})
}

func specialBits(v uint64) fs.FileMode {
	var m fs.FileMode
	if v&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if v&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if v&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// copyViaTar stores COPY's result as a layer streamed straight into the
// store: the sources are read once and written once.
func (b *builder) copyViaTar(s *stageState, h v1.History, key string, named bool, dest string, src *build.Source, ms []build.Match, heredocs map[string]string, chown string, mode *fs.FileMode, keep bool) error {
	root := filepath.Join(b.tmp, "scratch-root")
	if s.imageID != "" {
		mp, err := b.st.MountImage(s.imageID, nil, "")
		if err != nil {
			return fmt.Errorf("mounting image %s: %w", s.imageID, err)
		}
		defer func() { _, _ = b.st.UnmountImage(s.imageID, false) }()
		root = mp
	} else if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	o := build.CopyOptions{KeepOwner: keep, Chmod: mode, Parents: s.parents}
	if b.o.Timestamp != nil {
		ts := time.Unix(*b.o.Timestamp, 0).UTC()
		o.ModTime = &ts
	}
	if chown != "" {
		u, g, err := lookupChown(root, chown)
		if err != nil {
			return err
		}
		o.UID, o.GID, o.KeepOwner = u, g, false
	}
	t0 := time.Now()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(build.TarCopy(pw, root, dest, src, ms, o, heredocs)) }()
	layer, _, err := b.st.PutLayer("", s.top, nil, "", false, nil, pr)
	pr.CloseWithError(errors.New("layer not stored"))
	if err != nil {
		return err
	}
	b.e.log.Debug("build: COPY layer streamed", "elapsed", time.Since(t0))
	return b.commitStepKey(s, layer.ID, h, key, named)
}

// pathExists reports whether p exists in the stage's current image.
func (b *builder) pathExists(s *stageState, p string) bool {
	if s.imageID == "" {
		return false
	}
	mp, err := b.st.MountImage(s.imageID, nil, "")
	if err != nil {
		return false
	}
	defer func() { _, _ = b.st.UnmountImage(s.imageID, false) }()
	full, err := securejoin.SecureJoin(mp, p)
	if err != nil {
		return false
	}
	_, err = os.Stat(full)
	return err == nil
}

// withWorkingContainer mounts a storage container on the stage's image,
// lets fn change its rootfs, and commits the changes as a new layer.
func (b *builder) withWorkingContainer(s *stageState, h v1.History, key string, named bool, fn func(rootfs string) error) error {
	c, err := b.st.CreateContainer("", nil, s.imageID, "", "", nil)
	if err != nil {
		return fmt.Errorf("creating a working container: %w", err)
	}
	defer func() {
		_, _ = b.st.Unmount(c.ID, true)
		_ = b.st.DeleteContainer(c.ID)
	}()
	mp, err := b.st.Mount(c.ID, "")
	if err != nil {
		return fmt.Errorf("mounting the working container: %w", err)
	}
	t0 := time.Now()
	if err := fn(mp); err != nil {
		return err
	}
	if _, err := b.st.Unmount(c.ID, true); err != nil {
		return err
	}
	t1 := time.Now()
	unc := archiveUncompressed()
	rc, err := b.st.Diff("", c.LayerID, &cstorage.DiffOptions{Compression: &unc})
	if err != nil {
		return fmt.Errorf("reading changes: %w", err)
	}
	layer, err := b.putLayer(s.top, rc)
	if err != nil {
		return err
	}
	b.e.log.Debug("build: working container step", "write", t1.Sub(t0), "commit", time.Since(t1))
	return b.commitStepKey(s, layer, h, key, named)
}

// invalidArg marks err as the caller's mistake (errors.Is
// engine.ErrInvalidArg, 400 over the API) without changing its text.
func invalidArg(err error) error { return &invalidArgError{err} }

type invalidArgError struct{ err error }

func (e *invalidArgError) Error() string        { return e.err.Error() }
func (e *invalidArgError) Unwrap() error        { return e.err }
func (e *invalidArgError) Is(target error) bool { return target == engine.ErrInvalidArg }

// buildContexts settles the --build-context names: directories (a URL is
// fetched into one first) and image references.
func (b *builder) buildContexts(ctx context.Context) error {
	b.ctxDirs, b.ctxImages = map[string]string{}, map[string]string{}
	for _, name := range build.SortedKeys(b.o.BuildContexts) {
		v := b.o.BuildContexts[name]
		if name == "" || v == "" {
			return fmt.Errorf("invalid build context %q=%q: %w", name, v, engine.ErrInvalidArg)
		}
		key := strings.ToLower(name)
		for _, p := range []string{"docker-image://", "container-image://"} {
			if ref, ok := strings.CutPrefix(v, p); ok {
				b.ctxImages[key] = ref
			}
		}
		if _, ok := b.ctxImages[key]; ok {
			continue
		}
		dir := v
		if build.RemoteKind(v) != "" {
			tmp, err := os.MkdirTemp(b.tmp, "context-")
			if err != nil {
				return err
			}
			if dir, err = build.FetchContext(ctx, v, tmp); err != nil {
				return invalidArg(fmt.Errorf("build context %s: %w", name, err))
			}
		}
		abs, err := filepath.Abs(dir)
		if err == nil {
			abs, err = filepath.EvalSymlinks(abs)
		}
		if err != nil {
			return fmt.Errorf("build context %s: %w: %w", name, err, engine.ErrInvalidArg)
		}
		if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
			return fmt.Errorf("build context %s: %q is not a directory: %w", name, v, engine.ErrInvalidArg)
		}
		b.ctxDirs[key] = abs
	}
	return nil
}

// namedContext tells whether ref is a --build-context name.
func (b *builder) namedContext(ref string) bool {
	k := strings.ToLower(ref)
	_, d := b.ctxDirs[k]
	_, i := b.ctxImages[k]
	return d || i
}

// parseOutput reads --output: type=local,dest=DIR, type=tar,dest=FILE,
// or DIR alone.
func parseOutput(spec string) (kind, dest string, err error) {
	if spec == "" {
		return "", "", nil
	}
	if !strings.Contains(spec, "=") {
		kind, dest = "local", spec
	} else {
		for _, kv := range strings.Split(spec, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "type":
				kind = v
			case "dest":
				dest = v
			default:
				return "", "", fmt.Errorf("invalid --output %q: unknown key %q: %w", spec, k, engine.ErrInvalidArg)
			}
		}
	}
	if kind != "local" && kind != "tar" {
		return "", "", fmt.Errorf("invalid --output %q: type must be local or tar: %w", spec, engine.ErrInvalidArg)
	}
	if dest == "" || dest == "-" {
		return "", "", fmt.Errorf("invalid --output %q: a destination path is needed: %w", spec, engine.ErrInvalidArg)
	}
	return kind, dest, nil
}

// export writes the image's rootfs to the --output destination: a
// directory (extracted, confined to it) or a tar file (written atomically).
func (b *builder) export(id, spec string) error {
	kind, dest, err := parseOutput(spec)
	if err != nil {
		return err
	}
	mp, err := b.st.MountImage(id, nil, "")
	if err != nil {
		return fmt.Errorf("mounting image %s: %w", id, err)
	}
	defer func() { _, _ = b.st.UnmountImage(id, false) }()
	rc, err := chrootarchive.Tar(mp, &archive.TarOptions{Compression: archive.Uncompressed}, mp)
	if err != nil {
		return fmt.Errorf("exporting the image: %w", err)
	}
	defer rc.Close()
	if kind == "local" {
		if err := os.MkdirAll(dest, 0o755); err != nil {
			return err
		}
		if err := chrootarchive.Untar(rc, dest, &archive.TarOptions{}); err != nil {
			return fmt.Errorf("exporting the image to %s: %w", dest, err)
		}
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".selkie-output-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, rc)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dest)
	}
	if err != nil {
		return fmt.Errorf("exporting the image to %s: %w", dest, err)
	}
	return nil
}
