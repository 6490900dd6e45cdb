package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/selkie-containers/selkie/engine"
)

// Volume is a named volume's record: the inspect document plus nothing
// else (the mount count of mount-backed volumes lives in it too).
type Volume = engine.Volume

func noSuchVolume(name string) error {
	return fmt.Errorf("no volume with name %q found: %w", name, engine.ErrNoSuchVolume)
}

// AddVolume inserts a new volume; an existing name is ErrVolumeExists.
func (t *Tx) AddVolume(v *Volume) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	res, err := t.tx.Exec(`INSERT INTO volumes (name, record) VALUES (?, ?) ON CONFLICT(name) DO NOTHING`, v.Name, string(b))
	if err != nil {
		return fmt.Errorf("adding volume %s: %w", v.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("volume with name %s already exists: %w", v.Name, engine.ErrVolumeExists)
	}
	return nil
}

// PutVolume replaces an existing volume's record.
func (t *Tx) PutVolume(v *Volume) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	res, err := t.tx.Exec(`UPDATE volumes SET record = ? WHERE name = ?`, string(b), v.Name)
	if err != nil {
		return fmt.Errorf("saving volume %s: %w", v.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return noSuchVolume(v.Name)
	}
	return nil
}

// Volume reads one volume by exact name.
func (t *Tx) Volume(name string) (*Volume, error) {
	var rec string
	err := t.tx.QueryRow(`SELECT record FROM volumes WHERE name = ?`, name).Scan(&rec)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noSuchVolume(name)
	}
	if err != nil {
		return nil, err
	}
	v := new(Volume)
	if err := json.Unmarshal([]byte(rec), v); err != nil {
		return nil, fmt.Errorf("decoding volume %s: %w", name, err)
	}
	return v, nil
}

// Volumes lists every volume sorted by name.
func (t *Tx) Volumes() ([]*Volume, error) {
	rows, err := t.tx.Query(`SELECT record FROM volumes ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []*Volume
	for rows.Next() {
		var rec string
		if err := rows.Scan(&rec); err != nil {
			return nil, err
		}
		v := new(Volume)
		if err := json.Unmarshal([]byte(rec), v); err != nil {
			return nil, fmt.Errorf("decoding volume record: %w", err)
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

// DeleteVolume removes a volume's record.
func (t *Tx) DeleteVolume(name string) error {
	res, err := t.tx.Exec(`DELETE FROM volumes WHERE name = ?`, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return noSuchVolume(name)
	}
	return nil
}

// Volume reads one volume outside a write transaction.
func (d *DB) Volume(ctx context.Context, name string) (v *Volume, err error) {
	err = d.View(ctx, func(tx *Tx) error { v, err = tx.Volume(name); return err })
	return v, err
}
