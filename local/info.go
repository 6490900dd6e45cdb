package local

import (
	"context"
	"os"
	"runtime"
	"strings"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/storage"
	"golang.org/x/sys/unix"
)

func (e *Engine) info(ctx context.Context) (*engine.InfoReport, error) {
	so, err := storage.StoreOptions(e.storeOptions())
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	var si unix.Sysinfo_t
	_ = unix.Sysinfo(&si)
	r := &engine.InfoReport{
		Host: engine.HostInfo{
			Arch:           runtime.GOARCH,
			OS:             runtime.GOOS,
			CPUs:           runtime.NumCPU(),
			Hostname:       host,
			Kernel:         unix.ByteSliceToString(uts.Release[:]),
			MemTotal:       int64(si.Totalram) * int64(si.Unit),
			MemFree:        int64(si.Freeram) * int64(si.Unit),
			CgroupManager:  e.cfg.Engine.CgroupManager,
			CgroupVersion:  cgroupVersion(),
			Rootless:       e.cfg.Rootless,
			LogDriver:      e.cfg.Containers.LogDriver,
			NetworkBackend: e.cfg.Network.NetworkBackend,
			Distribution:   distribution(),
			Security:       engine.SecurityInfo{Rootless: e.cfg.Rootless, SECCOMPEnabled: true, DefaultCapabilities: strings.Join(e.cfg.Containers.DefaultCapabilities, ",")},
		},
		Store: engine.StoreInfo{
			GraphRoot:       so.GraphRoot,
			RunRoot:         so.RunRoot,
			GraphDriverName: so.GraphDriverName,
			ImageCopyTmpDir: "/var/tmp",
		},
		Registries: map[string]any{},
	}
	if st, err := e.Store(); err == nil {
		r.Store.GraphDriverName = st.GraphDriverName()
		if imgs, err := st.Images(); err == nil {
			r.Store.ImageStore.Number = len(imgs)
		}
		if ctrs, err := st.Containers(); err == nil {
			r.Store.ContainerStore.Number = len(ctrs)
		}
	}
	return r, nil
}

func cgroupVersion() string {
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "v2"
	}
	return "v1"
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
