package state

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
)

func openTest(t *testing.T) (*DB, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "selkie", "state.db")
	db, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, p
}

func add(t *testing.T, db *DB, id, name string) {
	t.Helper()
	c := &Container{ID: id, Name: name, Created: time.Now(), State: ContainerState{Status: StatusConfigured}}
	if err := db.Update(context.Background(), func(tx *Tx) error { return tx.AddContainer(c) }); err != nil {
		t.Fatalf("adding %s/%s: %v", id, name, err)
	}
}

func TestResolve(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	add(t, db, "abc111", "first")
	add(t, db, "abc222", "second")
	add(t, db, "def333", "abc111x")
	// a name that looks like another container's ID prefix
	add(t, db, "fff444", "def")

	cases := []struct {
		ref, want string
		err       error
	}{
		{"abc111", "abc111", nil},        // full ID
		{"first", "abc111", nil},         // name
		{"abc1", "abc111", nil},          // unique prefix
		{"abc", "", engine.ErrAmbiguous}, // two prefixes
		{"def", "fff444", nil},           // name wins over the prefix of def333
		{"de", "def333", nil},
		{"abc111x", "def333", nil},
		{"nosuch", "", engine.ErrNoSuchContainer},
		{"", "", engine.ErrNoSuchContainer},
		{"%", "", engine.ErrNoSuchContainer}, // not a LIKE pattern
		{"_", "", engine.ErrNoSuchContainer},
		{"ab_", "", engine.ErrNoSuchContainer},
		{"a%", "", engine.ErrNoSuchContainer},
		{"'; DROP TABLE containers; --", "", engine.ErrNoSuchContainer},
	}
	for _, c := range cases {
		got, err := db.ResolveContainer(ctx, c.ref)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%q: err = %v, want %v", c.ref, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.ref, got, err, c.want)
		}
	}
	_, err := db.ResolveContainer(ctx, "abc")
	if want := `more than one result for container "abc": more than one result`; err == nil || err.Error() != want {
		t.Errorf("ambiguity text = %v, want %q", err, want)
	}
	_, err = db.ResolveContainer(ctx, "x")
	if want := `no container with name or ID "x" found: no such container`; err == nil || err.Error() != want {
		t.Errorf("unknown text = %v, want %q", err, want)
	}
	cs, err := db.Containers(ctx)
	if err != nil || len(cs) != 4 {
		t.Fatalf("containers = %d, %v (table dropped?)", len(cs), err)
	}
}

func TestNamesUnique(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	add(t, db, "aaa", "web")
	err := db.Update(ctx, func(tx *Tx) error {
		return tx.AddContainer(&Container{ID: "bbb", Name: "web"})
	})
	if !errors.Is(err, engine.ErrNameInUse) {
		t.Fatalf("dup name: %v", err)
	}
	want := `the container name "web" is already in use by aaa. You have to remove that container to be able to reuse that name: that name is already in use`
	if err.Error() != want {
		t.Errorf("text = %q", err)
	}
	// failed transaction left nothing behind
	if _, err := db.ResolveContainer(ctx, "bbb"); !errors.Is(err, engine.ErrNoSuchContainer) {
		t.Errorf("bbb exists after failed add: %v", err)
	}
	// a pod name blocks a container name
	if err := db.Update(ctx, func(tx *Tx) error {
		_, err := tx.tx.Exec(`INSERT INTO names (name, kind, id) VALUES ('podname', 'pod', 'p1')`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *Tx) error { return tx.AddContainer(&Container{ID: "ccc", Name: "podname"}) })
	if !errors.Is(err, engine.ErrNameInUse) || err.Error() != `name "podname" is in use: pod already exists` {
		t.Errorf("pod name reuse: %v (want Podman's text)", err)
	}
	// a pod name is not a container name
	if _, err := db.ResolveContainer(ctx, "podname"); !errors.Is(err, engine.ErrNoSuchContainer) {
		t.Errorf("pod resolved as container: %v", err)
	}
	// duplicate ID
	err = db.Update(ctx, func(tx *Tx) error { return tx.AddContainer(&Container{ID: "aaa", Name: "other"}) })
	if err == nil || errors.Is(err, engine.ErrNameInUse) {
		t.Errorf("dup id: %v", err)
	}
	// rename frees the old name, takes the new one
	add(t, db, "ddd", "db")
	if err := db.Update(ctx, func(tx *Tx) error { return tx.RenameContainer("ddd", "web") }); !errors.Is(err, engine.ErrNameInUse) {
		t.Errorf("rename onto used name: %v", err)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.RenameContainer("ddd", "db2") }); err != nil {
		t.Fatal(err)
	}
	add(t, db, "eee", "db")
	if id, _ := db.ResolveContainer(ctx, "db2"); id != "ddd" {
		t.Errorf("db2 -> %q", id)
	}
	c, _ := db.Container(ctx, "ddd")
	if c.Name != "db2" {
		t.Errorf("record name %q", c.Name)
	}
	// delete frees the name and cascades exec sessions
	if err := db.Update(ctx, func(tx *Tx) error {
		return tx.PutExecSession(&ExecSession{ID: "x1", ContainerID: "ddd"})
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.DeleteContainer("ddd") }); err != nil {
		t.Fatal(err)
	}
	add(t, db, "fff", "db2")
	err = db.View(ctx, func(tx *Tx) error { _, err := tx.ExecSession("x1"); return err })
	if !errors.Is(err, engine.ErrNoSuchExec) {
		t.Errorf("exec session survived its container: %v", err)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.DeleteContainer("ddd") }); !errors.Is(err, engine.ErrNoSuchContainer) {
		t.Errorf("double delete: %v", err)
	}
}

func TestPutAndRollback(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	add(t, db, "aaa", "a")
	boom := errors.New("boom")
	err := db.Update(ctx, func(tx *Tx) error {
		c, err := tx.Container("aaa")
		if err != nil {
			return err
		}
		c.State.Status = StatusRunning
		if err := tx.PutContainer(c); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	c, _ := db.Container(ctx, "aaa")
	if c.State.Status != StatusConfigured {
		t.Errorf("rolled-back change visible: %s", c.State.Status)
	}
	c.State.Status = StatusRunning
	c.State.Pid = 42
	if err := db.Update(ctx, func(tx *Tx) error { return tx.PutContainer(c) }); err != nil {
		t.Fatal(err)
	}
	c2, _ := db.Container(ctx, "aaa")
	if c2.State.Status != StatusRunning || c2.State.Pid != 42 {
		t.Errorf("saved %+v", c2.State)
	}
	c2.Name = "renamed-behind-our-back"
	if err := db.Update(ctx, func(tx *Tx) error { return tx.PutContainer(c2) }); err == nil {
		t.Error("PutContainer changed the name")
	}
}

func TestMigrations(t *testing.T) {
	db, p := openTest(t)
	add(t, db, "aaa", "a")
	db.Close()
	raw, err := sql.Open("sqlite3", "file:"+p)
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var mode string
	raw.QueryRow("PRAGMA user_version").Scan(&v)
	raw.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if v != SchemaVersion || mode != "wal" {
		t.Errorf("user_version=%d journal=%s", v, mode)
	}
	// a newer schema than we know must be refused, not silently used
	if _, err := raw.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+5)); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if db2, err := Open(context.Background(), p); err == nil {
		db2.Close()
		t.Fatal("opened a database from the future")
	}
	raw, _ = sql.Open("sqlite3", "file:"+p)
	raw.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion))
	raw.Close()
	db3, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer db3.Close()
	if id, err := db3.ResolveContainer(context.Background(), "a"); err != nil || id != "aaa" {
		t.Errorf("record lost across reopen: %q %v", id, err)
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				id := fmt.Sprintf("%02d%02d", i, j)
				err := db.Update(ctx, func(tx *Tx) error {
					return tx.AddContainer(&Container{ID: id, Name: "n" + id, Created: time.Now()})
				})
				if err != nil {
					errs <- err
				}
				if _, err := db.Containers(ctx); err != nil {
					errs <- err
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	cs, _ := db.Containers(ctx)
	if len(cs) != 200 {
		t.Errorf("%d records, want 200", len(cs))
	}
}

// TestConcurrentProcesses runs this test binary as 6 writer processes on one
// database; each adds 25 containers and also races for one shared name.
func TestConcurrentProcesses(t *testing.T) {
	if p := os.Getenv("SELKIE_STATE_WRITER"); p != "" {
		writer(t, p)
		return
	}
	_, p := openTest(t)
	const procs = 6
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := 0; i < procs; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestConcurrentProcesses$", "-test.v")
		cmd.Env = append(os.Environ(), "SELKIE_STATE_WRITER="+p, "SELKIE_STATE_N="+strconv.Itoa(i))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		outs = append(outs, &out)
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("writer %d: %v\n%s", i, err, outs[i])
		}
	}
	db, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cs, _ := db.Containers(context.Background())
	shared := 0
	for _, c := range cs {
		if c.Name == "shared" {
			shared++
		}
	}
	if len(cs) != procs*25+1 || shared != 1 {
		t.Errorf("%d records (want %d), %d named shared", len(cs), procs*25+1, shared)
	}
}

func writer(t *testing.T, p string) {
	n := os.Getenv("SELKIE_STATE_N")
	db, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	sharedErr := db.Update(ctx, func(tx *Tx) error {
		return tx.AddContainer(&Container{ID: "shared" + n, Name: "shared", Created: time.Now()})
	})
	if sharedErr != nil && !errors.Is(sharedErr, engine.ErrNameInUse) {
		t.Fatal(sharedErr)
	}
	for j := 0; j < 25; j++ {
		id := fmt.Sprintf("p%s-%d", n, j)
		if err := db.Update(ctx, func(tx *Tx) error {
			return tx.AddContainer(&Container{ID: id, Name: id, Created: time.Now()})
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ResolveContainer(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
}

func TestListRecordIsSlim(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	img := &v1.Image{History: []v1.History{{CreatedBy: "big history"}}}
	img.Config.Cmd = []string{"sh"}
	c := &Container{ID: "aaa", Name: "a", Created: time.Now(), ImageConfig: img, CreateCommand: []string{"selkie", "create"}}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.AddContainer(c) }); err != nil {
		t.Fatal(err)
	}
	l, err := db.ContainersForList(ctx)
	if err != nil || len(l) != 1 {
		t.Fatal(err)
	}
	if len(l[0].ImageConfig.History) != 0 || l[0].CreateCommand != nil || l[0].ImageConfig.Config.Cmd[0] != "sh" {
		t.Errorf("list record: %+v", l[0])
	}
	full, _ := db.Container(ctx, "aaa")
	if len(full.ImageConfig.History) != 1 || len(full.CreateCommand) != 2 {
		t.Errorf("full record lost data: %+v", full)
	}
	// a state change updates both
	full.State.Status = StatusExited
	db.Update(ctx, func(tx *Tx) error { return tx.PutContainer(full) })
	l, _ = db.ContainersForList(ctx)
	if l[0].State.Status != StatusExited {
		t.Errorf("list record stale: %s", l[0].State.Status)
	}
}

func TestMigrateV1ToV2(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state.db")
	raw, err := sql.Open("sqlite3", "file:"+p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(migrations[0]); err != nil {
		t.Fatal(err)
	}
	rec := `{"id":"old1","name":"legacy","imageConfig":{"config":{"Cmd":["sh"]},"history":[{"created_by":"x"}]},"createCommand":["a"],"state":{"status":"exited","exitCode":3}}`
	if _, err := raw.Exec(`INSERT INTO containers (id, name, created, record) VALUES ('old1', 'legacy', 1, ?)`, rec); err != nil {
		t.Fatal(err)
	}
	raw.Exec(`INSERT INTO names VALUES ('legacy', 'container', 'old1')`)
	raw.Exec(`PRAGMA user_version = 1`)
	raw.Close()
	db, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := db.ContainersForList(context.Background())
	if err != nil || len(l) != 1 || l[0].State.ExitCode != 3 || len(l[0].ImageConfig.History) != 0 || l[0].CreateCommand != nil {
		t.Fatalf("after migration: %+v %v", l, err)
	}
	if id, _ := db.ResolveContainer(context.Background(), "legacy"); id != "old1" {
		t.Errorf("name lost: %q", id)
	}
}

// TestCrashAndTruncatedWAL kills a writer with SIGKILL in the middle of its
// transactions, then also truncates the WAL it left: the database must open,
// pass integrity_check and hold only whole records.
func TestCrashAndTruncatedWAL(t *testing.T) {
	if p := os.Getenv("SELKIE_STATE_CRASHER"); p != "" {
		db, err := Open(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			id := fmt.Sprintf("c%06d", i)
			_ = db.Update(context.Background(), func(tx *Tx) error {
				return tx.AddContainer(&Container{ID: id, Name: "n" + id, Created: time.Now(), CreateCommand: []string{strings.Repeat("x", 3000)}})
			})
			if i == 20 {
				fmt.Println("going")
			}
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "state.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashAndTruncatedWAL$")
	cmd.Env = append(os.Environ(), "SELKIE_STATE_CRASHER="+p)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "going\n" {
		t.Fatalf("child: %q %v", line, err)
	}
	time.Sleep(50 * time.Millisecond)
	cmd.Process.Kill()
	cmd.Wait()

	check := func(what string) int {
		t.Helper()
		db, err := Open(context.Background(), p)
		if err != nil {
			t.Fatalf("%s: open: %v", what, err)
		}
		defer db.Close()
		var res string
		if err := db.ro.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
			t.Fatalf("%s: integrity_check = %q %v", what, res, err)
		}
		cs, err := db.Containers(context.Background())
		if err != nil {
			t.Fatalf("%s: records: %v", what, err)
		}
		for _, c := range cs {
			if id, err := db.ResolveContainer(context.Background(), c.Name); err != nil || id != c.ID {
				t.Fatalf("%s: name table out of step for %s: %q %v", what, c.ID, id, err)
			}
		}
		return len(cs)
	}
	// Copy the files as the crash left them, then truncate the WAL copy.
	wal, err := os.ReadFile(p + "-wal")
	if err != nil {
		t.Fatalf("no WAL after the crash: %v", err)
	}
	db0, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	n := check("after kill -9")
	if n < 20 {
		t.Errorf("only %d records survived", n)
	}
	p2 := filepath.Join(dir, "trunc.db")
	os.WriteFile(p2, db0, 0o600)
	os.WriteFile(p2+"-wal", wal[:len(wal)/2+77], 0o600)
	p = p2
	check("truncated WAL")
}

func TestContainersMentioning(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	add(t, db, "aaa111", "base")
	c := &Container{ID: "bbb222", Name: "dep", Created: time.Now()}
	c.Options.Network = "container:aaa111"
	if err := db.Update(ctx, func(tx *Tx) error { return tx.AddContainer(c) }); err != nil {
		t.Fatal(err)
	}
	add(t, db, "ccc333", "other")
	for text, want := range map[string]int{"aaa111": 2, "container:aaa111": 1, "%": 0, "_": 0, "zzz": 0} {
		cs, err := db.ContainersMentioning(ctx, text)
		if err != nil || len(cs) != want {
			t.Errorf("%q: %d %v, want %d", text, len(cs), err, want)
		}
	}
}

func TestRunningForList(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	add(t, db, "aaa", "a")
	add(t, db, "bbb", "b")
	c, _ := db.Container(ctx, "bbb")
	c.State.Status = StatusRunning
	if err := db.Update(ctx, func(tx *Tx) error { return tx.PutContainer(c) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.RenameContainer("bbb", "b2") }); err != nil {
		t.Fatal(err)
	}
	l, err := db.RunningForList(ctx)
	if err != nil || len(l) != 1 || l[0].ID != "bbb" || l[0].Name != "b2" {
		t.Fatalf("running: %+v %v", l, err)
	}
	c, _ = db.Container(ctx, "bbb")
	c.State.Status = StatusExited
	db.Update(ctx, func(tx *Tx) error { return tx.PutContainer(c) })
	if l, _ := db.RunningForList(ctx); len(l) != 0 {
		t.Errorf("exited container still listed as running")
	}
}

// TestConcurrentFirstOpen: several processes opening a store's database for
// the first time at once (a fresh store, parallel `selkie run`s) must all
// succeed; the switch to WAL used to fail some with "database is locked".
func TestConcurrentFirstOpen(t *testing.T) {
	if p := os.Getenv("SELKIE_STATE_OPENER"); p != "" {
		db, err := Open(context.Background(), p)
		if err != nil {
			fmt.Println(err)
			os.Exit(3)
		}
		db.Close()
		os.Exit(0)
	}
	for round := 0; round < 40; round++ {
		p := filepath.Join(t.TempDir(), "state.db")
		type proc struct {
			cmd *exec.Cmd
			out *strings.Builder
		}
		var procs []proc
		for i := 0; i < 12; i++ {
			cmd := exec.Command(os.Args[0], "-test.run=^TestConcurrentFirstOpen$")
			cmd.Env = append(os.Environ(), "SELKIE_STATE_OPENER="+p)
			out := &strings.Builder{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			procs = append(procs, proc{cmd, out})
		}
		for _, pr := range procs {
			if err := pr.cmd.Wait(); err != nil {
				t.Errorf("round %d: open: %v: %s", round, err, pr.out.String())
			}
		}
	}
}
