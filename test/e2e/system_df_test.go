package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSystemDf: summary rows, -v sections and the compat and libpod
// endpoints see an image in use, a running container's writes and a volume.
func TestSystemDf(t *testing.T) {
	c, _ := newEventsCLI(t)
	c.Must(t, "volume", "create", "dfvol")
	c.Must(t, "volume", "create", "dfidle")
	c.Must(t, "run", "-d", "--name", "dfctr", "--network", "none", "-v", "dfvol:/d", "localhost/busybox", "sh", "-c",
		"dd if=/dev/zero of=/d/f bs=1k count=100 2>/dev/null; dd if=/dev/zero of=/x bs=1k count=300 2>/dev/null; touch /ready; sleep 1000")
	waitFor(t, "dfctr ready", 30*time.Second, func() bool { return c.Run("exec", "dfctr", "test", "-e", "/ready").ExitCode == 0 })
	out := c.Must(t, "system", "df", "--format", "{{.Type}}|{{.Total}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}")
	lines := strings.Split(out, "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "Images|1|1|") || !strings.HasSuffix(lines[0], "|0B (0%)") ||
		!strings.HasPrefix(lines[1], "Containers|1|1|30") || !strings.HasPrefix(lines[2], "Local Volumes|2|1|10") {
		t.Fatalf("system df:\n%s", out)
	}
	v := c.Must(t, "system", "df", "-v")
	for _, want := range []string{"Images space usage:", "localhost/busybox", "Containers space usage:", "dfctr", "Local Volumes space usage:", "dfidle"} {
		if !strings.Contains(v, want) {
			t.Fatalf("df -v lacks %q:\n%s", want, v)
		}
	}
	if r := c.Run("system", "df", "-v", "--format", "{{.Type}}"); r.ExitCode != 125 {
		t.Fatalf("-v with --format: %s", r)
	}
	s := startService(t, c)
	resp, err := s.httpClient().Get("http://d/v1.44/system/df")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var df struct {
		LayersSize int64
		Images     []struct{ Containers int }
		Containers []struct{ SizeRw int64 }
		Volumes    []struct {
			Name      string
			UsageData struct{ Size, RefCount int64 }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&df); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("compat df: %v %d", err, resp.StatusCode)
	}
	if df.LayersSize == 0 || len(df.Images) != 1 || df.Images[0].Containers != 1 || len(df.Containers) != 1 || df.Containers[0].SizeRw < 300*1024 || len(df.Volumes) != 2 {
		t.Fatalf("compat df: %+v", df)
	}
	r := s.remote(t, "system", "df", "--format", "{{.Type}} {{.Total}}")
	if r.ExitCode != 0 || r.Stdout != "Images 1\nContainers 1\nLocal Volumes 2\n" {
		t.Fatalf("remote df: %s", r)
	}
}

// TestSystemPrune composes the prunes: stopped containers, unused networks
// and (with --volumes) volumes go; what a running container uses stays.
func TestSystemPrune(t *testing.T) {
	c, _ := newEventsCLI(t)
	stopped := c.Must(t, "create", "--name", "prstopped", "--network", "none", "localhost/busybox", "true")
	c.Must(t, "run", "-d", "--name", "prrunning", "--network", "none", "-v", "prused:/u", "localhost/busybox", "sleep", "1000")
	c.Must(t, "volume", "create", "prunused")
	c.Must(t, "network", "create", "prnet")
	c.Must(t, "tag", "localhost/busybox", "localhost/prextra:1")
	if r := c.RunStdin(strings.NewReader("n\n"), "system", "prune"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "Are you sure you want to continue? [y/N]") {
		t.Fatalf("prompt: %s", r)
	}
	if c.Run("container", "exists", "prstopped").ExitCode != 0 {
		t.Fatal("answering n pruned")
	}
	if r := c.Run("system", "prune", "-f", "--filter", "bogus=1"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "bogus is an invalid filter") {
		t.Fatalf("bad filter: %s", r)
	}
	out := c.Must(t, "system", "prune", "-f", "--volumes")
	for _, want := range []string{"Deleted Containers\n" + stopped, "Deleted Networks\nprnet", "Deleted Volumes\nprunused", "Total reclaimed space: "} {
		if !strings.Contains(out, want) {
			t.Fatalf("prune output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "prused") || c.Run("container", "exists", "prrunning").ExitCode != 0 || c.Run("volume", "exists", "prused").ExitCode != 0 {
		t.Fatalf("pruned what a running container uses:\n%s", out)
	}
	c.Must(t, "rm", "-f", "-t", "0", "prrunning")
	out = c.Must(t, "system", "prune", "-a", "-f")
	if !strings.Contains(out, "Deleted Images") {
		t.Fatalf("prune -a: %s", out)
	}
	if imgs := c.Must(t, "images", "-q"); imgs != "" {
		t.Fatalf("images left after prune -a: %q", imgs)
	}
}
