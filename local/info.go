package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/storage"
	"go.podman.io/image/v5/pkg/sysregistriesv2"
	"go.podman.io/image/v5/types"
	"golang.org/x/sys/unix"
)

// info gathers what `selkie info` prints. It is the one place that runs the
// helper binaries (conmon, the OCI runtime, slirp4netns) to learn their
// versions; nothing else in the engine probes them.
func (e *Engine) info(ctx context.Context) (*engine.InfoReport, error) {
	so, err := storage.StoreOptions(e.storeOptions())
	if err != nil {
		return nil, err
	}
	st, err := e.Store()
	if err != nil {
		return nil, err
	}
	r := &engine.InfoReport{
		Host: e.hostInfo(ctx),
		Store: engine.StoreInfo{
			ConfigFile:      storageConfigFile(e.cfg.Rootless, e.cfg.Home),
			GraphDriverName: st.GraphDriverName(),
			GraphOptions:    graphOptions(so.GraphDriverOptions),
			GraphRoot:       st.GraphRoot(),
			GraphStatus:     map[string]string{},
			ImageCopyTmpDir: imageCopyTmpDir(),
			RunRoot:         st.RunRoot(),
			VolumePath:      e.cfg.Paths(st.GraphRoot()).VolumePath,
		},
		Plugins: map[string]any{
			"authorization": nil,
			"log":           []string{"k8s-file", "none", "passthrough"},
			"network":       []string{"bridge", "macvlan", "ipvlan"},
			"volume":        []string{"local"},
		},
	}
	if status, err := st.Status(); err == nil {
		for _, kv := range status {
			r.Store.GraphStatus[kv[0]] = kv[1]
		}
	}
	var fs unix.Statfs_t
	if unix.Statfs(r.Store.GraphRoot, &fs) == nil {
		r.Store.GraphRootAllocated = fs.Blocks * uint64(fs.Bsize)
		r.Store.GraphRootUsed = (fs.Blocks - fs.Bfree) * uint64(fs.Bsize)
	}
	imgs, err := st.Images()
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	r.Store.ImageStore.Number = len(imgs)
	r.Store.ContainerStore, err = e.containerCounts(ctx)
	if err != nil {
		return nil, err
	}
	if r.Registries, err = e.registries(); err != nil {
		return nil, err
	}
	return r, nil
}

// containerCounts counts containers by state; before the container records
// exist it falls back to the store's count.
func (e *Engine) containerCounts(ctx context.Context) (engine.ContainerCountInfo, error) {
	var c engine.ContainerCountInfo
	list, err := e.ContainerList(ctx, engine.ContainerListOptions{All: true})
	if err != nil {
		st, serr := e.Store()
		if serr != nil {
			return c, serr
		}
		ctrs, serr := st.Containers()
		if serr != nil {
			return c, fmt.Errorf("listing containers: %w", serr)
		}
		c.Number = len(ctrs)
		c.Stopped = len(ctrs)
		return c, nil
	}
	c.Number = len(list)
	for _, s := range list {
		switch s.State {
		case "running":
			c.Running++
		case "paused":
			c.Paused++
		default:
			c.Stopped++
		}
	}
	return c, nil
}

// registries lists registries.conf as Podman's info does: one entry per
// [[registry]] keyed by its prefix, plus "search" for the unqualified list.
func (e *Engine) registries() (map[string]any, error) {
	sys := &types.SystemContext{SystemRegistriesConfPath: e.cfg.RegistriesConf}
	out := map[string]any{}
	regs, err := sysregistriesv2.GetRegistries(sys)
	if err != nil {
		return nil, fmt.Errorf("reading registries.conf: %w", err)
	}
	for _, r := range regs {
		out[r.Prefix] = r
	}
	search, err := sysregistriesv2.UnqualifiedSearchRegistries(sys)
	if err != nil {
		return nil, fmt.Errorf("reading registries.conf: %w", err)
	}
	if len(search) > 0 {
		out["search"] = search
	}
	return out, nil
}

// storageConfigFile is the storage.conf containers/storage reads.
func storageConfigFile(rootless bool, home string) string {
	if p := os.Getenv("CONTAINERS_STORAGE_CONF"); p != "" {
		return p
	}
	if rootless {
		cfgHome := os.Getenv("XDG_CONFIG_HOME")
		if cfgHome == "" {
			cfgHome = filepath.Join(home, ".config")
		}
		return filepath.Join(cfgHome, "containers", "storage.conf")
	}
	if _, err := os.Stat("/etc/containers/storage.conf"); err == nil {
		return "/etc/containers/storage.conf"
	}
	return "/usr/share/containers/storage.conf"
}

func graphOptions(opts []string) map[string]any {
	m := map[string]any{}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		m[k] = v
	}
	return m
}

func imageCopyTmpDir() string {
	if d := os.Getenv("TMPDIR"); d != "" {
		return d
	}
	return "/var/tmp"
}

func distribution() engine.DistInfo {
	d := engine.DistInfo{}
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return d
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"`)
		switch k {
		case "ID":
			d.Distribution = v
		case "VERSION_ID":
			d.Version = v
		case "VERSION_CODENAME":
			d.Codename = v
		}
	}
	return d
}
