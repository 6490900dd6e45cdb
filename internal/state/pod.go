package state

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/selkie-containers/selkie/engine"
)

// Pod is one pod's record. Its name shares the names table with containers,
// so a name is unique across both.
type Pod struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// Options are the create options (after defaults).
	Options engine.PodCreateOptions `json:"options"`
	// InfraID is the infra container's ID ("" without infra).
	InfraID string `json:"infraId,omitempty"`
	// Share lists the shared namespaces (net, ipc, uts, pid, cgroup).
	Share []string `json:"share"`
	// CgroupPath is the pod's cgroup (cgroupfs path, parent of its members'
	// cgroups), "" when the pod has none.
	CgroupPath string `json:"cgroupPath,omitempty"`
}

func noSuchPod(ref string) error {
	return fmt.Errorf("no pod with name or ID %s found: %w", ref, engine.ErrNoSuchPod)
}

// podNameInUseError is Podman's text for a taken pod name; kind is what
// holds the name (pod or container).
type podNameInUseError struct{ name, kind string }

func (e *podNameInUseError) Error() string {
	return fmt.Sprintf("adding pod to state: name %q is in use: %s already exists", e.name, e.kind)
}
func (e *podNameInUseError) Unwrap() error { return engine.ErrNameInUse }

// AddPod inserts a new pod and reserves its name.
func (t *Tx) AddPod(p *Pod) error {
	var kind string
	err := t.tx.QueryRow(`SELECT kind FROM names WHERE name = ?`, p.Name).Scan(&kind)
	if err == nil {
		return &podNameInUseError{p.Name, kind}
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	rec, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if _, err := t.tx.Exec(`INSERT INTO names (name, kind, id) VALUES (?, 'pod', ?)`, p.Name, p.ID); err != nil {
		return &podNameInUseError{p.Name, "pod"}
	}
	if _, err := t.tx.Exec(`INSERT INTO pods (id, name, record) VALUES (?, ?, ?)`, p.ID, p.Name, string(rec)); err != nil {
		return fmt.Errorf("saving pod %s: %w", p.ID, err)
	}
	return nil
}

// PutPod saves an existing pod record.
func (t *Tx) PutPod(p *Pod) error {
	rec, err := json.Marshal(p)
	if err != nil {
		return err
	}
	res, err := t.tx.Exec(`UPDATE pods SET record = ? WHERE id = ?`, string(rec), p.ID)
	if err != nil {
		return fmt.Errorf("saving pod %s: %w", p.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return noSuchPod(p.ID)
	}
	return nil
}

// DeletePod removes the pod record and its name.
func (t *Tx) DeletePod(id string) error {
	res, err := t.tx.Exec(`DELETE FROM pods WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("removing pod %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return noSuchPod(id)
	}
	_, err = t.tx.Exec(`DELETE FROM names WHERE id = ? AND kind = 'pod'`, id)
	return err
}

// Pod reads one pod by full ID.
func (t *Tx) Pod(id string) (*Pod, error) {
	var rec string
	err := t.tx.QueryRow(`SELECT record FROM pods WHERE id = ?`, id).Scan(&rec)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noSuchPod(id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading pod %s: %w", id, err)
	}
	var p Pod
	if err := json.Unmarshal([]byte(rec), &p); err != nil {
		return nil, fmt.Errorf("decoding pod record: %w", err)
	}
	return &p, nil
}

// ResolvePod resolves a full ID, an exact name or a unique ID prefix.
func (t *Tx) ResolvePod(ref string) (string, error) {
	return t.resolve("pods", "pod", ref, noSuchPod)
}

// Pods reads every pod, oldest first.
func (t *Tx) Pods() ([]*Pod, error) {
	rows, err := t.tx.Query(`SELECT record FROM pods`)
	if err != nil {
		return nil, fmt.Errorf("listing pods: %w", err)
	}
	defer rows.Close()
	var out []*Pod
	for rows.Next() {
		var rec string
		if err := rows.Scan(&rec); err != nil {
			return nil, err
		}
		var p Pod
		if err := json.Unmarshal([]byte(rec), &p); err != nil {
			return nil, fmt.Errorf("decoding pod record: %w", err)
		}
		out = append(out, &p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortPods(out)
	return out, nil
}

func sortPods(ps []*Pod) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].Created.Before(ps[j-1].Created); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// PodMembers reads the records of the containers in pod id, oldest first.
func (t *Tx) PodMembers(id string) ([]*Container, error) {
	return t.containers(`SELECT record FROM containers WHERE json_extract(record, '$.pod') = ? ORDER BY created, id`, id)
}
