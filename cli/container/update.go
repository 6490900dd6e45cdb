package container

import (
	"fmt"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/cobra"
)

func newUpdateCommand(g *command.Globals) *cobra.Command {
	var (
		f       CreateFlags
		restart string
		latest  bool
	)
	cmd := &cobra.Command{
		Use:   "update [options] CONTAINER",
		Short: "update an existing container",
		Long:  "Updates the cgroup configuration of a given container",
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := singleTarget(cmd, g, args, latest)
			if err != nil {
				return err
			}
			res, err := f.resources(cmd.Flags())
			if err != nil {
				return fmt.Errorf("%w: %w", err, engine.ErrInvalidArg)
			}
			o := engine.ContainerUpdateOptions{Resources: res}
			if restart != "" {
				policy, retries, err := ParseRestart(restart)
				if err != nil {
					return err
				}
				o.RestartPolicy, o.RestartRetries = policy, &retries
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			if err := eng.ContainerUpdate(cmd.Context(), ref, o); err != nil {
				return err
			}
			insp, err := eng.ContainerInspect(cmd.Context(), ref, engine.ContainerInspectOptions{})
			if err != nil {
				return err
			}
			fmt.Fprintln(g.Stdout, insp.ID)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.blkioWeight, "blkio-weight", "", "Block IO weight (relative weight) accepts a weight value between 10 and 1000.")
	fs.Uint64Var(&f.cpuPeriod, "cpu-period", 0, "Limit the CPU CFS (Completely Fair Scheduler) period")
	fs.Int64Var(&f.cpuQuota, "cpu-quota", 0, "Limit the CPU CFS (Completely Fair Scheduler) quota")
	fs.Uint64VarP(&f.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.Float64Var(&f.cpus, "cpus", 0, "Number of CPUs. The default is 0.000 which means no limit")
	fs.StringVar(&f.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fs.StringVar(&f.cpusetMems, "cpuset-mems", "", "Memory nodes (MEMs) in which to allow execution (0-3, 0,1). Only effective on NUMA systems.")
	fs.StringVarP(&f.memory, "memory", "m", "", "Memory limit (format: <number>[<unit>], where unit = b (bytes), k (kibibytes), m (mebibytes), or g (gibibytes))")
	fs.StringVar(&f.memoryReservation, "memory-reservation", "", "Memory soft limit (format: <number>[<unit>], where unit = b (bytes), k (kibibytes), m (mebibytes), or g (gibibytes))")
	fs.StringVar(&f.memorySwap, "memory-swap", "", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	fs.Int64Var(&f.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	fs.StringVar(&restart, "restart", "", "Restart policy to apply when a container exits (\"always\"|\"no\"|\"on-failure\"|\"unless-stopped\")")
	fs.BoolVarP(&latest, "latest", "l", false, "Act on the latest container podman is aware of")
	return cmd
}
