package events

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/engine"
)

func readAll(t *testing.T, l *Log, o ReadOptions) []engine.Event {
	t.Helper()
	var out []engine.Event
	if err := l.Read(context.Background(), o, func(ev engine.Event) error { out = append(out, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteReadFilter(t *testing.T) {
	l := New(t.TempDir())
	if evs := readAll(t, l, ReadOptions{}); len(evs) != 0 {
		t.Fatalf("missing log: %v", evs)
	}
	t0 := time.Now()
	evs := []engine.Event{
		{Type: engine.EventTypeContainer, Status: "create", ID: "aaaa1111", Name: "c1", Image: "localhost/busybox:latest", Attributes: map[string]string{"k": "v"}, Time: t0.Add(-time.Hour)},
		{Type: engine.EventTypeContainer, Status: "died", ID: "bbbb2222", Name: "c2", Image: "quay.io/x:1", ContainerExitCode: 3, Time: t0},
		{Type: engine.EventTypeImage, Status: "pull", ID: "cccc", Name: "localhost/busybox", Time: t0},
		{Type: engine.EventTypeVolume, Status: "create", Name: "v1"},
	}
	for _, ev := range evs {
		if err := l.Write(ev); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(l.Path)
	if !strings.Contains(string(data), `"ContainerExitCode":3,"ID":"bbbb2222"`) || strings.Count(string(data), "\n") != 4 {
		t.Fatalf("log file:\n%s", data)
	}
	if fi, _ := os.Stat(l.Path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("log mode %v", fi.Mode())
	}
	cases := []struct {
		filters []string
		want    string
	}{
		{nil, "c1 c2 localhost/busybox v1"},
		{[]string{"type=container"}, "c1 c2"},
		{[]string{"type=container", "type=volume"}, "c1 c2 v1"},
		{[]string{"type=container", "event=died"}, "c2"},
		{[]string{"status=create"}, "c1 v1"},
		{[]string{"container=aaaa"}, "c1"},
		{[]string{"container=c2"}, "c2"},
		{[]string{"image=busybox"}, "c1 localhost/busybox"},
		{[]string{"label=k=v"}, "c1"},
		{[]string{"label=k"}, "c1"},
		{[]string{"label=k=w"}, ""},
		{[]string{"volume=v1"}, "v1"},
	}
	for _, c := range cases {
		m, err := Filter(c.filters)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, ev := range readAll(t, l, ReadOptions{Match: m}) {
			names = append(names, ev.Name)
		}
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("filters %v: got %q, want %q", c.filters, got, c.want)
		}
	}
	if got := readAll(t, l, ReadOptions{Since: t0.Add(-time.Minute)}); len(got) != 3 {
		t.Errorf("since: %d events", len(got))
	}
	if got := readAll(t, l, ReadOptions{Until: t0.Add(-time.Minute)}); len(got) != 1 || got[0].Name != "c1" {
		t.Errorf("until: %v", got)
	}
	for _, bad := range [][]string{{"nokey"}, {"bogus=1"}} {
		if _, err := Filter(bad); err == nil {
			t.Errorf("filter %v accepted", bad)
		}
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"10m":                  now.Add(-10 * time.Minute),
		"2024-05-06T07:00:00Z": time.Date(2024, 5, 6, 7, 0, 0, 0, time.UTC),
		"1700000000":           time.Unix(1700000000, 0),
		"1700000000.5":         time.Unix(1700000000, 500000000),
	} {
		got, err := ParseTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "12x", "1.x"} {
		if _, err := ParseTime(bad, now); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}

// A hostile or damaged log (garbage, a torn last line, huge lines) is
// skipped line by line, never fatal.
func TestReadDamagedLog(t *testing.T) {
	l := New(t.TempDir())
	if err := l.Write(engine.Event{Type: "volume", Status: "create", Name: "ok1"}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(l.Path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "not json\n{\"Type\":1}\n%s\n", strings.Repeat("x", 200000))
	f.Close()
	if err := l.Write(engine.Event{Type: "volume", Status: "create", Name: "ok2"}); err != nil {
		t.Fatal(err)
	}
	f, _ = os.OpenFile(l.Path, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprint(f, `{"Type":"volume","Status":"create","Name":"torn"`)
	f.Close()
	var names []string
	for _, ev := range readAll(t, l, ReadOptions{}) {
		names = append(names, ev.Name)
	}
	if strings.Join(names, " ") != "ok1 ok2" {
		t.Fatalf("got %v", names)
	}
}

func TestRotation(t *testing.T) {
	l := New(t.TempDir())
	l.MaxSize = 20000
	for i := 0; i < 500; i++ {
		if err := l.Write(engine.Event{Type: "volume", Status: "create", Name: "v" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(l.Path)
	if err != nil || fi.Size() > l.MaxSize {
		t.Fatalf("log not rotated: %v %v", fi.Size(), err)
	}
	evs := readAll(t, l, ReadOptions{})
	if len(evs) == 0 || evs[len(evs)-1].Name != "v499" {
		t.Fatalf("newest event lost: %v", evs[len(evs)-1])
	}
	rot := 0
	for _, ev := range evs {
		if ev.Type == engine.EventTypeSystem && ev.Status == "log-rotation" {
			rot++
		}
	}
	if rot == 0 {
		t.Fatal("no log-rotation event")
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(l.Path), ".events-*")); len(m) != 0 {
		t.Fatalf("temp files left: %v", m)
	}
}

func TestStreamFollowsAndStops(t *testing.T) {
	l := New(t.TempDir())
	l.PollInterval = 10 * time.Millisecond
	if err := l.Write(engine.Event{Type: "volume", Status: "create", Name: "old"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- l.Read(ctx, ReadOptions{Stream: true}, func(ev engine.Event) error { got <- ev.Name; return nil })
	}()
	time.Sleep(50 * time.Millisecond)
	_ = l.Write(engine.Event{Type: "volume", Status: "create", Name: "new"})
	select {
	case n := <-got:
		if n != "new" {
			t.Fatalf("stream without since gave %q first", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("streamed event not seen")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("stream did not stop on cancel")
	}
	// With until in the near future the stream ends by itself.
	start := time.Now()
	err := l.Read(context.Background(), ReadOptions{Stream: true, Since: start.Add(-time.Hour), Until: start.Add(200 * time.Millisecond)}, func(engine.Event) error { return nil })
	if err != nil || time.Since(start) > 3*time.Second {
		t.Fatalf("until stream: %v after %v", err, time.Since(start))
	}
}

// TestConcurrentProcesses has many processes append lines longer than
// PIPE_BUF at once (with rotation): every line read back must be whole.
func TestConcurrentProcesses(t *testing.T) {
	if dir := os.Getenv("SELKIE_EVENTS_WRITER"); dir != "" {
		l := New(dir)
		l.MaxSize, _ = strconv.ParseInt(os.Getenv("SELKIE_EVENTS_MAX"), 10, 64)
		big := strings.Repeat("y", 6000)
		for i := 0; i < 100; i++ {
			if err := l.Write(engine.Event{Type: "container", Status: "exec", ID: strconv.Itoa(os.Getpid()), Name: strconv.Itoa(i), Attributes: map[string]string{"big": big}}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		os.Exit(0)
	}
	for _, max := range []int64{0, 300000} {
		dir := t.TempDir()
		const n = 8
		var cmds []*exec.Cmd
		for i := 0; i < n; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			t.Cleanup(cancel)
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestConcurrentProcesses$")
			cmd.Env = append(os.Environ(), "SELKIE_EVENTS_WRITER="+dir, "SELKIE_EVENTS_MAX="+strconv.FormatInt(max, 10))
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, cmd)
		}
		for _, c := range cmds {
			if err := c.Wait(); err != nil {
				t.Fatal(err)
			}
		}
		f, err := os.Open(New(dir).Path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		lines := 0
		for sc.Scan() {
			var ev engine.Event
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Fatalf("max %d: torn line %d: %v", max, lines, err)
			}
			if ev.Type == engine.EventTypeContainer && len(ev.Attributes["big"]) != 6000 {
				t.Fatalf("max %d: damaged event", max)
			}
			lines++
		}
		f.Close()
		if max == 0 && lines != n*100 {
			t.Fatalf("%d lines, want %d", lines, n*100)
		}
		if max > 0 && (lines == 0 || lines >= n*100) {
			t.Fatalf("rotation: %d lines", lines)
		}
	}
}

// BenchmarkWrite is the cost an operation pays per event (lock, append).
func BenchmarkWrite(b *testing.B) {
	l := New(b.TempDir())
	ev := engine.Event{Type: engine.EventTypeContainer, Status: "start", ID: strings.Repeat("a", 64), Name: "bench", Image: "localhost/busybox:latest", Attributes: map[string]string{"k": "v"}}
	for i := 0; i < b.N; i++ {
		if err := l.Write(ev); err != nil {
			b.Fatal(err)
		}
	}
}
