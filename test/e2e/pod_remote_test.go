package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pod create through the libpod API (selkie --url): the cgroup limits,
// --userns, labels, ports and the share list reach the service's engine;
// pod verbs, logs and stats work remotely; a bad value is refused with the
// local text and exit code.
func TestPodRemoteCreate(t *testing.T) {
	c := newPodCLI(t)
	var s *apiService
	rm := func(args ...string) string {
		t.Helper()
		r := s.remote(t, args...)
		if r.ExitCode != 0 {
			t.Fatalf("remote %v: %s", args, r)
		}
		return strings.TrimSpace(r.Stdout)
	}
	args := []string{"pod", "create", "--name", "rp", "--cpus", "1", "--memory", "64m", "--cpu-shares", "256",
		"--label", "via=api", "--share", "+pid", "--hostname", "rphost", "--network", "none"}
	sub, _ := os.ReadFile("/etc/subuid")
	autoUser, _, _ := strings.Cut(strings.SplitN(string(sub), "\n", 2)[0], ":")
	if autoUser != "" && os.Geteuid() == 0 {
		// The service takes --userns=auto IDs from storage.conf's user.
		conf := filepath.Join(t.TempDir(), "storage.conf")
		if err := os.WriteFile(conf, []byte("[storage]\ndriver = \"overlay\"\n[storage.options]\nroot-auto-userns-user = \""+autoUser+"\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		c.Env = append(c.Env, "CONTAINERS_STORAGE_CONF="+conf)
		args = append(args, "--userns", "auto:size=4096")
	}
	s = startService(t, c.CLI)
	id := rm(args...)
	var m map[string]any
	if err := json.Unmarshal([]byte(c.Must(t, "pod", "inspect", "rp")), &m); err != nil {
		t.Fatal(err)
	}
	if m["Id"] != id || m["cpu_quota"] != float64(100000) || m["cpu_period"] != float64(100000) || m["memory_limit"] != float64(64<<20) ||
		m["cpu_shares"] != float64(256) || m["Hostname"] != "rphost" || m["Labels"].(map[string]any)["via"] != "api" {
		t.Errorf("pod created over the API, inspected locally: %v", m)
	}
	if sh, _ := json.Marshal(m["SharedNamespaces"]); !strings.Contains(string(sh), "pid") {
		t.Errorf("--share +pid lost: %s", sh)
	}
	wantUserNS := ""
	if args[len(args)-2] == "--userns" {
		wantUserNS = "auto:size=4096"
	}
	if got, _ := m["InfraConfig"].(map[string]any)["userns"].(string); wantUserNS != "" && got != wantUserNS {
		t.Errorf("--userns lost over the API: %q", got)
	}
	rm("run", "-d", "--pod", "rp", "--name", "rpm", "bb", "sh", "-c", "echo remote-line; sleep 1000")
	if wantUserNS != "" {
		if uidMap := strings.Fields(c.Must(t, "exec", "rpm", "cat", "/proc/self/uid_map")); len(uidMap) < 3 || uidMap[1] == "0" || uidMap[2] != "4096" {
			t.Errorf("member of a remote --userns=auto pod: uid_map %v", uidMap)
		}
	}
	waitFor(t, "remote pod logs", 30*time.Second, func() bool { return strings.Contains(rm("pod", "logs", "rp"), "remote-line") })
	if st := rm("pod", "stats", "--no-stream", "--format", "{{.Name}}", "rp"); !strings.Contains(st, "rpm") {
		t.Errorf("remote pod stats: %q", st)
	}
	rm("pod", "stop", "-t", "1", "rp")
	if r := s.remote(t, "pod", "create", "--name", "bad", "--cpus", "-1"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "CPUs must not be negative") {
		t.Errorf("remote pod create --cpus -1: %s", r)
	}
	if r := s.remote(t, "pod", "create", "--name", "rp"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "rp") {
		t.Errorf("remote pod create of a used name: %s", r)
	}
	rm("pod", "rm", "-f", "rp")
}
