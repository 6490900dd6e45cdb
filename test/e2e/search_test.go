package e2e

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/internal/testenv"
)

// TestSearch: selkie search, --list-tags, --limit, --format, filters,
// --url and Docker's GET /images/search against a loopback registry.
func TestSearch(t *testing.T) {
	c, _ := newEventsCLI(t)
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	c.RegistriesConf = reg.RegistriesConf
	for _, ref := range []string{"team/searchme:1", "team/searchme:2", "other/unrelated:1"} {
		c.Must(t, "push", "--tls-verify=false", "--signature-policy", c.PolicyPath, "localhost/busybox", reg.Ref(ref))
	}
	out := c.Must(t, "search", "--tls-verify=false", reg.Addr+"/searchme")
	if !strings.HasPrefix(out, "NAME") || !strings.Contains(out, reg.Addr+"/team/searchme") || strings.Contains(out, "unrelated") {
		t.Fatalf("search:\n%s", out)
	}
	out = c.Must(t, "search", "--tls-verify=false", "--format", "{{.Index}} {{.Name}}", reg.Addr+"/")
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, reg.Addr+" "+reg.Addr+"/other/unrelated") {
		t.Fatalf("search all --format:\n%s", out)
	}
	if out := c.Must(t, "search", "--tls-verify=false", "--limit", "1", "--format", "{{.Name}}", reg.Addr+"/"); strings.Count(out, "\n") != 0 {
		t.Fatalf("--limit 1:\n%s", out)
	}
	out = c.Must(t, "search", "--tls-verify=false", "--list-tags", "--format", "{{.Name}}:{{.Tag}}", reg.Ref("team/searchme"))
	if tags := strings.Split(out, "\n"); len(tags) != 2 || !strings.Contains(out, reg.Addr+"/team/searchme:1") || !strings.Contains(out, reg.Addr+"/team/searchme:2") {
		t.Fatalf("--list-tags:\n%s", out)
	}
	if r := c.Run("search", "--tls-verify=false", "--list-tags", "--filter", "stars=1", reg.Ref("team/searchme")); r.ExitCode != 125 || !strings.Contains(r.Stderr, "filters are not applicable to list tags result") {
		t.Fatalf("list-tags with filter: %s", r)
	}
	if r := c.Run("search", "--tls-verify=false", "--filter", "bogus=1", reg.Addr+"/x"); r.ExitCode != 125 {
		t.Fatalf("bad filter: %s", r)
	}
	if out := c.Must(t, "search", "--tls-verify=false", "--filter", "stars=3", "--format", "{{.Name}}", reg.Addr+"/searchme"); out != "" {
		t.Fatalf("stars filter kept %q", out)
	}
	strict := *c
	strict.RegistriesConf = "" // the registry is not marked insecure: TLS is required
	if r := strict.Run("search", "--format", "{{.Name}}", reg.Addr+"/searchme"); r.ExitCode != 125 {
		t.Fatalf("TLS verification against a plain-HTTP registry succeeded: %s", r)
	}
	if _, err := exec.LookPath("docker"); err != nil {
		return
	}
	s := startService(t, c)
	resp, err := s.httpClient().Get("http://d/v1.44/images/search?term=" + reg.Addr + "/searchme")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var hits []struct {
		Name      string `json:"name"`
		StarCount int    `json:"star_count"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&hits); err != nil || resp.StatusCode != http.StatusOK || len(hits) != 1 || hits[0].Name != reg.Addr+"/team/searchme" {
		t.Fatalf("compat search: %d %v %+v", resp.StatusCode, err, hits)
	}
	r := s.remote(t, "search", "--tls-verify=false", "--list-tags", "--format", "{{.Tag}}", reg.Ref("team/searchme"))
	if r.ExitCode != 0 || (r.Stdout != "1\n2\n" && r.Stdout != "2\n1\n") {
		t.Fatalf("remote search --list-tags: %s", r)
	}
}
