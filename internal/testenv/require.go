package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RequiresRoot skips the test unless it runs as root.
func RequiresRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("requires root")
	}
}

// RequiresBinary skips the test unless every named binary is on $PATH (or,
// for sbin tools, in /usr/sbin or /sbin, which a non-login PATH may lack).
func RequiresBinary(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if LookPath(n) == "" {
			t.Skipf("requires %s (not found in $PATH; see hack/install-deps.sh)", n)
		}
	}
}

// LookPath returns the path of binary name, or "" when it is not installed.
func LookPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// PolicyFile writes an insecureAcceptAnything policy.json in a temp dir and
// returns its path (for --signature-policy / SignaturePolicy).
func PolicyFile(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(p, []byte(InsecurePolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// InsecurePolicy is a containers-policy.json(5) that accepts every image.
const InsecurePolicy = `{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker-daemon":{"":[{"type":"insecureAcceptAnything"}]}}}` + "\n"
