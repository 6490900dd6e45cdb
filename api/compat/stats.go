package compat

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/selkie-containers/selkie/engine"
)

var errNoStream = errors.New("at least one of stream and logs must be set")

// dockerStats is Docker's stats JSON (the fields clients read).
type dockerStats struct {
	Read      time.Time `json:"read"`
	PreRead   time.Time `json:"preread"`
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	PidsStats struct {
		Current uint64 `json:"current"`
	} `json:"pids_stats"`
	CPUStats    cpuStats `json:"cpu_stats"`
	PreCPUStats cpuStats `json:"precpu_stats"`
	MemoryStats struct {
		Usage uint64            `json:"usage"`
		Limit uint64            `json:"limit"`
		Stats map[string]uint64 `json:"stats"`
	} `json:"memory_stats"`
	BlkioStats struct {
		IOServiceBytesRecursive []blkioEntry `json:"io_service_bytes_recursive"`
	} `json:"blkio_stats"`
	Networks map[string]netStats `json:"networks"`
}

type cpuStats struct {
	CPUUsage struct {
		TotalUsage  uint64   `json:"total_usage"`
		PercpuUsage []uint64 `json:"percpu_usage,omitempty"`
	} `json:"cpu_usage"`
	SystemUsage uint64 `json:"system_cpu_usage"`
	OnlineCPUs  int    `json:"online_cpus"`
}

type blkioEntry struct {
	Major uint64 `json:"major"`
	Minor uint64 `json:"minor"`
	Op    string `json:"op"`
	Value uint64 `json:"value"`
}

type netStats struct {
	RxBytes uint64 `json:"rx_bytes"`
	TxBytes uint64 `json:"tx_bytes"`
}

func toDockerStats(st *engine.ContainerStats, prev *dockerStats) dockerStats {
	d := dockerStats{Read: time.Now().UTC(), ID: st.ContainerID, Name: "/" + st.Name}
	d.PidsStats.Current = st.PIDs
	d.CPUStats.CPUUsage.TotalUsage = st.CPUNano
	d.CPUStats.CPUUsage.PercpuUsage = st.PerCPU
	d.CPUStats.SystemUsage = st.SystemNano
	d.CPUStats.OnlineCPUs = max(len(st.PerCPU), 1)
	d.MemoryStats.Usage, d.MemoryStats.Limit = st.MemUsage, st.MemLimit
	d.MemoryStats.Stats = map[string]uint64{}
	d.BlkioStats.IOServiceBytesRecursive = []blkioEntry{{Op: "read", Value: st.BlockInput}, {Op: "write", Value: st.BlockOutput}}
	d.Networks = map[string]netStats{"eth0": {RxBytes: st.NetInput, TxBytes: st.NetOutput}}
	if prev != nil {
		d.PreRead, d.PreCPUStats = prev.Read, prev.CPUStats
	}
	return d
}

func (s *routes) containerStats(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	st, err := s.eng.ContainerStats(r.Context(), id)
	if err != nil {
		return err
	}
	streaming := boolQuery(r, "stream", true) && !boolQuery(r, "one-shot", false)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	cur := toDockerStats(st, nil)
	if !streaming {
		return enc.Encode(cur)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if err := enc.Encode(cur); err != nil {
			return nil
		}
		_ = rc.Flush()
		select {
		case <-r.Context().Done():
			return nil
		case <-tick.C:
		}
		st, err := s.eng.ContainerStats(r.Context(), id)
		if err != nil {
			return nil
		}
		prev := cur
		cur = toDockerStats(st, &prev)
	}
}
