package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// newEventsCLI is a CLI with private network definitions and a private tmp
// dir, so its events log is its own.
func newEventsCLI(t *testing.T) (*testenv.CLI, string) {
	t.Helper()
	testenv.RequiresRoot(t)
	testenv.RequiresBinary(t, "runc", "conmon", "skopeo")
	c := testenv.NewCLI(t)
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	conf := filepath.Join(dir, "containers.conf")
	data := fmt.Sprintf("[containers]\ndefault_ulimits = []\n[engine]\ntmp_dir = %q\n[network]\nnetwork_config_dir = %q\n", tmp, filepath.Join(dir, "networks"))
	if err := os.WriteFile(conf, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	c.Env = append(c.Env, "CONTAINERS_CONF="+conf)
	c.SeedImage(t, "localhost/busybox:latest", testenv.ImageSpec{})
	return c, tmp
}

func TestEventsLifecycle(t *testing.T) {
	c, tmp := newEventsCLI(t)
	t0 := time.Now()
	r := c.Run("run", "--rm", "--name", "evrun", "--network", "none", "-l", "evt=yes", "localhost/busybox", "sh", "-c", "exit 3")
	if r.ExitCode != 3 {
		t.Fatalf("run: %s", r)
	}
	if _, err := os.Stat(filepath.Join(tmp, "events", "events.log")); err != nil {
		t.Fatalf("events log not in the tmp dir: %v", err)
	}
	got := c.Must(t, "events", "--stream=false", "--filter", "container=evrun", "--format", "{{.Status}}")
	if want := "create\ninit\nstart\nattach\ndied\ncleanup\nremove"; strings.TrimSpace(got) != want {
		t.Fatalf("statuses:\n%s\nwant:\n%s", got, want)
	}
	js := c.Must(t, "events", "--stream=false", "--filter", "event=died", "--filter", "label=evt=yes", "--format", "json")
	var ev struct {
		ContainerExitCode int
		Name, Image, Type string
		Attributes        map[string]string
	}
	if err := json.Unmarshal([]byte(js), &ev); err != nil || ev.ContainerExitCode != 3 || ev.Name != "evrun" || ev.Image != "localhost/busybox:latest" || ev.Attributes["evt"] != "yes" {
		t.Fatalf("died event %q: %v", js, err)
	}
	human := c.Must(t, "events", "--stream=false", "--filter", "event=died")
	if !strings.Contains(human, " container died ") || !strings.Contains(human, "(image=localhost/busybox:latest, name=evrun, evt=yes)") {
		t.Fatalf("human output: %q", human)
	}
	if out := c.Must(t, "events", "--stream=false", "--until", t0.Add(-time.Second).Format(time.RFC3339Nano)); strings.Contains(out, "evrun") {
		t.Fatalf("--until before the run shows it: %q", out)
	}
	if out := c.Must(t, "system", "events", "--stream=false", "--since", "1m", "--filter", "type=container", "--filter", "event=remove", "--format", "{{.Name}}"); out != "evrun" {
		t.Fatalf("--since: %q", out)
	}
	c.Must(t, "volume", "create", "evvol")
	c.Must(t, "tag", "localhost/busybox", "localhost/evtag:1")
	if out := c.Must(t, "events", "--stream=false", "--filter", "type=volume", "--filter", "type=image", "--format", "{{.Type}} {{.Status}} {{.Name}}"); !strings.Contains(out, "volume create evvol") || !strings.Contains(out, "image tag localhost/evtag:1") {
		t.Fatalf("volume/image events: %q", out)
	}
	for _, bad := range [][]string{{"--since", "yesterday"}, {"--filter", "bogus=1"}, {"--filter", "novalue"}} {
		if r := c.Run(append([]string{"events", "--stream=false"}, bad...)...); r.ExitCode != 125 {
			t.Errorf("events %v: %s", bad, r)
		}
	}
}

// TestEventsContainerSet: the container events of Podman 4.3.1 for exec
// (exec, exec_died with the exit code), restart (restart first), commit and
// start --attach (attach after start).
func TestEventsContainerSet(t *testing.T) {
	c, _ := newEventsCLI(t)
	c.Must(t, "run", "-d", "--name", "evset", "--network", "none", "localhost/busybox", "sleep", "300")
	if r := c.Run("exec", "evset", "sh", "-c", "exit 3"); r.ExitCode != 3 {
		t.Fatalf("exec: %s", r)
	}
	c.Must(t, "exec", "evset", "true")
	c.Must(t, "restart", "-t", "0", "evset")
	c.Must(t, "commit", "-q", "evset", "localhost/evcommit")
	c.Must(t, "stop", "-t", "0", "evset")
	c.Must(t, "create", "--name", "evattach", "--network", "none", "localhost/busybox", "true")
	c.Must(t, "start", "-a", "evattach")
	got := c.Must(t, "events", "--stream=false", "--filter", "container=evset", "--format", "{{.Status}} {{.ContainerExitCode}}")
	want := []string{"create 0", "init 0", "start 0", "exec 0", "exec_died 3", "exec 0", "exec_died 0", "restart 0", "died 137", "init 0", "start 0", "commit 0", "died 137"}
	var seq []string
	for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
		if !strings.HasPrefix(l, "cleanup") && !strings.HasPrefix(l, "stop") {
			seq = append(seq, l)
		}
	}
	if strings.Join(seq, ",") != strings.Join(want, ",") {
		t.Fatalf("events of evset (cleanup/stop left out):\n%s\nwant: %v", got, want)
	}
	got = c.Must(t, "events", "--stream=false", "--filter", "container=evattach", "--format", "{{.Status}}")
	if want := "create\ninit\nstart\nattach\ndied\ncleanup"; strings.TrimSpace(got) != want {
		t.Fatalf("start -a events:\n%s\nwant:\n%s", got, want)
	}
}

// TestEventsStream follows the log: a new event shows up at once, and the
// command ends when killed (and by itself with --until).
func TestEventsStream(t *testing.T) {
	c, _ := newEventsCLI(t)
	f := follow(t, c, "events", "--filter", "type=volume", "--format", "{{.Status}} {{.Name}}")
	time.Sleep(300 * time.Millisecond) // the follower has opened the log
	c.Must(t, "volume", "create", "streamed")
	if l := f.next(t, "streamed event"); l != "create streamed" {
		t.Fatalf("streamed %q", l)
	}
	start := time.Now()
	r := c.Run("events", "--since", "1h", "--until", strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10), "--filter", "type=volume", "--format", "{{.Name}}")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "streamed") || time.Since(start) > 20*time.Second {
		t.Fatalf("events --until in the future: %s after %v", r, time.Since(start))
	}
}

// TestEventsAPI: docker events and selkie --url events through the service.
func TestEventsAPI(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("docker CLI not installed")
	}
	c, _ := newEventsCLI(t)
	s := startService(t, c)
	t0 := time.Now().Add(-time.Second)
	if r := s.docker(t, "", "run", "--rm", "--name", "dockev", "--network", "none", "localhost/busybox", "sh", "-c", "exit 2"); r.ExitCode != 2 {
		t.Fatalf("docker run: %s", r)
	}
	since, until := strconv.FormatInt(t0.Unix(), 10), strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	out := s.dockerOK(t, "events", "--since", since, "--until", until, "--filter", "container=dockev", "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}")
	for _, want := range []string{"container create dockev", "container start dockev", "container die dockev 2", "container remove dockev"} {
		if !strings.Contains(out, want) {
			t.Fatalf("docker events lacks %q:\n%s", want, out)
		}
	}
	out = s.dockerOK(t, "events", "--since", since, "--until", until, "--filter", "type=container", "--filter", "event=die", "--format", "{{.Actor.Attributes.name}}")
	if out != "dockev\n" {
		t.Fatalf("docker events event filter: %q", out)
	}
	s.dockerOK(t, "run", "-d", "--name", "dockex", "--network", "none", "localhost/busybox", "sleep", "300")
	if r := s.docker(t, "", "exec", "dockex", "sh", "-c", "exit 4"); r.ExitCode != 4 {
		t.Fatalf("docker exec: %s", r)
	}
	until = strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	out = s.dockerOK(t, "events", "--since", since, "--until", until, "--filter", "container=dockex", "--filter", "event=exec_die", "--filter", "event=exec_start", "--format", "{{.Action}} {{index .Actor.Attributes \"exitCode\"}}")
	if out != "exec_start \nexec_die 4\n" {
		t.Fatalf("docker exec events: %q", out)
	}
	if r := s.remote(t, "run", "--name", "remev", "--network", "none", "localhost/busybox", "true"); r.ExitCode != 0 {
		t.Fatalf("remote run: %s", r)
	}
	if r := s.remote(t, "events", "--stream=false", "--filter", "container=remev", "--format", "{{.Status}}"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "start\nattach\ndied\n") {
		t.Fatalf("remote run events: %s", r)
	}
	r := s.remote(t, "events", "--stream=false", "--since", "5m", "--filter", "container=dockev", "--filter", "event=died", "--format", "{{.Name}} {{.ContainerExitCode}} {{.Image}}")
	if r.ExitCode != 0 || r.Stdout != "dockev 2 localhost/busybox:latest\n" {
		t.Fatalf("remote events: %s", r)
	}
}
