package state

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/selkie-containers/selkie/engine"
)

// ExecSession is one `exec` session's record (table exec_sessions). Rows are
// deleted with their container (ON DELETE CASCADE).
type ExecSession struct {
	ID          string                   `json:"id"`
	ContainerID string                   `json:"containerId"`
	Options     engine.ExecCreateOptions `json:"options"`
	Created     time.Time                `json:"created"`
	// Running is true between start and exit.
	Running   bool  `json:"running"`
	Pid       int   `json:"pid,omitempty"`
	ExitCode  int   `json:"exitCode"`
	Exited    bool  `json:"exited,omitempty"`
	ConmonPid int   `json:"conmonPid,omitempty"`
	Started   int64 `json:"started,omitempty"`
}

// PutExecSession inserts or replaces an exec session record.
func (t *Tx) PutExecSession(s *ExecSession) error {
	rec, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(`INSERT INTO exec_sessions (id, container_id, record) VALUES (?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET record = excluded.record`, s.ID, s.ContainerID, string(rec))
	if err != nil {
		return fmt.Errorf("saving exec session %s: %w", s.ID, err)
	}
	return nil
}

// ExecSession reads one session by full ID.
func (t *Tx) ExecSession(id string) (*ExecSession, error) {
	var rec string
	err := t.tx.QueryRow(`SELECT record FROM exec_sessions WHERE id = ?`, id).Scan(&rec)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("no exec session with ID %s found: %w", id, engine.ErrNoSuchExec)
	}
	if err != nil {
		return nil, err
	}
	var s ExecSession
	if err := json.Unmarshal([]byte(rec), &s); err != nil {
		return nil, fmt.Errorf("decoding exec session: %w", err)
	}
	return &s, nil
}

// ExecSessions lists the sessions of a container.
func (t *Tx) ExecSessions(containerID string) ([]*ExecSession, error) {
	rows, err := t.tx.Query(`SELECT record FROM exec_sessions WHERE container_id = ? ORDER BY id`, containerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*ExecSession
	for rows.Next() {
		var rec string
		if err := rows.Scan(&rec); err != nil {
			return nil, err
		}
		var s ExecSession
		if err := json.Unmarshal([]byte(rec), &s); err != nil {
			return nil, fmt.Errorf("decoding exec session: %w", err)
		}
		out = append(out, &s)
	}
	return out, rows.Err()
}

// DeleteExecSession removes one session (no error if absent).
func (t *Tx) DeleteExecSession(id string) error {
	_, err := t.tx.Exec(`DELETE FROM exec_sessions WHERE id = ?`, id)
	return err
}
