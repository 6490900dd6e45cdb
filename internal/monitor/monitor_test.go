package monitor

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseDetachKeys(t *testing.T) {
	for in, want := range map[string][]byte{"ctrl-p,ctrl-q": {16, 17}, "a,ctrl-\\": {'a', 28}, "ctrl-@": {0}, "": nil} {
		got, err := ParseDetachKeys(in)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"ctrl-", "ctrl-1", "abc", "ctrl-pp"} {
		if _, err := ParseDetachKeys(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCopyStdinDetach(t *testing.T) {
	keys := []byte{16, 17}
	var out bytes.Buffer
	err := CopyStdin(&out, strings.NewReader("ab\x10c\x10\x11rest"), keys)
	if !errors.Is(err, ErrDetach) || out.String() != "ab\x10c" {
		t.Fatalf("got %q, %v", out.String(), err)
	}
	out.Reset()
	if err := CopyStdin(&out, strings.NewReader("plain\x10"), keys); err != nil || out.String() != "plain" {
		// A lone first key at EOF is swallowed: it could have started the sequence.
		t.Fatalf("got %q, %v", out.String(), err)
	}
}

func TestReadLog(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ctr.log")
	data := "2024-01-01T00:00:01.000000000+00:00 stdout F one\n" +
		"2024-01-01T00:00:02.000000000+00:00 stderr P two-\n" +
		"2024-01-01T00:00:02.100000000+00:00 stderr F part\n" +
		"garbage line\n" +
		"2024-01-01T00:00:03.000000000+00:00 stdout F three\n"
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	read := func(o LogReadOptions) string {
		var b strings.Builder
		err := ReadLog(context.Background(), p, o, func(l LogLine) error {
			b.WriteString(l.Stream[:3] + ":" + l.Msg)
			if !l.Partial {
				b.WriteString("\n")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if got := read(LogReadOptions{Tail: -1}); got != "std:one\nstd:two-std:part\nstd:three\n" {
		t.Fatalf("all: %q", got)
	}
	if got := read(LogReadOptions{Tail: 2}); got != "std:two-std:part\nstd:three\n" {
		t.Fatalf("tail 2: %q", got)
	}
	since := time.Date(2024, 1, 1, 0, 0, 2, 50000000, time.UTC)
	if got := read(LogReadOptions{Tail: -1, Since: since}); got != "std:part\nstd:three\n" {
		t.Fatalf("since: %q", got)
	}
	until := time.Date(2024, 1, 1, 0, 0, 1, 500000000, time.UTC)
	if got := read(LogReadOptions{Tail: -1, Until: until}); got != "std:one\n" {
		t.Fatalf("until: %q", got)
	}
}

func TestArgs(t *testing.T) {
	a := strings.Join(Args(Options{ID: "abc", Name: "n", RuntimePath: "/usr/bin/runc", RuntimeArgs: []string{"--root", "/r"},
		Bundle: "/b", PidFile: "/b/pid", ExitDir: "/e", LogPath: "/l", Terminal: true, ExitCommand: []string{"/bin/selkie", "container", "cleanup"}, ExitDelay: 1}), " ")
	for _, want := range []string{"--api-version 1", "-c abc", "-r /usr/bin/runc", "--runtime-arg --root --runtime-arg /r", "-l k8s-file:/l", " -t", "--exit-command /bin/selkie --exit-command-arg container --exit-command-arg cleanup", "--exit-delay 1", "--full-attach"} {
		if !strings.Contains(a, want) {
			t.Errorf("args lack %q: %s", want, a)
		}
	}
}

func TestArgsPreserveFDs(t *testing.T) {
	a := strings.Join(Args(Options{ID: "abc", PreserveFDs: 2}), " ")
	if !strings.Contains(a, "--runtime-opt --preserve-fds --runtime-opt 2") {
		t.Errorf("args lack the runtime's --preserve-fds 2: %s", a)
	}
	if a := strings.Join(Args(Options{ID: "abc"}), " "); strings.Contains(a, "preserve-fds") {
		t.Errorf("--preserve-fds without PreserveFDs: %s", a)
	}
}

func TestWaitExitFile(t *testing.T) {
	dir := t.TempDir()
	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = os.WriteFile(filepath.Join(dir, "tmp"), []byte("42"), 0o644)
		_ = os.Rename(filepath.Join(dir, "tmp"), filepath.Join(dir, "ctr"))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	code, _, err := WaitExitFile(ctx, dir, "ctr", func() bool { return true })
	if err != nil || code != 42 {
		t.Fatalf("%d %v", code, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("inotify wait took %v", d)
	}
	// conmon gone and no file: an error, not a hang.
	_, _, err = WaitExitFile(ctx, dir, "other", func() bool { return false })
	if !errors.Is(err, ErrNoExitFile) {
		t.Fatalf("dead conmon: %v", err)
	}
}

func TestRuntimeLogErrorInitFatal(t *testing.T) {
	p := filepath.Join(t.TempDir(), "oci-log")
	log := `{"level":"fatal","msg":"nsexec-1[123]: failed to unshare remaining namespaces: No space left on device","time":"x"}
{"level":"fatal","msg":"nsexec-0[120]: failed to sync with stage-1: next state","time":"x"}
not json
{"level":"error","msg":"runc create failed: unable to start container process: error during container init: read init-p: connection reset by peer","time":"x"}
`
	if err := os.WriteFile(p, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	got := runtimeLogError(p)
	if !strings.HasPrefix(got, "runc create failed: unable to start container process") || !strings.Contains(got, "runc init error(s): nsexec-1[123]: failed to unshare remaining namespaces: No space left on device; nsexec-0") {
		t.Fatalf("got %q", got)
	}
	// A plain error stays as it is; a lone fatal is the message.
	os.WriteFile(p, []byte(`{"level":"error","msg":"exec: \"x\": executable file not found in $PATH"}`+"\n"), 0o600)
	if got := runtimeLogError(p); got != `exec: "x": executable file not found in $PATH` {
		t.Fatalf("plain: %q", got)
	}
	os.WriteFile(p, []byte(`{"level":"fatal","msg":"only"}`+"\n"), 0o600)
	if got := runtimeLogError(p); got != "only" {
		t.Fatalf("lone fatal: %q", got)
	}
}

// fakeConmon mimics conmon's start-up: it reads the start byte, forks a
// child that stays, writes that child's PID to --conmon-pidfile and exits;
// the child reports the container's PID (4242) on the sync pipe only once
// the file named by $FAKE_CONMON_GATE exists.
const fakeConmon = `#!/bin/sh
pidfile=
while [ $# -gt 0 ]; do
	[ "$1" = --conmon-pidfile ] && pidfile=$2
	shift
done
head -c 1 <&4 >/dev/null
( while [ ! -e "$FAKE_CONMON_GATE" ]; do sleep 0.01; done; printf '{"data": 4242}\n' >&3 ) &
echo $! >"$pidfile.tmp" && mv "$pidfile.tmp" "$pidfile"
`

// ConmonStarted runs while the runtime still creates the container (the
// sync message waits for it here), with the PID of the conmon that stays.
func TestCreateConmonStartedOverlapsCreate(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "conmon")
	if err := os.WriteFile(bin, []byte(fakeConmon), 0o755); err != nil {
		t.Fatal(err)
	}
	gate := filepath.Join(dir, "gate")
	var got int
	o := Options{
		ConmonPath:    bin,
		ID:            "abc",
		ConmonPidFile: filepath.Join(dir, "conmon.pid"),
		Env:           []string{"PATH=" + os.Getenv("PATH"), "FAKE_CONMON_GATE=" + gate},
		ConmonStarted: func(pid int) {
			got = pid
			// Create must not wait for the sync message before this.
			if err := os.WriteFile(gate, nil, 0o644); err != nil {
				t.Error(err)
			}
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Create(ctx, o)
	if err != nil {
		t.Fatalf("create (ConmonStarted not called before the create finished?): %v", err)
	}
	if c.Pid != 4242 || c.ConmonPid <= 0 || got != c.ConmonPid {
		t.Fatalf("created %+v, ConmonStarted got %d", c, got)
	}
}
