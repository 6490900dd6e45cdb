package state

import (
	"context"
	"errors"
	"testing"

	"github.com/selkie-containers/selkie/engine"
)

func TestVolumeRecords(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	v := &Volume{Name: "v1", Driver: "local", Labels: map[string]string{"a": "b"}, Options: map[string]string{}, NeedsCopyUp: true}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.AddVolume(v) }); err != nil {
		t.Fatal(err)
	}
	err := db.Update(ctx, func(tx *Tx) error { return tx.AddVolume(v) })
	if !errors.Is(err, engine.ErrVolumeExists) || err.Error() != "volume with name v1 already exists: volume already exists" {
		t.Fatalf("duplicate: %v", err)
	}
	// LIKE metacharacters are not wildcards.
	for _, n := range []string{"v%", "v_", "%"} {
		if _, err := db.Volume(ctx, n); !errors.Is(err, engine.ErrNoSuchVolume) {
			t.Fatalf("lookup %q: %v", n, err)
		}
	}
	v.NeedsCopyUp = false
	v.MountCount = 2
	if err := db.Update(ctx, func(tx *Tx) error { return tx.PutVolume(v) }); err != nil {
		t.Fatal(err)
	}
	got, err := db.Volume(ctx, "v1")
	if err != nil || got.NeedsCopyUp || got.MountCount != 2 || got.Labels["a"] != "b" {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.PutVolume(&Volume{Name: "nope"}) }); !errors.Is(err, engine.ErrNoSuchVolume) {
		t.Fatalf("put unknown: %v", err)
	}
	var all []*Volume
	_ = db.View(ctx, func(tx *Tx) error { all, err = tx.Volumes(); return err })
	if len(all) != 1 {
		t.Fatalf("list: %v", all)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.DeleteVolume("v1") }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.DeleteVolume("v1") }); !errors.Is(err, engine.ErrNoSuchVolume) {
		t.Fatalf("delete twice: %v", err)
	}
}
