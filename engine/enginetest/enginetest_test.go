package enginetest_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/selkie-containers/selkie/api"
	"github.com/selkie-containers/selkie/cli"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/engine/enginetest"
	"github.com/selkie-containers/selkie/internal/config"
	"github.com/selkie-containers/selkie/internal/testenv"
	"github.com/selkie-containers/selkie/local"
	"github.com/selkie-containers/selkie/remote"
	"go.podman.io/storage/pkg/reexec"
)

// TestMain lets this test binary stand in for selkie where the engine
// re-executes itself: containers/storage's reexec helpers and conmon's exit
// command (`<exe> --root … container cleanup ID`).
func TestMain(m *testing.M) {
	if reexec.Init() {
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "--root" {
		os.Exit(cli.ExitCode(cli.Execute(context.Background(), os.Args[1:])))
	}
	os.Exit(m.Run())
}

func harness(t *testing.T) enginetest.Harness {
	t.Helper()
	if testing.Short() {
		t.Skip("conformance suite runs real containers; skipped in -short mode")
	}
	testenv.RequiresRoot(t)
	testenv.RequiresBinary(t, "runc", "conmon")
	base := t.TempDir()
	cfg, err := config.Load(config.LoadOptions{UID: 0, SystemFiles: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.GraphRoot = filepath.Join(base, "root")
	cfg.RunRoot = filepath.Join(base, "runroot")
	cfg.Engine.Runtime = "runc"
	cfg.Network.NetworkConfigDir = filepath.Join(base, "networks")
	eng, err := local.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if l, err := eng.ContainerList(ctx, engine.ContainerListOptions{All: true}); err == nil {
			for _, c := range l {
				_, _ = eng.ContainerRemove(ctx, c.ID, engine.ContainerRemoveOptions{Force: true, Ignore: true})
			}
		}
		_ = eng.Close()
		if err := testenv.CleanupDir(base); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	archive := filepath.Join(base, "busybox.tar")
	if err := testenv.WriteOCIArchive(archive, "localhost/enginetest:latest", testenv.ImageSpec{}); err != nil {
		t.Fatal(err)
	}
	return enginetest.Harness{Engine: eng, Archive: archive, PolicyPath: testenv.PolicyFile(t)}
}

func TestLocalConformance(t *testing.T) {
	enginetest.Run(t, harness(t))
}

func TestRemoteConformance(t *testing.T) {
	h := harness(t)
	srv := httptest.NewServer(api.NewServer(h.Engine, api.Options{}))
	t.Cleanup(srv.Close)
	c, err := remote.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	h.Engine = c
	enginetest.Run(t, h)
}
