package cgroups

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Stats is one sample of a cgroup's resource use.
type Stats struct {
	CPUNano       uint64   // total CPU time
	CPUUserNano   uint64   // user part
	CPUSystemNano uint64   // kernel part
	PerCPU        []uint64 // per-CPU time (v1 only)
	MemUsage      uint64   // usage minus inactive file cache, as Podman reports it
	MemLimit      uint64   // limit, or host memory when unlimited
	BlockRead     uint64
	BlockWrite    uint64
	PIDs          uint64
}

// userHZ converts cpuacct.stat ticks to nanoseconds.
const userHZ = 100

// Stats samples the cgroup. Missing controllers leave their fields zero.
func (c *Cgroup) Stats() (*Stats, error) {
	s := &Stats{}
	if c.IsV2() {
		c.statsV2(s)
	} else {
		c.statsV1(s)
	}
	host := hostMemory()
	if s.MemLimit == 0 || (host > 0 && s.MemLimit > host) {
		s.MemLimit = host
	}
	return s, nil
}

func (c *Cgroup) statsV1(s *Stats) {
	if d, ok := c.V1["cpuacct"]; ok {
		s.CPUNano = readUint(d, "cpuacct.usage")
		for _, f := range strings.Fields(readString(d, "cpuacct.usage_percpu")) {
			v, _ := strconv.ParseUint(f, 10, 64)
			s.PerCPU = append(s.PerCPU, v)
		}
		kv := readKV(d, "cpuacct.stat")
		s.CPUUserNano = kv["user"] * (1e9 / userHZ)
		s.CPUSystemNano = kv["system"] * (1e9 / userHZ)
	}
	if d, ok := c.V1["memory"]; ok {
		usage := readUint(d, "memory.usage_in_bytes")
		if inactive := readKV(d, "memory.stat")["total_inactive_file"]; inactive < usage {
			usage -= inactive
		}
		s.MemUsage = usage
		s.MemLimit = readUint(d, "memory.limit_in_bytes")
	}
	if d, ok := c.V1["blkio"]; ok {
		s.BlockRead, s.BlockWrite = blkioV1(d)
	}
	if d, ok := c.V1["pids"]; ok {
		s.PIDs = readUint(d, "pids.current")
	} else if c.V2 != "" {
		s.PIDs = readUint(c.V2, "pids.current")
	}
}

func (c *Cgroup) statsV2(s *Stats) {
	d := c.V2
	cpu := readKV(d, "cpu.stat")
	s.CPUNano = cpu["usage_usec"] * 1000
	s.CPUUserNano = cpu["user_usec"] * 1000
	s.CPUSystemNano = cpu["system_usec"] * 1000
	usage := readUint(d, "memory.current")
	if inactive := readKV(d, "memory.stat")["inactive_file"]; inactive < usage {
		usage -= inactive
	}
	s.MemUsage = usage
	s.MemLimit = readUint(d, "memory.max") // "max" parses as 0 → host memory
	for _, line := range readLines(d, "io.stat") {
		for _, f := range strings.Fields(line)[1:] {
			k, v, _ := strings.Cut(f, "=")
			n, _ := strconv.ParseUint(v, 10, 64)
			switch k {
			case "rbytes":
				s.BlockRead += n
			case "wbytes":
				s.BlockWrite += n
			}
		}
	}
	s.PIDs = readUint(d, "pids.current")
}

// blkioV1 sums Read and Write over devices; the throttle file counts every
// I/O, the CFQ file only on CFQ/BFQ devices, so the first non-empty wins.
func blkioV1(d string) (r, w uint64) {
	for _, f := range []string{"blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes", "blkio.io_service_bytes_recursive"} {
		lines := readLines(d, f)
		for _, line := range lines {
			fs := strings.Fields(line)
			if len(fs) != 3 {
				continue
			}
			n, _ := strconv.ParseUint(fs[2], 10, 64)
			switch fs[1] {
			case "Read":
				r += n
			case "Write":
				w += n
			}
		}
		if r != 0 || w != 0 {
			return r, w
		}
	}
	return r, w
}

func readString(dir, file string) string {
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func readUint(dir, file string) uint64 {
	v, _ := strconv.ParseUint(readString(dir, file), 10, 64)
	return v
}

func readLines(dir, file string) []string {
	s := readString(dir, file)
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func readKV(dir, file string) map[string]uint64 {
	m := map[string]uint64{}
	for _, line := range readLines(dir, file) {
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		m[k], _ = strconv.ParseUint(strings.TrimSpace(v), 10, 64)
	}
	return m
}

// hostMemory is MemTotal from /proc/meminfo, in bytes.
func hostMemory() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n * 1024
		}
	}
	return 0
}
