package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// podLogsCLI is a pod CLI whose pods share a host directory (pod create -v)
// through which members hand over to each other, so the order in which
// they log is fixed without timing.
func podLogsCLI(t *testing.T) (*netCLI, string) {
	t.Helper()
	c := newPodCLI(t)
	dir := t.TempDir()
	return c, dir
}

func ctrID(t *testing.T, c *netCLI, name string) string {
	t.Helper()
	return strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.Id}}", name))
}

// pod logs interleaves the members' lines by time (the old code printed
// one member after the other), prefixes them as Podman does, and applies
// -t, --names, --tail, --since, --until and -c.
func TestPodLogsMerged(t *testing.T) {
	c, dir := podLogsCLI(t)
	c.Must(t, "pod", "create", "--name", "lm", "--network", "none", "-v", dir+":/s")
	c.Must(t, "run", "-d", "--pod", "lm", "--name", "ma", "bb", "sh", "-c",
		"echo a1; touch /s/1; until [ -e /s/2 ]; do sleep 0.05; done; echo a2; touch /s/3")
	c.Must(t, "run", "-d", "--pod", "lm", "--name", "mb", "bb", "sh", "-c",
		"until [ -e /s/1 ]; do sleep 0.05; done; echo b1; echo b1err >&2; touch /s/2; until [ -e /s/3 ]; do sleep 0.05; done; echo b2")
	waitFor(t, "members to exit", 60*time.Second, func() bool {
		return len(strings.Fields(c.Must(t, "ps", "-a", "--filter", "pod=lm", "--filter", "status=exited", "-q"))) == 2
	})
	// pod inspect shows the shared volume as Podman's inspect does.
	if ms, _ := podInspect(t, c, "lm")["mounts"].([]any); len(ms) != 1 || fmt.Sprint(ms[0].(map[string]any)["Options"]) != "[rbind]" ||
		ms[0].(map[string]any)["Propagation"] != "rprivate" || ms[0].(map[string]any)["Destination"] != "/s" {
		t.Errorf("pod inspect mounts: %v", ms)
	}
	a, b := ctrID(t, c, "ma")[:12], ctrID(t, c, "mb")[:12]
	r := c.Run("pod", "logs", "lm")
	if want := a + " a1\n" + b + " b1\n" + a + " a2\n" + b + " b2\n"; r.ExitCode != 0 || r.Stdout != want {
		t.Fatalf("pod logs: want stdout %q, got %s", want, r)
	}
	if r.Stderr != b+" b1err\n" {
		t.Errorf("pod logs stderr: %q", r.Stderr)
	}
	if got := c.Must(t, "pod", "logs", "--names", "lm"); got != "ma a1\nmb b1\nma a2\nmb b2" {
		t.Errorf("pod logs --names: %q", got)
	}
	// -c picks one container: no prefix, as Podman.
	if got := c.Must(t, "pod", "logs", "--names", "-c", "mb", "lm"); got != "b1\nb2" {
		t.Errorf("pod logs -c mb: %q", got)
	}
	// -t: the prefix, then the timestamp; the lines are in time order.
	var last time.Time
	lines := strings.Split(c.Must(t, "pod", "logs", "-t", "lm"), "\n")
	for i, l := range lines {
		f := strings.SplitN(l, " ", 3)
		if len(f) != 3 {
			t.Fatalf("pod logs -t line %q", l)
		}
		ts, err := time.Parse(time.RFC3339Nano, f[1])
		if err != nil || ts.Before(last) || f[2] != []string{"a1", "b1", "a2", "b2"}[i] {
			t.Fatalf("pod logs -t line %d %q (previous time %v): %v", i, l, last, err)
		}
		last = ts
	}
	// --color: each member's lines in its own color (Podman's), reset at the end.
	colorOf := map[string]string{}
	for _, l := range strings.Split(c.Must(t, "pod", "logs", "--color", "lm"), "\n") {
		col, rest, ok := strings.Cut(l, "m")
		id, _, _ := strings.Cut(rest, " ")
		if !ok || !strings.HasPrefix(col, "\033[3") || !strings.HasSuffix(l, "\033[0m") || (colorOf[id] != "" && colorOf[id] != col) {
			t.Fatalf("pod logs --color line %q (colors so far %q)", l, colorOf)
		}
		colorOf[id] = col
	}
	if len(colorOf) != 2 || colorOf[a] == colorOf[b] {
		t.Errorf("pod logs --color: members' colors %q", colorOf)
	}
	// --tail counts per container.
	if got := c.Must(t, "pod", "logs", "--tail", "1", "lm"); got != a+" a2\n"+b+" b2" {
		t.Errorf("pod logs --tail 1: %q", got)
	}
	if got := c.Must(t, "pod", "logs", "--since", time.Now().Add(time.Hour).Format(time.RFC3339), "lm"); got != "" {
		t.Errorf("pod logs --since the future: %q", got)
	}
	if got := c.Must(t, "pod", "logs", "--until", "1h", "lm"); got != "" {
		t.Errorf("pod logs --until an hour ago: %q", got)
	}
	if got := c.Must(t, "pod", "logs", "--since", "1h", "lm"); !strings.Contains(got, "b2") {
		t.Errorf("pod logs --since 1h: %q", got)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"pod", "logs", "--since", "bogus", "lm"}, `parsing --since "bogus": unable to interpret time value`},
		{[]string{"pod", "logs", "-c", "nope", "lm"}, "container nope is not in pod lm"},
		{[]string{"pod", "logs", "nopod"}, "no pod with name or ID nopod found"},
		{[]string{"pod", "logs", "lm", "other"}, "requires exactly 1 arg"},
		{[]string{"pod", "logs"}, "specify at least one pod name or ID to log"},
	} {
		if r := c.Run(tc.args...); r.ExitCode != 125 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v: want 125 and %q, got %s", tc.args, tc.want, r)
		}
	}
}

// pod logs -f prints what the members logged so far, then follows every
// member, and ends once they have all exited.
func TestPodLogsFollow(t *testing.T) {
	c, dir := podLogsCLI(t)
	c.Must(t, "pod", "create", "--name", "lf", "--network", "none", "-v", dir+":/s")
	for _, m := range []string{"fa", "fb"} {
		c.Must(t, "run", "-d", "--pod", "lf", "--name", m, "bb", "sh", "-c",
			"echo "+m+"-old; until [ -e /s/"+m+" ]; do sleep 0.05; done; echo "+m+"-new")
	}
	waitFor(t, "the first lines", 30*time.Second, func() bool {
		out := c.Must(t, "pod", "logs", "lf")
		return strings.Contains(out, "fa-old") && strings.Contains(out, "fb-old")
	})
	ids := map[string]string{"fa": ctrID(t, c, "fa")[:12], "fb": ctrID(t, c, "fb")[:12]}
	f := follow(t, c.CLI, "pod", "logs", "-f", "lf")
	next := func(what string) string { t.Helper(); return f.next(t, what) }
	got := map[string]bool{next("first old line"): true, next("second old line"): true}
	if !got[ids["fa"]+" fa-old"] || !got[ids["fb"]+" fb-old"] {
		t.Fatalf("pod logs -f history: %v", got)
	}
	// Live lines, from one member then the other.
	for _, m := range []string{"fb", "fa"} {
		if err := os.WriteFile(filepath.Join(dir, m), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if l := next(m + "'s live line"); l != ids[m]+" "+m+"-new" {
			t.Fatalf("pod logs -f: want %s's live line, got %q", m, l)
		}
	}
	if err := f.end(t); err != nil {
		t.Fatalf("pod logs -f after the members exited: %v", err)
	}
}

// pod stats streams (a new sample every second until interrupted), --no-stream
// takes one; JSON has Podman's string fields.
func TestPodStatsStream(t *testing.T) {
	c := newPodCLI(t)
	c.Must(t, "pod", "create", "--name", "st", "--network", "none")
	c.Must(t, "run", "-d", "--pod", "st", "--name", "sm", "--stop-timeout", "1", "bb", "sleep", "1000")
	c.Must(t, "create", "--pod", "st", "--name", "idle", "bb", "true")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := c.Command(ctx, "pod", "stats", "--format", "json", "st")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(out)
	samples, sawRunning := 0, false
	for samples < 2 && sc.Scan() {
		l := sc.Text()
		if strings.Contains(l, "\033") {
			t.Fatalf("screen reset codes written to a pipe: %q", l)
		}
		if l == "[" {
			samples++
		}
		if strings.Contains(l, `"PIDS": "1"`) {
			sawRunning = true
		}
	}
	if samples < 2 || !sawRunning {
		t.Fatalf("pod stats streamed %d samples (running member seen: %v), scan error %v", samples, sawRunning, sc.Err())
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	one := c.Must(t, "pod", "stats", "--no-stream", "--format", "{{.Name}} {{.PIDS}} {{.CPU}}", "st")
	rows := strings.Split(one, "\n")
	if len(rows) != 3 || !strings.Contains(one, "sm 1 ") || !strings.Contains(one, "idle -- --") || !strings.Contains(one, "-infra 1 ") {
		t.Fatalf("pod stats --no-stream template: %q", one)
	}
	table := c.Must(t, "pod", "stats", "--no-stream", "--no-reset", "st")
	if !strings.HasPrefix(table, "POD ") || strings.Count(table, "POD ") != 1 || !strings.Contains(table, "MEM USAGE/ LIMIT") {
		t.Fatalf("pod stats table: %q", table)
	}
	if r := c.Run("pod", "stats", "--no-stream", "nopod"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "no pod with name or ID nopod found") {
		t.Errorf("pod stats of a missing pod: %s", r)
	}
	if r := c.Run("pod", "stats", "--no-stream", "-a", "st"); r.ExitCode != 125 {
		t.Errorf("pod stats -a with a name: %s", r)
	}
	// --latest (st is the only pod) on top and rm.
	if top := c.Must(t, "pod", "top", "-l", "pid", "args"); !strings.Contains(top, "sleep 1000") || !strings.HasPrefix(top, "PID") {
		t.Errorf("pod top -l pid args: %q", top)
	}
	c.Must(t, "pod", "rm", "-l", "-f", "-t", "1")
	if r := c.Run("pod", "exists", "st"); r.ExitCode != 1 {
		t.Errorf("pod rm -l left the pod: %s", r)
	}
}

// Pod lifecycle actions are events of type pod, as Podman's.
func TestPodEvents(t *testing.T) {
	c := newPodCLI(t)
	tmp := filepath.Join(t.TempDir(), "tmp")
	f, err := os.OpenFile(c.confFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString("[engine]\ntmp_dir = \"" + tmp + "\"\n")
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(c.Must(t, "pod", "create", "--name", "evp", "--network", "none"))
	c.Must(t, "run", "-d", "--pod", "evp", "--name", "evm", "--stop-timeout", "1", "bb", "sleep", "1000")
	for _, verb := range []string{"stop", "start", "pause", "unpause", "kill"} {
		c.Must(t, "pod", verb, "evp")
	}
	c.Must(t, "pod", "rm", "-f", "evp")
	// A refused action is no event.
	if r := c.Run("pod", "kill", "nosuchpod"); r.ExitCode != 125 {
		t.Fatalf("pod kill of a missing pod: %s", r)
	}
	got := c.Must(t, "events", "--stream=false", "--filter", "type=pod", "--format", "{{.Type}} {{.Status}} {{.ID}} {{.Name}}")
	var want []string
	for _, s := range []string{"create", "stop", "start", "pause", "unpause", "kill", "remove"} {
		want = append(want, "pod "+s+" "+id+" evp")
	}
	if got != strings.Join(want, "\n") {
		t.Fatalf("pod events:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	human := c.Must(t, "events", "--stream=false", "--filter", "pod=evp", "--filter", "type=pod")
	if !strings.Contains(human, " pod pause "+id+" (image=, name=evp)") {
		t.Errorf("pod event, human form: %q", human)
	}
}

// pod logs -f follows members that join the pod after it started (Podman
// 4.3 does not: containers/podman#13267), from their first line, with
// the pod's prefixes, and still ends once every member has exited.
func TestPodLogsFollowNewMember(t *testing.T) {
	c, dir := podLogsCLI(t)
	c.Must(t, "pod", "create", "--name", "lfn", "--network", "none", "-v", dir+":/s")
	t.Cleanup(func() { c.Run("pod", "rm", "-f", "-t", "0", "lfn") })
	c.Must(t, "run", "-d", "--pod", "lfn", "--name", "na", "bb", "sh", "-c",
		"echo na-old; until [ -e /s/na ]; do sleep 0.05; done; echo na-new")
	waitFor(t, "the first line", 30*time.Second, func() bool {
		return strings.Contains(c.Must(t, "pod", "logs", "lfn"), "na-old")
	})
	f := follow(t, c.CLI, "pod", "logs", "-f", "--names", "lfn")
	next := func(what string) string { t.Helper(); return f.next(t, what) }
	if l := next("the old line"); l != "na na-old" {
		t.Fatalf("pod logs -f history: %q", l)
	}
	// A member created and started after the follow began.
	c.Must(t, "run", "-d", "--pod", "lfn", "--name", "nb", "bb", "sh", "-c", "echo nb-1; echo nb-2")
	for _, want := range []string{"nb nb-1", "nb nb-2"} {
		if l := next("the new member's line"); l != want {
			t.Fatalf("pod logs -f: want %q from the member that joined, got %q", want, l)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "na"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if l := next("na's live line"); l != "na na-new" {
		t.Fatalf("pod logs -f: want na's live line, got %q", l)
	}
	if err := f.end(t); err != nil {
		t.Fatalf("pod logs -f after the members exited: %v", err)
	}
}
