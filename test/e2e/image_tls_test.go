package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// startTLSRegistry runs docker-registry over TLS with a fresh self-signed
// certificate for 127.0.0.1; it returns the address and a --cert-dir.
func startTLSRegistry(t *testing.T) (addr, certDir string) {
	t.Helper()
	testenv.RequiresBinary(t, "docker-registry")
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	crt := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	os.WriteFile(filepath.Join(dir, "server.crt"), crt, 0o644)
	os.WriteFile(filepath.Join(dir, "server.key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	certDir = filepath.Join(dir, "certs")
	os.MkdirAll(certDir, 0o755)
	os.WriteFile(filepath.Join(certDir, "ca.crt"), crt, 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\n"+
		"http:\n  addr: %s\n  tls:\n    certificate: %s\n    key: %s\n", filepath.Join(dir, "storage"), addr, filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o644)
	cmd := exec.Command("docker-registry", "serve", filepath.Join(dir, "config.yml"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(crt)
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := client.Get("https://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			return addr, certDir
		}
	}
	t.Fatal("TLS registry did not start")
	return
}

// A TLS registry with an unknown CA: refused by default (fast, no retries),
// trusted with --cert-dir, or reached with --tls-verify=false.
func TestImageTLSRegistry(t *testing.T) {
	c := newImageCLI(t)
	addr, certDir := startTLSRegistry(t)
	empty := filepath.Join(t.TempDir(), "registries.conf")
	os.WriteFile(empty, []byte("unqualified-search-registries = []\n"), 0o644)
	c.RegistriesConf = empty
	p := c.PolicyPath
	id := c.pullArchive(t, "bb:1")
	ref := addr + "/tls/bb:1"
	start := time.Now()
	mustFail(t, c.CLI, 125, "certificate signed by unknown authority", "push", "--signature-policy", p, "bb:1", ref)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("certificate error took %s: retried?", d)
	}
	c.Must(t, "push", "-q", "--cert-dir", certDir, "--signature-policy", p, "bb:1", ref)
	c2 := newImageCLI(t)
	c2.RegistriesConf = empty
	mustFail(t, c2.CLI, 125, "certificate signed by unknown authority", "pull", "--signature-policy", p, ref)
	if got := c2.Must(t, "pull", "-q", "--tls-verify=false", "--signature-policy", p, ref); got != id {
		t.Fatalf("pull --tls-verify=false: %q", got)
	}
	if got := c2.Must(t, "pull", "-q", "--cert-dir", certDir, "--signature-policy", p, ref); got != id {
		t.Fatalf("pull --cert-dir: %q", got)
	}
}
