package lock

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMutualExclusionGoroutines(t *testing.T) {
	m := New(filepath.Join(t.TempDir(), "locks"))
	var holders, maxHolders int32
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := m.Container(context.Background(), "abc")
			if err != nil {
				t.Error(err)
				return
			}
			n := atomic.AddInt32(&holders, 1)
			for {
				old := atomic.LoadInt32(&maxHolders)
				if n <= old || atomic.CompareAndSwapInt32(&maxHolders, old, n) {
					break
				}
			}
			time.Sleep(200 * time.Microsecond)
			atomic.AddInt32(&holders, -1)
			unlock()
			unlock() // harmless
		}()
	}
	wg.Wait()
	if maxHolders != 1 {
		t.Fatalf("%d holders at once", maxHolders)
	}
}

func TestContextCancel(t *testing.T) {
	m := New(filepath.Join(t.TempDir(), "locks"))
	unlock, err := m.Container(context.Background(), "abc")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := m.Container(ctx, "abc"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want deadline", err)
	}
	// another object is independent
	u2, err := m.Container(ctx, "def")
	if err != nil {
		t.Fatal(err)
	}
	u2()
}

func TestRemoveWhileWaiting(t *testing.T) {
	m := New(filepath.Join(t.TempDir(), "locks"))
	unlock, err := m.Container(context.Background(), "abc")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan func())
	go func() {
		u, err := m.Container(context.Background(), "abc")
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	time.Sleep(20 * time.Millisecond)
	if err := m.RemoveContainer("abc"); err != nil {
		t.Fatal(err)
	}
	unlock()
	u := <-got
	// The waiter must hold the lock of the file now on disk, so that a third
	// locker is excluded.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := m.Container(ctx, "abc"); err == nil {
		t.Fatal("two holders after remove")
	}
	u()
}

func TestHostileNames(t *testing.T) {
	m := New(filepath.Join(t.TempDir(), "locks"))
	for _, id := range []string{"", "../x", "a/b", "..", ".hidden", string(make([]byte, 300))} {
		if _, err := m.Container(context.Background(), id); err == nil {
			t.Errorf("%q accepted", id)
		}
		if err := m.RemoveContainer(id); err == nil {
			t.Errorf("remove %q accepted", id)
		}
	}
}

// TestKilledHolder: a process that dies holding the lock releases it.
func TestKilledHolder(t *testing.T) {
	if dir := os.Getenv("SELKIE_LOCK_HOLD"); dir != "" {
		if _, err := New(dir).Container(context.Background(), "abc"); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute)
		return
	}
	dir := filepath.Join(t.TempDir(), "locks")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledHolder$")
	cmd.Env = append(os.Environ(), "SELKIE_LOCK_HOLD="+dir)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m := New(dir)
	line, err := bufio.NewReader(pipe).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("child: %q %v", line, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err = m.Container(ctx, "abc")
	cancel()
	if err == nil {
		t.Fatal("lock held by another process was granted")
	}
	cmd.Process.Kill()
	cmd.Wait()
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u, err := m.Container(ctx, "abc")
	if err != nil {
		t.Fatalf("lock not released by the kernel after kill -9: %v", err)
	}
	u()
}

// RemovePod deletes only the pod's lock file, refuses hostile names, and a
// waiter on the removed file ends up holding the lock of the new one.
func TestRemovePod(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	m := New(dir)
	unlock, err := m.Pod(context.Background(), "p1")
	if err != nil {
		t.Fatal(err)
	}
	uc, err := m.Container(context.Background(), "p1")
	if err != nil {
		t.Fatal(err)
	}
	uc()
	got := make(chan func())
	go func() {
		u, err := m.Pod(context.Background(), "p1")
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	time.Sleep(20 * time.Millisecond)
	if err := m.RemovePod("p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ctr-p1")); err != nil {
		t.Fatalf("RemovePod removed a container's lock: %v", err)
	}
	unlock()
	u := <-got
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := m.Pod(ctx, "p1"); err == nil {
		t.Fatal("two holders after RemovePod")
	}
	u()
	if err := m.RemovePod("p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pod-p1")); !os.IsNotExist(err) {
		t.Fatalf("pod lock file left: %v", err)
	}
	if err := m.RemovePod("p1"); err != nil {
		t.Fatalf("removing a missing lock: %v", err)
	}
	for _, id := range []string{"", "../ctr-p1", "a/b", ".."} {
		if err := m.RemovePod(id); err == nil {
			t.Errorf("RemovePod %q accepted", id)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ctr-p1")); err != nil {
		t.Fatalf("hostile RemovePod removed another file: %v", err)
	}
}

func TestValidName(t *testing.T) {
	long := strings.Repeat("a", 128)
	for s, want := range map[string]bool{
		"abc": true, "a1_.-b": true, "0": true, long: true, "ctr-1.2": true,
		"": false, long + "a": false, ".": false, "..": false, "-a": false, "_a": false,
		"a/b": false, "a b": false, "a\x00": false, "é": false, "../x": false,
	} {
		if got := ValidName(s); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", s, got, want)
		}
	}
}
