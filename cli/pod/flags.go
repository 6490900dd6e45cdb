package pod

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	"github.com/selkie-containers/selkie/cli/container"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/pflag"
)

// podFlags are the pod create flags pod clone takes too: the pod
// cgroup's limits, labels, volumes, the infra's name, command, /dev/shm
// size, sysctls and host name.
type podFlags struct {
	labels, labelFiles, volumes, sysctls             []string
	infraCommand, memory, memorySwap, shmSize, blkio string
	cpus                                             float64
}

func (p *podFlags) bind(f *pflag.FlagSet, o *engine.PodCreateOptions) {
	// As Podman's pod create and clone: -h is --hostname, so --help has
	// no shorthand here; -c is --cpu-shares.
	f.Bool("help", false, "")
	f.StringVarP(&o.Hostname, "hostname", "h", "", "Set container hostname")
	f.StringArrayVarP(&p.labels, "label", "l", nil, "Set metadata on a pod")
	f.StringSliceVar(&p.labelFiles, "label-file", nil, "Read in a line delimited file of labels")
	f.StringArrayVarP(&p.volumes, "volume", "v", nil, "Bind mount a volume into the pod")
	f.StringVar(&p.infraCommand, "infra-command", "", "Overwrite the default ENTRYPOINT of the image")
	f.StringVar(&o.InfraName, "infra-name", "", "Assign a name to the infra container")
	f.Float64Var(&p.cpus, "cpus", 0, "Number of CPUs. The default is 0.000 which means no limit")
	f.StringVarP(&p.memory, "memory", "m", "", "Memory limit (format: <number>[<unit>], where unit = b (bytes), k (kibibytes), m (mebibytes), or g (gibibytes))")
	f.StringVar(&o.Resources.CPUSetCPUs, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	f.StringVar(&o.Resources.CPUSetMems, "cpuset-mems", "", "Memory nodes (MEMs) in which to allow execution (0-3, 0,1). Only effective on NUMA systems.")
	f.Uint64VarP(&o.Resources.CPUShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	f.StringVar(&p.memorySwap, "memory-swap", "", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	f.StringVar(&p.blkio, "blkio-weight", "", "Block IO weight (relative weight) accepts a weight value between 10 and 1000.")
	f.StringVar(&p.shmSize, "shm-size", "", "Size of /dev/shm (format: <number>[<unit>], where unit = b (bytes), k (kibibytes), m (mebibytes), or g (gibibytes))")
	f.StringSliceVar(&p.sysctls, "sysctl", nil, "Sysctl options")
	f.StringSliceVar(&o.Devices, "device", nil, "Add a host device to the container")
	f.StringArrayVar(&o.SecurityOpt, "security-opt", nil, "Security Options")
	f.StringArrayVar(&o.VolumesFrom, "volumes-from", nil, "Mount volumes from the specified container(s)")
	f.StringVar(&o.PIDMode, "pid", "", "PID namespace to use")
	f.StringVar(&o.UTSMode, "uts", "", "UTS namespace to use")
	f.StringSliceVar(&o.DeviceReadBps, "device-read-bps", nil, "Limit read rate (bytes per second) from a device (e.g. --device-read-bps=/dev/sda:1mb)")
	f.StringSliceVar(&o.DeviceWriteBps, "device-write-bps", nil, "Limit write rate (bytes per second) to a device (e.g. --device-write-bps=/dev/sda:1mb)")
	f.StringSliceVar(&o.BlkioWeightDevice, "blkio-weight-device", nil, "Block IO weight (relative device weight, format: `DEVICE_NAME:WEIGHT`)")
	f.StringVar(&o.CgroupParent, "cgroup-parent", "", "Optional parent cgroup for the container")
	f.StringVar(&o.InfraConmonPidFile, "infra-conmon-pidfile", "", "Path to the file that will receive the PID of conmon")
	f.StringVar(&o.UserNS, "userns", "", "User namespace to use")
	f.StringSliceVar(&o.UIDMap, "uidmap", nil, "UID map to use for the user namespace")
	f.StringSliceVar(&o.GIDMap, "gidmap", nil, "GID map to use for the user namespace")
	f.StringVar(&o.SubUIDName, "subuidname", "", "Name of range listed in /etc/subuid for use in user namespace")
	f.StringVar(&o.SubGIDName, "subgidname", "", "Name of range listed in /etc/subgid for use in user namespace")
}

// apply parses the bound values into o.
func (p *podFlags) apply(f *pflag.FlagSet, o *engine.PodCreateOptions) error {
	if f.Changed("cpus") {
		if p.cpus < 0 {
			return fmt.Errorf("invalid argument %q for \"--cpus\" flag: CPUs must not be negative", strconv.FormatFloat(p.cpus, 'f', -1, 64))
		}
		o.Resources.NanoCPUs = int64(p.cpus * 1e9)
	}
	if p.memory != "" {
		n, err := units.RAMInBytes(p.memory)
		if err != nil || n < 0 {
			return fmt.Errorf("invalid value for memory: invalid size: '%s'", p.memory)
		}
		o.Resources.Memory = n
	}
	if p.memorySwap == "-1" {
		o.Resources.MemorySwap = -1
	} else if p.memorySwap != "" {
		n, err := units.RAMInBytes(p.memorySwap)
		if err != nil || n < 0 {
			return fmt.Errorf("invalid value for memory-swap: invalid size: '%s'", p.memorySwap)
		}
		if o.Resources.Memory > 0 && n < o.Resources.Memory {
			return errors.New("minimum memoryswap limit should be larger than memory limit, see usage")
		}
		o.Resources.MemorySwap = n
	}
	if p.blkio != "" {
		n, err := strconv.ParseUint(p.blkio, 10, 16)
		if err != nil || n < 10 || n > 1000 {
			return fmt.Errorf("invalid blkio weight %q: must be between 10 and 1000", p.blkio)
		}
		o.Resources.BlkioWeight = uint16(n)
	}
	if p.shmSize != "" {
		n, err := units.RAMInBytes(p.shmSize)
		if err != nil || n <= 0 {
			return fmt.Errorf("unable to translate --shm-size: invalid size: '%s'", p.shmSize)
		}
		o.ShmSize = &n
	}
	for _, kv := range p.sysctls {
		k, v, ok := strings.Cut(kv, "=")
		if k == "" || !ok {
			return fmt.Errorf("%s is invalid, sysctl values must be in the form of KEY=VALUE", kv)
		}
		if o.Sysctls == nil {
			o.Sysctls = map[string]string{}
		}
		o.Sysctls[k] = v
	}
	if p.infraCommand != "" {
		// A JSON array or one argument, as Podman's entrypoint.
		ep, err := container.ParseEntrypoint(p.infraCommand)
		if err != nil {
			return err
		}
		o.InfraCommand = ep
	}
	var err error
	if o.InfraConmonPidFile != "" {
		if o.InfraConmonPidFile, err = filepath.Abs(o.InfraConmonPidFile); err != nil {
			return err
		}
	}
	if o.Labels, err = container.ParseLabels(p.labels, p.labelFiles); err != nil {
		return err
	}
	for _, v := range p.volumes {
		m, err := container.ParseVolume(v)
		if err != nil {
			return err
		}
		o.Mounts = append(o.Mounts, m)
	}
	return nil
}
