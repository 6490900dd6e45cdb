package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Rootless pods with --userns keep-id and nomap (Podman 4.3.1): the infra
// gets the mode, members join its user namespace and, with keep-id, run as
// the user (the infra's user, inherited as Podman does).
func TestRootlessPodUserNS(t *testing.T) {
	if _, err := os.Stat("/usr/bin/catatonit"); err != nil {
		if _, err := os.Stat("/usr/libexec/podman/catatonit"); err != nil {
			t.Skip("catatonit not installed")
		}
	}
	u := newRootless(t, "selkie-rl1", true)
	u.pullBusybox(t)
	u.Must(t, "pod", "create", "--name", "kp", "--userns", "keep-id", "--network", "none")
	want := fmt.Sprintf("%d:%d", u.UID, u.GID)
	if out := u.Must(t, "run", "--rm", "--pod", "kp", "bb", "sh", "-c", "echo $(id -u):$(id -g)"); out != want {
		t.Errorf("member of a keep-id pod runs as %q, want %q", out, want)
	}
	if out := u.Must(t, "run", "--rm", "--pod", "kp", "--user", "0", "bb", "id", "-u"); out != "0" {
		t.Errorf("member of a keep-id pod with --user 0: %q", out)
	}
	infra := u.Must(t, "pod", "inspect", "--format", "{{.InfraContainerID}}", "kp")
	u.Must(t, "run", "-d", "--pod", "kp", "--name", "km", "bb", "sleep", "300")
	infraPid := u.Must(t, "inspect", "--format", "{{.State.Pid}}", infra)
	infraNS, _ := os.Readlink("/proc/" + infraPid + "/ns/user")
	if got := u.Must(t, "exec", "km", "readlink", "/proc/self/ns/user"); got != infraNS || infraNS == "" {
		t.Errorf("member userns %q, infra's %q", got, infraNS)
	}
	// /dev/shm is shared in the pod rootless too.
	u.Must(t, "exec", "km", "sh", "-c", "echo rl-shm > /dev/shm/seg")
	if got := u.Must(t, "run", "--rm", "--pod", "kp", "bb", "cat", "/dev/shm/seg"); got != "rl-shm" {
		t.Errorf("rootless pod /dev/shm not shared: %q", got)
	}
	u.Must(t, "pod", "create", "--name", "np", "--userns", "nomap", "--network", "none")
	out := u.Must(t, "run", "--rm", "--pod", "np", "bb", "cat", "/proc/self/uid_map")
	// The user is ID 0 of the rootless namespace: nomap leaves it out.
	if f := strings.Fields(out); len(f) < 3 || f[1] == "0" {
		t.Errorf("nomap pod member uid_map maps the user's own ID: %q", out)
	}
	u.Must(t, "pod", "rm", "-f", "-t", "0", "kp", "np")
}
