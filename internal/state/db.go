package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	sqlite3 "github.com/mattn/go-sqlite3"
	v1 "github.com/opencontainers/image-spec/specs-go/v1" // registers "sqlite3"; linked anyway by containers/image
	"github.com/selkie-containers/selkie/engine"
	"golang.org/x/sys/unix"
)

// DB is the state database: <graphroot>/selkie/state.db.
//
// Settings and why:
//   - WAL journal: readers (ps, inspect) never block the writer, nor it them.
//   - synchronous=NORMAL: in WAL mode the WAL is fsynced at checkpoints,
//     not at each commit. That is crash-safe against process death (a
//     killed selkie never loses a committed record, the file never
//     corrupts); only a power loss may forget the last commits. What that
//     can leave behind is a storage container (containers/storage fsyncs)
//     without a record: `ps --external` lists it and `rm` removes it
//     (removeExternal), so nothing is stranded. FULL cost an fsync per
//     commit, ~10 of the ~24 fsyncs of a `run --rm`.
//   - busy timeout 100 s, as Podman: concurrent selkie processes wait, not fail.
//   - _txlock=immediate for writers: a write transaction takes the write
//     lock at BEGIN, so two writers never deadlock upgrading read locks.
//     Reads use a second handle with deferred transactions so that ps never
//     waits for a writer.
//   - foreign keys on: exec sessions die with their container.
type DB struct {
	rw *sql.DB
	ro *sql.DB
}

// Tx is one transaction; its methods are the only way records change.
type Tx struct {
	tx *sql.Tx
}

// Open opens (creating and migrating if needed) the database at path.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	dsn := func(txlock string) string {
		q := url.Values{}
		q.Set("_busy_timeout", "100000")
		q.Set("_journal_mode", "WAL")
		q.Set("_foreign_keys", "1")
		q.Set("_synchronous", "NORMAL")
		q.Set("_txlock", txlock)
		return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	}
	rw, err := sql.Open("sqlite3", dsn("immediate"))
	if err != nil {
		return nil, fmt.Errorf("opening state database: %w", err)
	}
	ro, err := sql.Open("sqlite3", dsn("deferred"))
	if err != nil {
		rw.Close()
		return nil, fmt.Errorf("opening state database: %w", err)
	}
	d := &DB{rw: rw, ro: ro}
	if err := d.firstConnect(ctx, path); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// firstConnect makes the first connection and migrates under an flock on
// <path>.lock. Switching a new database to WAL takes an exclusive lock that
// SQLite does not wait for (concurrent first opens of a fresh store failed
// with "database is locked" despite the busy timeout); once the file is in
// WAL mode, later connections' journal_mode pragma is a no-op.
func (d *DB) firstConnect(ctx context.Context, path string) error {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening state database lock: %w", err)
	}
	defer f.Close()
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("locking state database: %w", err)
	}
	defer unix.Flock(int(f.Fd()), unix.LOCK_UN) //nolint:errcheck // closing unlocks too
	return d.migrate(ctx)
}

// Close closes the database.
func (d *DB) Close() error {
	return errors.Join(d.ro.Close(), d.rw.Close())
}

// migrations[i] moves the schema from user_version i to i+1.
var migrations = []string{
	`CREATE TABLE IF NOT EXISTS containers (
		id      TEXT PRIMARY KEY NOT NULL,
		name    TEXT NOT NULL UNIQUE,
		created INTEGER NOT NULL,
		record  TEXT NOT NULL
	);
	CREATE TABLE IF NOT EXISTS names (
		name TEXT PRIMARY KEY NOT NULL,
		kind TEXT NOT NULL CHECK (kind IN ('container', 'pod')),
		id   TEXT NOT NULL
	);
	CREATE TABLE IF NOT EXISTS pods (
		id     TEXT PRIMARY KEY NOT NULL,
		name   TEXT NOT NULL UNIQUE,
		record TEXT NOT NULL
	);
	CREATE TABLE IF NOT EXISTS volumes (
		name   TEXT PRIMARY KEY NOT NULL,
		record TEXT NOT NULL
	);
	CREATE TABLE IF NOT EXISTS exec_sessions (
		id           TEXT PRIMARY KEY NOT NULL,
		container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
		record       TEXT NOT NULL
	);
	CREATE INDEX IF NOT EXISTS exec_sessions_container ON exec_sessions(container_id);`,
	// 2: a slim copy of each record for ps (no image history, no create
	// command), so listing 1000 containers decodes a fraction of the JSON.
	`ALTER TABLE containers ADD COLUMN list_record TEXT;
	CREATE INDEX IF NOT EXISTS containers_created ON containers(created, id);`,
	// 3: the status as a column, so that `ps` (running only) decodes only
	// the running and paused containers.
	`ALTER TABLE containers ADD COLUMN status TEXT;
	UPDATE containers SET status = json_extract(record, '$.state.status');`,
}

// SchemaVersion is the user_version this build writes.
var SchemaVersion = len(migrations)

func (d *DB) migrate(ctx context.Context) error {
	var v int
	if err := d.ro.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("reading state database version: %w", err)
	}
	if v == len(migrations) {
		return nil
	}
	return d.Update(ctx, func(tx *Tx) error {
		// Re-read inside the write lock: another process may have migrated.
		if err := tx.tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			return err
		}
		if v > len(migrations) {
			return fmt.Errorf("state database version %d is newer than this selkie understands (%d)", v, len(migrations))
		}
		from := v
		for ; v < len(migrations); v++ {
			if _, err := tx.tx.ExecContext(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migrating state database to version %d: %w", v+1, err)
			}
		}
		if from >= 1 && from < 2 {
			if err := tx.fillListRecords(); err != nil {
				return fmt.Errorf("migrating state database to version 2: %w", err)
			}
		}
		// PRAGMA takes no bind parameters; v is our own integer.
		_, err := tx.tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v))
		return err
	})
}

// fillListRecords writes the slim list_record of rows that lack one.
func (t *Tx) fillListRecords() error {
	cs, err := t.containers(`SELECT record FROM containers WHERE list_record IS NULL`)
	if err != nil {
		return err
	}
	for _, c := range cs {
		_, slim, err := encode(c)
		if err != nil {
			return err
		}
		if _, err := t.tx.Exec(`UPDATE containers SET list_record = ? WHERE id = ?`, slim, c.ID); err != nil {
			return err
		}
	}
	return nil
}

// Update runs fn in a write transaction, committing when fn returns nil.
// Keep fn short: never wait for a lock or call the runtime inside it.
func (d *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	return run(ctx, d.rw, fn)
}

// View runs fn in a read transaction (a consistent snapshot).
func (d *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	return run(ctx, d.ro, fn)
}

func run(ctx context.Context, db *sql.DB, fn func(tx *Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning state transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(&Tx{tx: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing state transaction: %w", err)
	}
	return nil
}

// Container reads one record by full ID.
func (d *DB) Container(ctx context.Context, id string) (c *Container, err error) {
	err = d.View(ctx, func(tx *Tx) error {
		c, err = tx.Container(id)
		return err
	})
	return c, err
}

// ResolveContainer turns a name, a full ID or a unique ID prefix into an ID.
func (d *DB) ResolveContainer(ctx context.Context, ref string) (id string, err error) {
	err = d.View(ctx, func(tx *Tx) error {
		id, err = tx.ResolveContainer(ref)
		return err
	})
	return id, err
}

// Containers reads every container record, oldest first.
func (d *DB) Containers(ctx context.Context) (cs []*Container, err error) {
	err = d.View(ctx, func(tx *Tx) error {
		cs, err = tx.Containers()
		return err
	})
	return cs, err
}

// ContainersMentioning reads the slim records that contain text (for
// example another container's ID), oldest first: a cheap pre-filter that
// the caller must confirm on the decoded records.
func (d *DB) ContainersMentioning(ctx context.Context, text string) (cs []*Container, err error) {
	err = d.View(ctx, func(tx *Tx) error {
		cs, err = tx.containers(`SELECT coalesce(list_record, record) FROM containers WHERE instr(coalesce(list_record, record), ?) > 0 ORDER BY created, id`, text)
		return err
	})
	return cs, err
}

// ContainersForList reads every container's slim record (see Tx.ContainersForList).
func (d *DB) ContainersForList(ctx context.Context) (cs []*Container, err error) {
	err = d.View(ctx, func(tx *Tx) error {
		cs, err = tx.ContainersForList()
		return err
	})
	return cs, err
}

// RunningForList reads the slim records of running and paused containers.
func (d *DB) RunningForList(ctx context.Context) (cs []*Container, err error) {
	err = d.View(ctx, func(tx *Tx) error {
		cs, err = tx.RunningForList()
		return err
	})
	return cs, err
}

// encode returns the full record and the slim one used by listings.
func encode(c *Container) (full, slim string, err error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", "", err
	}
	l := *c
	l.CreateCommand = nil
	l.Options.CreateCommand = nil
	if c.ImageConfig != nil {
		l.ImageConfig = &v1.Image{Config: c.ImageConfig.Config}
	}
	sb, err := json.Marshal(&l)
	if err != nil {
		return "", "", err
	}
	return string(b), string(sb), nil
}

func noSuchContainer(ref string) error {
	return fmt.Errorf("no container with name or ID %q found: %w", ref, engine.ErrNoSuchContainer)
}

// Container reads one record by full ID.
func (t *Tx) Container(id string) (*Container, error) {
	var rec string
	err := t.tx.QueryRow(`SELECT record FROM containers WHERE id = ?`, id).Scan(&rec)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noSuchContainer(id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading container %s: %w", id, err)
	}
	return decodeContainer(rec)
}

func decodeContainer(rec string) (*Container, error) {
	var c Container
	if err := json.Unmarshal([]byte(rec), &c); err != nil {
		return nil, fmt.Errorf("decoding container record: %w", err)
	}
	return &c, nil
}

// ResolveContainer resolves ref as Podman does: a full ID first, then an
// exact name, then a unique ID prefix. Several prefix matches are an error
// wrapping engine.ErrAmbiguous.
func (t *Tx) ResolveContainer(ref string) (string, error) {
	return t.resolve("containers", "container", ref, noSuchContainer)
}

// resolve is the one lookup behind ResolveContainer and ResolvePod. table and
// kind are constants from this package, never user input.
func (t *Tx) resolve(table, kind, ref string, noSuch func(string) error) (string, error) {
	if ref == "" {
		return "", noSuch(ref)
	}
	var id string
	err := t.tx.QueryRow(`SELECT id FROM `+table+` WHERE id = ?`, ref).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("looking up %s %q: %w", kind, ref, err)
	}
	err = t.tx.QueryRow(`SELECT id FROM names WHERE name = ? AND kind = ?`, ref, kind).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("looking up %s %q: %w", kind, ref, err)
	}
	// Prefix match with substr: the user's text is a bound value, never a
	// pattern, so '%' and '_' have no special meaning.
	rows, err := t.tx.Query(`SELECT id FROM `+table+` WHERE substr(id, 1, ?) = ? LIMIT 2`, len(ref), ref)
	if err != nil {
		return "", fmt.Errorf("looking up %s %q: %w", kind, ref, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", noSuch(ref)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("more than one result for %s %q: %w", kind, ref, engine.ErrAmbiguous)
}

// Containers reads every container record, oldest first.
func (t *Tx) Containers() ([]*Container, error) {
	return t.containers(`SELECT record FROM containers ORDER BY created, id`)
}

// ContainersForList reads every container for listing, oldest first. The
// records are slim (see encode): ImageConfig holds only the image's config
// block and CreateCommand is empty. Never save them back.
func (t *Tx) ContainersForList() ([]*Container, error) {
	return t.containers(`SELECT coalesce(list_record, record) FROM containers ORDER BY created, id`)
}

// RunningForList is ContainersForList restricted to records whose status
// is running or paused.
func (t *Tx) RunningForList() ([]*Container, error) {
	return t.containers(`SELECT coalesce(list_record, record) FROM containers
		WHERE status IN ('running', 'paused') ORDER BY created, id`)
}

func (t *Tx) containers(query string, args ...any) ([]*Container, error) {
	rows, err := t.tx.Query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	defer rows.Close()
	var out []*Container
	for rows.Next() {
		var rec string
		if err := rows.Scan(&rec); err != nil {
			return nil, err
		}
		c, err := decodeContainer(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// NameInUse returns the error Podman gives when a name is taken.
func NameInUse(name, id string) error { return &nameInUseError{name: name, id: id} }

// nameInUseError prints Podman's text ("…: that name is already in use")
// and still matches engine.ErrNameInUse with errors.Is.
type nameInUseError struct {
	name, id string
	pod      bool // the name belongs to a pod
}

func (e *nameInUseError) Error() string {
	if e.pod {
		return fmt.Sprintf("name %q is in use: pod already exists", e.name)
	}
	return fmt.Sprintf("the container name %q is already in use by %s. You have to remove that container to be able to reuse that name: that name is already in use", e.name, e.id)
}
func (e *nameInUseError) Unwrap() error { return engine.ErrNameInUse }

// nameOwner returns the ID holding name, or "".
func (t *Tx) nameOwner(name string) (string, error) {
	var id string
	err := t.tx.QueryRow(`SELECT id FROM names WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// AddContainer inserts a new record and reserves its name. A taken name (by a
// container or a pod) is an error wrapping engine.ErrNameInUse.
func (t *Tx) AddContainer(c *Container) error {
	if owner, err := t.nameOwner(c.Name); err != nil {
		return err
	} else if owner != "" {
		var kind string
		if err := t.tx.QueryRow(`SELECT kind FROM names WHERE name = ?`, c.Name).Scan(&kind); err == nil && kind == "pod" {
			return &nameInUseError{name: c.Name, id: owner, pod: true}
		}
		return NameInUse(c.Name, owner)
	}
	rec, slim, err := encode(c)
	if err != nil {
		return err
	}
	if _, err := t.tx.Exec(`INSERT INTO names (name, kind, id) VALUES (?, 'container', ?)`, c.Name, c.ID); err != nil {
		return mapConstraint(err, c)
	}
	if _, err := t.tx.Exec(`INSERT INTO containers (id, name, created, record, list_record, status) VALUES (?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, c.Created.UnixNano(), rec, slim, c.State.Status); err != nil {
		return mapConstraint(err, c)
	}
	return nil
}

func mapConstraint(err error, c *Container) error {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrConstraint {
		if strings.Contains(se.Error(), "containers.id") {
			return fmt.Errorf("container ID %s already exists: %w", c.ID, engine.ErrInvalidArg)
		}
		return NameInUse(c.Name, "another container")
	}
	return fmt.Errorf("saving container %s: %w", c.ID, err)
}

// PutContainer saves an existing record (state changes). The name cannot
// change here; use RenameContainer.
func (t *Tx) PutContainer(c *Container) error {
	rec, slim, err := encode(c)
	if err != nil {
		return err
	}
	res, err := t.tx.Exec(`UPDATE containers SET record = ?, list_record = ?, status = ? WHERE id = ? AND name = ?`, rec, slim, c.State.Status, c.ID, c.Name)
	if err != nil {
		return fmt.Errorf("saving container %s: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return noSuchContainer(c.ID)
	}
	return nil
}

// RenameContainer gives container id a new name, keeping names unique.
func (t *Tx) RenameContainer(id, newName string) error {
	c, err := t.Container(id)
	if err != nil {
		return err
	}
	if c.Name == newName {
		return nil
	}
	if owner, err := t.nameOwner(newName); err != nil {
		return err
	} else if owner != "" {
		return NameInUse(newName, owner)
	}
	old := c.Name
	c.Name = newName
	rec, slim, err := encode(c)
	if err != nil {
		return err
	}
	if _, err := t.tx.Exec(`DELETE FROM names WHERE name = ? AND id = ?`, old, id); err != nil {
		return err
	}
	if _, err := t.tx.Exec(`INSERT INTO names (name, kind, id) VALUES (?, 'container', ?)`, newName, id); err != nil {
		return mapConstraint(err, c)
	}
	if _, err := t.tx.Exec(`UPDATE containers SET name = ?, record = ?, list_record = ?, status = ? WHERE id = ?`, newName, rec, slim, c.State.Status, id); err != nil {
		return mapConstraint(err, c)
	}
	return nil
}

// DeleteContainer removes the record, its name and its exec sessions.
func (t *Tx) DeleteContainer(id string) error {
	res, err := t.tx.Exec(`DELETE FROM containers WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("removing container %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return noSuchContainer(id)
	}
	_, err = t.tx.Exec(`DELETE FROM names WHERE id = ? AND kind = 'container'`, id)
	return err
}

// ContainerByName returns the ID of the container named name, or "".
func (t *Tx) ContainerByName(name string) (string, error) {
	var id string
	err := t.tx.QueryRow(`SELECT id FROM names WHERE name = ? AND kind = 'container'`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}
