package state

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/engine"
)

func TestPodRecords(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	p := &Pod{ID: "abcdef0123456789", Name: "web", Created: time.Now(), Share: []string{"ipc", "net", "uts"}}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.AddPod(p) }); err != nil {
		t.Fatal(err)
	}
	// One names table: a pod name is taken for pods and containers alike.
	err := db.Update(ctx, func(tx *Tx) error { return tx.AddPod(&Pod{ID: "ff00", Name: "web"}) })
	if !errors.Is(err, engine.ErrNameInUse) || err.Error() != `adding pod to state: name "web" is in use: pod already exists` {
		t.Fatalf("duplicate pod: %v", err)
	}
	err = db.Update(ctx, func(tx *Tx) error { return tx.AddContainer(&Container{ID: "c1", Name: "web", Created: time.Now()}) })
	if !errors.Is(err, engine.ErrNameInUse) {
		t.Fatalf("container named like a pod: %v", err)
	}
	c := &Container{ID: "c1", Name: "ctr", Created: time.Now(), Pod: p.ID}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.AddContainer(c) }); err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *Tx) error { return tx.AddPod(&Pod{ID: "ff00", Name: "ctr"}) })
	if !errors.Is(err, engine.ErrNameInUse) || err.Error() != `adding pod to state: name "ctr" is in use: container already exists` {
		t.Fatalf("pod named like a container: %v", err)
	}
	// Lookups: ID, name, prefix; never a LIKE pattern; pods and containers apart.
	err = db.View(ctx, func(tx *Tx) error {
		for _, ref := range []string{p.ID, "web", "abc"} {
			if id, err := tx.ResolvePod(ref); err != nil || id != p.ID {
				t.Errorf("ResolvePod(%q) = %q, %v", ref, id, err)
			}
		}
		for _, ref := range []string{"%", "a%", "_", "ctr", ""} {
			if _, err := tx.ResolvePod(ref); !errors.Is(err, engine.ErrNoSuchPod) {
				t.Errorf("ResolvePod(%q): %v", ref, err)
			}
		}
		if _, err := tx.ResolveContainer("web"); !errors.Is(err, engine.ErrNoSuchContainer) {
			t.Errorf("ResolveContainer(pod name): %v", err)
		}
		ms, err := tx.PodMembers(p.ID)
		if err != nil || len(ms) != 1 || ms[0].ID != "c1" {
			t.Errorf("PodMembers: %v %v", ms, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p.InfraID = "c1"
	if err := db.Update(ctx, func(tx *Tx) error { return tx.PutPod(p) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.AddPod(&Pod{ID: "abd000", Name: "other", Created: time.Now()}) }); err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *Tx) error {
		if _, err := tx.ResolvePod("ab"); !errors.Is(err, engine.ErrAmbiguous) {
			t.Errorf("ambiguous prefix: %v", err)
		}
		ps, err := tx.Pods()
		if err != nil || len(ps) != 2 || ps[0].InfraID != "c1" || ps[1].Name != "other" {
			t.Errorf("Pods: %+v %v", ps, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.DeletePod(p.ID) }); err != nil {
		t.Fatal(err)
	}
	// The name is free again.
	if err := db.Update(ctx, func(tx *Tx) error { return tx.AddPod(&Pod{ID: "new1", Name: "web"}) }); err != nil {
		t.Fatalf("name not released: %v", err)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.DeletePod("nope") }); !errors.Is(err, engine.ErrNoSuchPod) {
		t.Fatalf("delete unknown: %v", err)
	}
}
