package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/config"
	"github.com/selkie-containers/selkie/internal/state"
)

func testEngine(t *testing.T, root, run string) *Engine {
	t.Helper()
	cfg := config.Default()
	cfg.GraphRoot, cfg.RunRoot = root, run
	cfg.StorageDriver = "vfs" // no mounts to clean up
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestRefreshAfterReboot(t *testing.T) {
	base := t.TempDir()
	root, run := filepath.Join(base, "root"), filepath.Join(base, "run")
	ctx := context.Background()
	e := testEngine(t, root, run)
	db, err := e.db(ctx)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]string{
		"run1": state.StatusRunning, "pau1": state.StatusPaused, "cre1": state.StatusCreated,
		"exi1": state.StatusExited, "con1": state.StatusConfigured, "sto1": state.StatusStopped,
	}
	for id, st := range statuses {
		c := &state.Container{ID: id, Name: "n" + id, Created: time.Now(),
			State: state.ContainerState{Status: st, Pid: 4242, ConmonPid: 4343, ExitCode: 7, Mountpoint: "/x"}}
		if err := db.Update(ctx, func(tx *state.Tx) error {
			if err := tx.AddContainer(c); err != nil {
				return err
			}
			return tx.PutExecSession(&state.ExecSession{ID: "x" + id, ContainerID: id})
		}); err != nil {
			t.Fatal(err)
		}
	}
	for id, st := range map[string]string{"rm-run": state.StatusRunning, "rm-exi": state.StatusExited, "rm-cfg": state.StatusConfigured, "removing": state.StatusRemoving} {
		c := &state.Container{ID: id, Name: "n" + id, Created: time.Now(), State: state.ContainerState{Status: st}}
		c.Options.Remove = id != "removing"
		if err := db.Update(ctx, func(tx *state.Tx) error { return tx.AddContainer(c) }); err != nil {
			t.Fatal(err)
		}
	}
	// Same boot: a second engine changes nothing.
	e2 := testEngine(t, root, run)
	c, err := e2.lookupContainer(ctx, "run1")
	if err != nil || c.State.Status != state.StatusRunning || c.State.Pid != 4242 {
		t.Fatalf("refreshed without a reboot: %+v %v", c, err)
	}
	// A reboot that kept the run root (not a tmpfs): the boot ID differs.
	if err := os.WriteFile(filepath.Join(run, "selkie", "alive"), []byte("another-boot"), 0o600); err != nil {
		t.Fatal(err)
	}
	e25 := testEngine(t, root, run)
	if c, _ := e25.lookupContainer(ctx, "run1"); c.State.Status != state.StatusConfigured {
		t.Errorf("boot ID change not noticed: %s", c.State.Status)
	}
	db25, _ := e25.db(ctx)
	c.State.Status, c.State.Pid = state.StatusRunning, 4242
	if err := db25.Update(ctx, func(tx *state.Tx) error { return tx.PutContainer(c) }); err != nil {
		t.Fatal(err)
	}
	// Reboot: the run root is gone.
	if err := os.RemoveAll(run); err != nil {
		t.Fatal(err)
	}
	e3 := testEngine(t, root, run)
	for id, before := range statuses {
		c, err := e3.lookupContainer(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := state.StatusConfigured
		if before == state.StatusExited {
			want = state.StatusExited
		}
		if c.State.Status != want || c.State.Pid != 0 || c.State.ConmonPid != 0 || c.State.Mountpoint != "" || c.State.ExitCode != 7 {
			t.Errorf("%s after reboot: %+v", id, c.State)
		}
	}
	db3, _ := e3.db(ctx)
	err = db3.View(ctx, func(tx *state.Tx) error { _, err := tx.ExecSession("xrun1"); return err })
	if !errors.Is(err, engine.ErrNoSuchExec) {
		t.Errorf("exec session survived the reboot: %v", err)
	}
	if _, err := os.Stat(filepath.Join(run, "selkie", "alive")); err != nil {
		t.Errorf("alive marker: %v", err)
	}
	for id, want := range map[string]bool{"rm-run": false, "rm-exi": false, "removing": false, "rm-cfg": true} {
		_, err := e3.lookupContainer(ctx, id)
		if got := err == nil; got != want {
			t.Errorf("%s present after reboot: %v, want %v (%v)", id, got, want, err)
		}
	}
	// ps shows them as created
	l, err := e3.ContainerList(ctx, engine.ContainerListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range l {
		if s.State != "created" && s.State != "exited" {
			t.Errorf("ps after reboot: %s %s", s.ID, s.State)
		}
	}
}

// TestWithContainerSerializes: many engines (as many processes would) each
// read-modify-write one record through withContainer; no update is lost.
func TestWithContainerSerializes(t *testing.T) {
	base := t.TempDir()
	root, run := filepath.Join(base, "root"), filepath.Join(base, "run")
	ctx := context.Background()
	e := testEngine(t, root, run)
	db, err := e.db(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx *state.Tx) error {
		return tx.AddContainer(&state.Container{ID: "abcdef", Name: "counter", Created: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 8, 15
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		ew := testEngine(t, root, run)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				err := ew.withContainer(ctx, "counter", func(c *state.Container) error {
					n := c.State.RestartCount
					time.Sleep(100 * time.Microsecond) // widen the race window
					c.State.RestartCount = n + 1
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	c, _ := e.lookupContainer(ctx, "abc")
	if c.State.RestartCount != workers*rounds {
		t.Fatalf("count = %d, want %d (lost updates)", c.State.RestartCount, workers*rounds)
	}
	// errNoSave skips the save, other errors propagate
	if err := e.withContainer(ctx, "counter", func(c *state.Container) error {
		c.State.RestartCount = -1
		return errNoSave
	}); err != nil {
		t.Fatal(err)
	}
	if c, _ := e.lookupContainer(ctx, "counter"); c.State.RestartCount == -1 {
		t.Error("errNoSave saved")
	}
	if err := e.withContainer(ctx, "nosuch", func(*state.Container) error { return nil }); !errors.Is(err, engine.ErrNoSuchContainer) {
		t.Errorf("unknown: %v", err)
	}
}
