package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

func newPodCLI(t *testing.T) *netCLI {
	t.Helper()
	for _, p := range []string{"/usr/bin/catatonit", "/usr/libexec/podman/catatonit"} {
		if _, err := os.Stat(p); err == nil {
			return newNetCLI(t)
		}
	}
	t.Skip("catatonit not installed")
	return nil
}

func podInspect(t *testing.T, c *netCLI, pod string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(c.Must(t, "pod", "inspect", pod)), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Members of a pod share the infra container's network (localhost), UTS
// (the pod's host name) and IPC namespaces; not its PID namespace unless
// --share +pid. The pause image is built locally from catatonit.
func TestPodSharedNamespaces(t *testing.T) {
	c := newPodCLI(t)
	c.Must(t, "pod", "create", "--name", "p1")
	out := c.Must(t, "images", "--format", "{{.Repository}}:{{.Tag}}")
	if !strings.Contains(out, "localhost/selkie-pause:1") {
		t.Fatalf("pause image not built locally: %s", out)
	}
	// Server on localhost:8080 in one member, client in another.
	c.Must(t, "run", "-d", "--pod", "p1", "--name", "srv", "bb", "sh", "-c",
		"echo hello-from-pod > /tmp/index.html; httpd -f -p 127.0.0.1:8080 -h /tmp")
	got := ""
	waitFor(t, "member reachable on localhost", 90*time.Second, func() bool {
		r := c.Run("run", "--rm", "--pod", "p1", "bb", "wget", "-q", "-O-", "http://127.0.0.1:8080/index.html")
		got = r.Stdout
		return r.ExitCode == 0
	})
	if strings.TrimSpace(got) != "hello-from-pod" {
		t.Fatalf("wget over localhost: %q", got)
	}
	// UTS: both see the pod's host name.
	if h := strings.TrimSpace(c.Must(t, "run", "--rm", "--pod", "p1", "bb", "hostname")); h != "p1" {
		t.Fatalf("member hostname = %q, want the pod name p1", h)
	}
	if h := strings.TrimSpace(c.Must(t, "exec", "srv", "hostname")); h != "p1" {
		t.Fatalf("srv hostname = %q, want p1", h)
	}
	// IPC: same namespace inode; PID: not shared by default.
	ns := func(args ...string) string {
		return strings.TrimSpace(c.Must(t, append([]string{"run", "--rm", "--pod", "p1", "bb", "readlink"}, args...)...))
	}
	if a, b := ns("/proc/self/ns/ipc"), strings.TrimSpace(c.Must(t, "exec", "srv", "readlink", "/proc/self/ns/ipc")); a != b {
		t.Fatalf("ipc namespaces differ: %s vs %s", a, b)
	}
	// POSIX shared memory: the members share the infra's /dev/shm, as Podman.
	c.Must(t, "exec", "srv", "sh", "-c", "echo shm-shared > /dev/shm/seg")
	if got := strings.TrimSpace(c.Must(t, "run", "--rm", "--pod", "p1", "bb", "cat", "/dev/shm/seg")); got != "shm-shared" {
		t.Fatalf("/dev/shm not shared in the pod: %q", got)
	}
	if a, b := ns("/proc/self/ns/pid"), strings.TrimSpace(c.Must(t, "exec", "srv", "readlink", "/proc/self/ns/pid")); a == b {
		t.Fatalf("pid namespace shared without --share +pid: %s", a)
	}
	// ps --pod / --filter pod= and pod ps / inspect.
	ps := c.Must(t, "ps", "-a", "--filter", "pod=p1", "--format", "{{.Names}}")
	if !strings.Contains(ps, "srv") || !strings.Contains(ps, "-infra") {
		t.Fatalf("ps --filter pod=p1: %q", ps)
	}
	m := podInspect(t, c, "p1")
	if m["State"] != "Running" || m["NumContainers"].(float64) != 2 {
		t.Fatalf("pod inspect: state %v, %v containers", m["State"], m["NumContainers"])
	}
	row := c.Must(t, "pod", "ps", "--format", "{{.Name}} {{.Status}} {{.NumberOfContainers}}")
	if strings.TrimSpace(row) != "p1 Running 2" {
		t.Fatalf("pod ps: %q", row)
	}
	hdr := strings.Fields(strings.SplitN(c.Must(t, "pod", "ps"), "\n", 2)[0])
	if strings.Join(hdr, " ") != "POD ID NAME STATUS CREATED INFRA ID # OF CONTAINERS" {
		t.Fatalf("pod ps header: %q", hdr)
	}
	// rm of the last member keeps the pod.
	c.Must(t, "rm", "-f", "srv")
	if r := c.Run("pod", "exists", "p1"); r.ExitCode != 0 {
		t.Fatalf("pod gone after its last member was removed: %s", r)
	}
	c.Must(t, "pod", "rm", "-f", "p1")
	if r := c.Run("pod", "exists", "p1"); r.ExitCode != 1 {
		t.Fatalf("pod exists after rm: %s", r)
	}
	if out := c.Must(t, "ps", "-aq"); strings.TrimSpace(out) != "" {
		t.Fatalf("containers left after pod rm -f: %q", out)
	}

	// --share +pid: members see each other's processes.
	c.Must(t, "pod", "create", "--name", "p2", "--share", "+pid")
	c.Must(t, "run", "-d", "--pod", "p2", "--name", "sleeper", "bb", "sleep", "1000")
	procs := c.Must(t, "run", "--rm", "--pod", "p2", "bb", "ps", "-o", "args")
	if !strings.Contains(procs, "sleep 1000") || !strings.Contains(procs, "catatonit") {
		t.Fatalf("with +pid a member should see sleep and catatonit: %s", procs)
	}
	// An explicit list with cgroup: members share the infra's cgroup namespace.
	c.Must(t, "pod", "create", "--name", "p3", "--share", "net,cgroup")
	c.Must(t, "run", "-d", "--pod", "p3", "--name", "cg", "bb", "sleep", "1000")
	if m := podInspect(t, c, "p3"); fmt.Sprint(m["SharedNamespaces"]) != "[cgroup net]" {
		t.Fatalf("SharedNamespaces: %v", m["SharedNamespaces"])
	}
	infraPid := strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.State.Pid}}", podInspect(t, c, "p3")["InfraContainerID"].(string)))
	infraCg, _ := os.Readlink("/proc/" + infraPid + "/ns/cgroup")
	hostCg, _ := os.Readlink("/proc/self/ns/cgroup")
	if got := c.Must(t, "exec", "cg", "readlink", "/proc/self/ns/cgroup"); got != infraCg || got == hostCg {
		t.Fatalf("member cgroup ns %s, infra %s, host %s", got, infraCg, hostCg)
	}
	if h := c.Must(t, "exec", "cg", "hostname"); h == "p3" {
		t.Fatal("uts shared although --share net,cgroup")
	}
	c.Must(t, "pod", "rm", "-f", "-t", "0", "p3")
	c.Must(t, "pod", "rm", "-f", "p2")
}

// Ports published on the pod reach the member that listens on them.
func TestPodPublishedPort(t *testing.T) {
	c := newPodCLI(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	c.Must(t, "pod", "create", "--name", "web", "-p", fmt.Sprintf("127.0.0.1:%d:80", port))
	m := podInspect(t, c, "web")
	if b, _ := json.Marshal(m["InfraConfig"]); !strings.Contains(string(b), fmt.Sprintf(`"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"%d"}]`, port)) {
		t.Fatalf("InfraConfig.PortBindings: %s", b)
	}
	// A member may not publish its own ports when the network is shared.
	r := c.Run("create", "--pod", "web", "-p", "8081:81", "bb", "true")
	if r.ExitCode != 125 || !strings.Contains(r.Stderr, "published or exposed ports must be defined when the pod is created") {
		t.Fatalf("member -p: %s", r)
	}
	c.Must(t, "run", "-d", "--pod", "web", "bb", "sh", "-c", "echo via-pod-port > /tmp/i; httpd -f -p 80 -h /tmp")
	var body string
	waitFor(t, "published pod port", 60*time.Second, func() bool {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err != nil {
			return false
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /i HTTP/1.0\r\n\r\n")
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		b := make([]byte, 4096)
		n, _ := conn.Read(b)
		for n > 0 && !strings.Contains(string(b[:n]), "via-pod-port") {
			m, err := conn.Read(b[n:])
			if err != nil || m == 0 {
				break
			}
			n += m
		}
		body = string(b[:n])
		return strings.Contains(body, "via-pod-port")
	})
	c.Must(t, "pod", "rm", "-f", "web")

	// A pod on the host network: its members are in the host's namespace.
	c.Must(t, "pod", "create", "--name", "hostpod", "--network", "host")
	hostNS, _ := os.Readlink("/proc/self/ns/net")
	if got := strings.TrimSpace(c.Must(t, "run", "--rm", "--pod", "hostpod", "bb", "readlink", "/proc/self/ns/net")); got != hostNS {
		t.Fatalf("member of a host-network pod in %s, host %s", got, hostNS)
	}
	c.Must(t, "pod", "rm", "-f", "hostpod")
}

// pod stop stops every member, pod start starts the infra first, and
// --exit-policy stop stops the pod when its last member exits.
func TestPodStopStartExitPolicy(t *testing.T) {
	c := newPodCLI(t)
	idFile := filepath.Join(t.TempDir(), "pod.id")
	id := strings.TrimSpace(c.Must(t, "pod", "create", "--name", "lc", "--pod-id-file", idFile))
	if b, _ := os.ReadFile(idFile); string(b) != id {
		t.Fatalf("pod-id-file holds %q, want %q", b, id)
	}
	c.Must(t, "create", "--pod", "lc", "--name", "m1", "bb", "sleep", "1000")
	c.Must(t, "create", "--pod", "lc", "--name", "m2", "bb", "sleep", "1000")
	if out := strings.TrimSpace(c.Must(t, "pod", "start", "lc")); out != id {
		t.Fatalf("pod start printed %q", out)
	}
	states := func() string {
		return strings.TrimSpace(c.Must(t, "ps", "-a", "--filter", "pod="+id, "--format", "{{.Names}}={{.State}}", "--sort", "names"))
	}
	st := states()
	if strings.Count(st, "=running") != 3 {
		t.Fatalf("after pod start: %s", st)
	}
	// Members joined the infra's network namespace: same inode.
	infraPid := strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.State.Pid}}", id[:12]+"-infra"))
	m1Pid := strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.State.Pid}}", "m1"))
	a, _ := os.Readlink("/proc/" + infraPid + "/ns/net")
	b, _ := os.Readlink("/proc/" + m1Pid + "/ns/net")
	if a == "" || a != b {
		t.Fatalf("m1 net ns %q, infra %q", b, a)
	}
	// Removing a running pod without -f is refused; nothing is removed.
	r := c.Run("pod", "rm", "lc")
	if r.ExitCode != 125 || !strings.Contains(r.Stderr, "running or paused containers cannot be removed without force") {
		t.Fatalf("pod rm of a running pod: %s", r)
	}
	if st2 := states(); st2 != st {
		t.Fatalf("refused pod rm changed the pod: %s -> %s", st, st2)
	}
	c.Must(t, "pod", "stop", "-t", "0", "lc")
	if st := states(); strings.Contains(st, "running") {
		t.Fatalf("after pod stop: %s", st)
	}
	if m := podInspect(t, c, "lc"); m["State"] != "Exited" {
		t.Fatalf("pod state after stop: %v", m["State"])
	}
	// Starting a member alone starts the infra first.
	c.Must(t, "start", "m1")
	if st := states(); !strings.Contains(st, "-infra=running") || !strings.Contains(st, "m1=running") || !strings.Contains(st, "m2=exited") {
		t.Fatalf("start of one member: %s", st)
	}
	if m := podInspect(t, c, "lc"); m["State"] != "Degraded" {
		t.Fatalf("pod state with one member stopped: %v", m["State"])
	}
	c.Must(t, "pod", "rm", "-f", "--pod-id-file", idFile)
	if out := c.Must(t, "ps", "-aq"); strings.TrimSpace(out) != "" {
		t.Fatalf("containers left: %q", out)
	}

	// --exit-policy stop: the infra stops after the last member exits.
	c.Must(t, "pod", "create", "--name", "ep", "--exit-policy", "stop")
	c.Must(t, "run", "--pod", "ep", "bb", "true")
	waitFor(t, "exit-policy stop", 60*time.Second, func() bool {
		return podInspect(t, c, "ep")["State"] == "Exited"
	})
	c.Must(t, "pod", "rm", "ep")
}

// Bad input is refused with Podman's errors and leaves nothing behind.
func TestPodBadInput(t *testing.T) {
	c := newPodCLI(t)
	c.Must(t, "pod", "create", "--name", "bp")
	before := c.Must(t, "ps", "-aq", "--no-trunc")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"create", "--pod", "bp", "--hostname", "x", "bb", "true"}, "cannot set hostname when joining the pod UTS namespace"},
		{[]string{"create", "--pod", "nope", "bb", "true"}, "no pod with name or ID nope found: no such pod"},
		{[]string{"create", "--pod", "bp", "--userns", "host", "bb", "true"}, "--userns and --pod cannot be set together"},
		{[]string{"create", "--pod", "bp", "--add-host", "a:1.2.3.4", "bb", "true"}, "extra host entries must be specified on the pod"},
		{[]string{"pod", "create", "--name", "bp"}, `name "bp" is in use`},
		{[]string{"pod", "create", "--share", "bogus"}, "invalid kernel namespace to share: bogus"},
		{[]string{"pod", "create", "--exit-policy", "sometimes"}, `invalid pod exit policy: "sometimes"`},
		{[]string{"pod", "create", "--name", "../x"}, "names must match"},
		{[]string{"pod", "create", "--infra=false", "-p", "8080:80"}, "you must have an infra container to publish port bindings to the host"},
		{[]string{"pod", "rm", "nope"}, "no pod with name or ID nope found"},
	} {
		r := c.Run(tc.args...)
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v: want failure with %q, got %s", tc.args, tc.want, r)
		}
	}
	// A container name is taken for pods too, and a pod name for containers.
	c.Must(t, "create", "--name", "taken", "bb", "true")
	if r := c.Run("pod", "create", "--name", "taken"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "in use") {
		t.Errorf("pod named like a container: %s", r)
	}
	if r := c.Run("create", "--name", "bp", "bb", "true"); r.ExitCode != 125 || !strings.Contains(r.Stderr, `name "bp" is in use`) {
		t.Errorf("container named like a pod: %s", r)
	}
	c.Must(t, "rm", "taken")
	if after := c.Must(t, "ps", "-aq", "--no-trunc"); after != before {
		t.Fatalf("failed commands left containers: before %q after %q", before, after)
	}
	pods := strings.Fields(c.Must(t, "pod", "ps", "-q"))
	if len(pods) != 1 {
		t.Fatalf("failed commands left pods: %v", pods)
	}
	// The infra container cannot be removed while the pod has members.
	c.Must(t, "create", "--pod", "bp", "--name", "member", "bb", "true")
	infra := podInspect(t, c, "bp")["InfraContainerID"].(string)
	if r := c.Run("rm", "-f", infra); r.ExitCode != 125 || !strings.Contains(r.Stderr, "is the infra container of pod") {
		t.Fatalf("infra removed without its pod: %s", r)
	}
	// --replace and --infra=false.
	c.Must(t, "pod", "create", "--name", "bp", "--replace")
	if n := podInspect(t, c, "bp")["NumContainers"].(float64); n != 1 {
		t.Fatalf("replaced pod has %v containers", n)
	}
	c.Must(t, "pod", "create", "--name", "noinfra", "--infra=false")
	if m := podInspect(t, c, "noinfra"); m["CreateInfra"] != false || m["InfraContainerID"] != nil {
		t.Fatalf("--infra=false: %v", m)
	}
	// rm --all removes the infra containers with their pods, as Podman.
	// (a pod without infra stays, empty).
	c.Must(t, "rm", "-af")
	if out := c.Must(t, "pod", "ps", "--format", "{{.Name}}"); out != "noinfra" {
		t.Fatalf("pods left after rm -af: %q", out)
	}
	c.Must(t, "pod", "rm", "-a")
}

// pod rm -f racing with members being created never leaves a container
// that belongs to a removed pod: each create either fails (no such pod) or
// its container is removed with the pod.
func TestPodRemoveRacesCreate(t *testing.T) {
	c := newPodCLI(t)
	c.Must(t, "pod", "create", "--name", "race")
	done := make(chan testenv.Result, 6)
	for i := 0; i < 6; i++ {
		go func() { done <- c.Run("create", "--pod", "race", "bb", "true") }()
	}
	time.Sleep(150 * time.Millisecond)
	c.Must(t, "pod", "rm", "-f", "race")
	for i := 0; i < 6; i++ {
		r := <-done
		if r.ExitCode != 0 && !strings.Contains(r.Stderr, "no pod with name or ID") {
			t.Errorf("create during pod rm: %s", r)
		}
	}
	out := c.Must(t, "ps", "-a", "--format", "{{.ID}} pod={{.Pod}}")
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l != "" && !strings.HasSuffix(l, "pod=") {
			t.Errorf("container of a removed pod left: %q", l)
		}
	}
}

// The other verbs: pause/unpause, kill, restart, top, logs, ps columns and
// filters, clone, prune, and create/run --pod-id-file and --pod new:NAME.
func TestPodVerbs(t *testing.T) {
	c := newPodCLI(t)
	idFile := filepath.Join(t.TempDir(), "id")
	c.Must(t, "pod", "create", "--name", "v", "--label", "tier=web", "--pod-id-file", idFile)
	c.Must(t, "run", "-d", "--pod-id-file", idFile, "--stop-timeout", "1", "--name", "talker", "bb", "sh", "-c", "echo said-hello; sleep 1000")
	podState := func() string { return podInspect(t, c, "v")["State"].(string) }
	c.Must(t, "pod", "pause", "v")
	if s := podState(); s != "Paused" {
		// Seen once in a full CI run (a member already stopped): show which.
		t.Fatalf("after pod pause: %s\n%s", s, c.Run("ps", "-a", "--pod", "--format", "{{.Names}} {{.Status}} {{.ExitCode}}"))
	}
	c.Must(t, "pod", "unpause", "v")
	if s := podState(); s != "Running" {
		t.Fatalf("after pod unpause: %s", s)
	}
	top := c.Must(t, "pod", "top", "v")
	if !strings.Contains(top, "sleep 1000") || !strings.Contains(top, "catatonit") || strings.Count(top, "COMMAND") != 1 {
		t.Fatalf("pod top: %s", top)
	}
	waitFor(t, "pod logs", 60*time.Second, func() bool {
		return strings.Contains(c.Must(t, "pod", "logs", "v"), "said-hello")
	})
	talkerID := strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.Id}}", "talker"))
	if logs := c.Must(t, "pod", "logs", "v"); logs != talkerID[:12]+" said-hello" {
		t.Fatalf("pod logs lines should start with the container's short ID: %q", logs)
	}
	// -c picks one container: no prefix, as Podman 4.3.1.
	if logs := c.Must(t, "pod", "logs", "--names", "-c", "talker", "v"); logs != "said-hello" {
		t.Fatalf("pod logs --names -c talker: %q", logs)
	}
	if r := c.Run("pod", "logs", "-c", "nope", "v"); r.ExitCode == 0 {
		t.Fatalf("pod logs -c of a foreign container: %s", r)
	}
	out := c.Must(t, "pod", "ps", "--ctr-names", "--ctr-status", "--no-trunc", "--format", "{{.ContainerNames}} {{.ContainerStatuses}}")
	if !strings.Contains(out, "talker") || !strings.Contains(out, "running,running") {
		t.Fatalf("pod ps --ctr-names --ctr-status: %q", out)
	}
	for f, want := range map[string]bool{"label=tier=web": true, "label=tier=db": false, "name=v": true, "status=running": true,
		"status=exited": false, "ctr-names=talker": true, "ctr-number=2": true, "ctr-number=3": false} {
		got := strings.TrimSpace(c.Must(t, "pod", "ps", "-q", "--filter", f)) != ""
		if got != want {
			t.Errorf("pod ps --filter %s: got a match %v", f, got)
		}
	}
	if hdr := strings.Fields(strings.SplitN(c.Must(t, "pod", "ps", "--ns"), "\n", 2)[0]); strings.Join(hdr[len(hdr)-5:], " ") != "CGROUP NAMESPACES # OF CONTAINERS" {
		t.Errorf("pod ps --ns header: %q", hdr)
	}
	if r := c.Run("pod", "ps", "--filter", "bogus=1"); r.ExitCode != 125 {
		t.Errorf("bad filter: %s", r)
	}
	pid1 := strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.State.Pid}}", "talker"))
	c.Must(t, "pod", "restart", "v")
	if pid2 := strings.TrimSpace(c.Must(t, "inspect", "--format", "{{.State.Pid}}", "talker")); pid2 == pid1 || podState() != "Running" {
		t.Fatalf("pod restart: pid %s -> %s, state %s", pid1, pid2, podState())
	}
	stats := c.Must(t, "pod", "stats", "--no-stream", "v")
	if !strings.Contains(stats, "talker") || !strings.Contains(stats, "-infra") || !strings.HasPrefix(stats, "POD ") {
		t.Fatalf("pod stats: %s", stats)
	}
	c.Must(t, "pod", "kill", "v")
	waitFor(t, "pod kill", 60*time.Second, func() bool { return podState() == "Exited" })
	// clone copies the pod and its member.
	// clone takes create flags: they replace (labels: merge over) the original's.
	c.Must(t, "pod", "clone", "--start", "--hostname", "v2host", "--label", "extra=1", "--shm-size", "3m", "v", "v2")
	st := c.Must(t, "ps", "--filter", "pod=v2", "--format", "{{.Names}} {{.PodName}}")
	if !strings.Contains(st, "talker-clone v2") {
		t.Fatalf("cloned pod's containers: %q", st)
	}
	if m := podInspect(t, c, "v2"); m["Hostname"] != "v2host" || fmt.Sprint(m["Labels"]) != "map[extra:1 tier:web]" {
		t.Errorf("clone overrides in inspect: %v %v", m["Hostname"], m["Labels"])
	}
	if out := c.Must(t, "exec", "talker-clone", "sh", "-c", "hostname; df -k /dev/shm | tail -1"); !strings.HasPrefix(out, "v2host\n") || strings.Fields(out)[2] != "3072" {
		t.Errorf("clone --hostname/--shm-size in the member: %q", out)
	}
	// prune removes stopped pods only.
	c.Must(t, "pod", "prune", "-f")
	if c.Run("pod", "exists", "v").ExitCode != 1 || c.Run("pod", "exists", "v2").ExitCode != 0 {
		t.Fatal("pod prune: wrong pods removed")
	}
	// --pod new:NAME creates the pod and moves -p to it.
	c.Must(t, "create", "--pod", "new:fresh", "--name", "fm", "bb", "true")
	if m := podInspect(t, c, "fresh"); m["NumContainers"].(float64) != 2 {
		t.Fatalf("--pod new: %v", m)
	}
	c.Must(t, "pod", "rm", "-af")
}

// pod create --network NET --ip: the infra (and so every member) gets that
// address on that network; pod ps and inspect name the network.
func TestPodUserNetworkStaticIP(t *testing.T) {
	c := newPodCLI(t)
	n := c.createNet(t)
	ip := strings.TrimSuffix(n.Subnet, "0/24") + "42"
	c.Must(t, "pod", "create", "--name", "sip", "--network", n.Name, "--ip", ip)
	out := c.Must(t, "run", "--rm", "--pod", "sip", "bb", "ip", "-4", "-o", "addr", "show", "eth0")
	if !strings.Contains(out, " "+ip+"/24") {
		t.Fatalf("member address: %q, want %s", out, ip)
	}
	if got := c.Must(t, "pod", "ps", "--filter", "network="+n.Name, "--format", "{{.Name}} {{.Networks}}"); got != "sip "+n.Name {
		t.Fatalf("pod ps: %q", got)
	}
	if got := c.Must(t, "pod", "inspect", "--format", "{{.InfraConfig.Networks}}", "sip"); got != "["+n.Name+"]" {
		t.Fatalf("inspect networks: %q", got)
	}
	if r := c.Run("pod", "create", "--network", "container:x"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "pods presently do not support network mode container:x") {
		t.Fatalf("--network container: %s", r)
	}
	c.Must(t, "pod", "rm", "-f", "sip")
}

// Concurrent first pod creates build the pause image once: no dangling
// copies, every pod gets an infra container.
func TestPodConcurrentFirstCreate(t *testing.T) {
	c := newPodCLI(t)
	done := make(chan testenv.Result, 3)
	for i := 0; i < 3; i++ {
		go func(i int) { done <- c.Run("pod", "create", "--name", fmt.Sprintf("cc%d", i)) }(i)
	}
	for i := 0; i < 3; i++ {
		if r := <-done; r.ExitCode != 0 {
			t.Fatalf("pod create: %s", r)
		}
	}
	imgs := c.Must(t, "images", "-a", "--format", "{{.Repository}}:{{.Tag}}")
	if n := strings.Count(imgs, "selkie-pause"); n != 1 || strings.Contains(imgs, "<none>") {
		t.Fatalf("images after concurrent pod creates: %q", imgs)
	}
	if n := len(strings.Fields(c.Must(t, "ps", "-a", "-q", "--filter", "name=-infra"))); n != 3 {
		t.Fatalf("%d infra containers, want 3", n)
	}
	c.Must(t, "pod", "rm", "-a")
}
