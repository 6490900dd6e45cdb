package local

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
	"github.com/selkie-containers/selkie/internal/state"
)

func TestStatusText(t *testing.T) {
	now := time.Now()
	c := &state.Container{}
	for _, tc := range []struct {
		st   state.ContainerState
		want string
	}{
		{state.ContainerState{Status: state.StatusConfigured}, "Created"},
		{state.ContainerState{Status: state.StatusCreated}, "Initialized"}, // created in the runtime, not started (Podman 4.3)
		{state.ContainerState{Status: state.StatusRunning, StartedAt: now.Add(-3 * time.Second)}, "Up 3 seconds ago"},
		{state.ContainerState{Status: state.StatusExited, ExitCode: 1, FinishedAt: now.Add(-2 * time.Second)}, "Exited (1) 2 seconds ago"},
		{state.ContainerState{Status: state.StatusStopped, ExitCode: 137, FinishedAt: now.Add(-5 * time.Minute)}, "Exited (137) 5 minutes ago"},
		{state.ContainerState{Status: state.StatusPaused}, "Paused"},
	} {
		c.State = tc.st
		if got := statusText(c, now); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.st.Status, got, tc.want)
		}
	}
}

func TestCompileFilters(t *testing.T) {
	t0 := time.Now()
	mk := func(id, name, status string, code int32, age time.Duration, labels map[string]string) *state.Container {
		return &state.Container{ID: id, Name: name, Created: t0.Add(-age), ImageID: "img" + id[:1], ImageName: "localhost/bb:latest",
			ImageConfig: &v1.Image{}, Options: engine.ContainerCreateOptions{Labels: labels,
				Mounts: []engine.Mount{{Type: "volume", Name: "vol" + id[:1], Destination: "/data"}}},
			State: state.ContainerState{Status: status, ExitCode: code}}
	}
	all := []*state.Container{
		mk("a1", "web", state.StatusRunning, 0, 3*time.Hour, map[string]string{"app": "x", "tier": "front"}),
		mk("b2", "db", state.StatusExited, 1, 2*time.Hour, map[string]string{"app": "x"}),
		mk("c3", "cache", state.StatusConfigured, 0, time.Hour, nil),
	}
	run := func(f map[string][]string) string {
		m, err := compileFilters(f, all, containerNetworks)
		if err != nil {
			return "error: " + err.Error()
		}
		var out []string
		for _, c := range all {
			if m(c) {
				out = append(out, c.Name)
			}
		}
		return strings.Join(out, ",")
	}
	cases := []struct {
		f    map[string][]string
		want string
	}{
		{map[string][]string{"name": {"^w"}}, "web"},
		{map[string][]string{"name": {"web", "db"}}, "web,db"},
		{map[string][]string{"label": {"app=x", "tier=front"}}, "web"}, // labels AND
		{map[string][]string{"label": {"app"}}, "web,db"},
		{map[string][]string{"label!": {"app"}}, "cache"},
		{map[string][]string{"status": {"created"}}, "cache"},
		{map[string][]string{"status": {"running", "exited"}}, "web,db"},
		{map[string][]string{"exited": {"1"}}, "db"},
		{map[string][]string{"exited": {"0"}}, ""},
		{map[string][]string{"id": {"b"}}, "db"},
		{map[string][]string{"ancestor": {"localhost/bb:latest"}}, "web,db,cache"},
		{map[string][]string{"ancestor": {"bb"}}, "web,db,cache"},
		{map[string][]string{"ancestor": {"imgc"}}, "cache"},
		{map[string][]string{"before": {"db"}}, "web"},
		{map[string][]string{"since": {"db"}}, "cache"},
		{map[string][]string{"volume": {"volb"}}, "db"},
		{map[string][]string{"volume": {"volb:/data"}}, "db"},
		{map[string][]string{"volume": {"volb:/other"}}, ""},
		{map[string][]string{"volume": {"/data"}}, ""},                          // Podman 4.3: a destination alone is no match
		{map[string][]string{"health": {"none"}}, ""},                           // Podman 4.3: no healthcheck, no status
		{map[string][]string{"status": {"running"}, "label": {"app=x"}}, "web"}, // keys AND
		{map[string][]string{"restart-policy": {"no"}}, "web,db,cache"},
		{map[string][]string{"restart-policy": {"always"}}, ""},
		{map[string][]string{"is-task": {"true"}}, ""},
		{map[string][]string{"restart-policy": {"x"}}, "error: x is an invalid restart policy: invalid argument"},
		{map[string][]string{"status": {"bogus"}}, "error: unknown container state: bogus: invalid argument"},
		{map[string][]string{"foo": {"bar"}}, "error: foo is an invalid filter: invalid argument"},
		{map[string][]string{"name": {"("}}, `error: invalid name filter "(": invalid argument`},
		{map[string][]string{"exited": {"x"}}, `error: exited code out of range "x": invalid argument`},
		{map[string][]string{"since": {"nosuch"}}, `error: no container with name or ID "nosuch" found: no such container`},
	}
	for _, tc := range cases {
		if got := run(tc.f); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.f, got, tc.want)
		}
	}
	_, err := compileFilters(map[string][]string{"before": {"nosuch"}}, all, containerNetworks)
	if !errors.Is(err, engine.ErrNoSuchContainer) {
		t.Errorf("before unknown: %v", err)
	}
}

// BenchmarkContainerList1000 measures ps -a's engine side over 1000 records
// (no storage access): go test -run XXX -bench ContainerList ./local
func BenchmarkContainerList1000(b *testing.B) {
	e := listEngine(b, 1000)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, err := e.ContainerList(ctx, engine.ContainerListOptions{All: true})
		if err != nil || len(l) != 1000 {
			b.Fatal(err, len(l))
		}
	}
}

// TestContainerListScales guards against accidental O(n²) work or storage
// access in ps: 1000 records must list well under a second even on a busy
// machine (the figure is ~20 ms).
func TestContainerListScales(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	e := listEngine(t, 1000)
	ctx := context.Background()
	start := time.Now()
	l, err := e.ContainerList(ctx, engine.ContainerListOptions{All: true, Filters: map[string][]string{"label": {"n"}}})
	if err != nil || len(l) != 1000 {
		t.Fatal(err, len(l))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("listing 1000 containers took %s", d)
	}
	if e.store != nil {
		t.Error("ps opened the storage")
	}
}

func listEngine(tb testing.TB, n int) *Engine {
	tb.Helper()
	base := tb.TempDir()
	cfg := config.Default()
	cfg.GraphRoot, cfg.RunRoot, cfg.StorageDriver = filepath.Join(base, "root"), filepath.Join(base, "run"), "vfs"
	e, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.Close() })
	ctx := context.Background()
	db, err := e.db(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	img := &v1.Image{History: make([]v1.History, 5)}
	img.Config.Cmd = []string{"sh"}
	img.Config.Env = []string{"PATH=/usr/bin"}
	err = db.Update(ctx, func(tx *state.Tx) error {
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("%064x", i+1)
			c := &state.Container{ID: id, Name: fmt.Sprintf("c%d", i), Created: time.Now(), ImageID: "abc", ImageName: "localhost/bb:latest",
				ImageConfig: img, CreateCommand: []string{"selkie", "create", "bb"}, State: state.ContainerState{Status: state.StatusExited}}
			c.Options.Labels = map[string]string{"n": fmt.Sprint(i)}
			if err := tx.AddContainer(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}
