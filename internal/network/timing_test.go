package network

import (
	"context"
	"os"
	"sort"
	"testing"
	"time"
)

// TestTimingSetupTeardown reports netavark setup/teardown durations on a
// network whose bridge is kept (the run --rm case). Run with -v.
func TestTimingSetupTeardown(t *testing.T) {
	if os.Getenv("SELKIE_NET_TIMING") == "" {
		t.Skip("set SELKIE_NET_TIMING=1 to measure")
	}
	m := requireNetavark(t)
	if w := os.Getenv("SELKIE_NETAVARK"); w != "" {
		m.cfg.Netavark = w
	}
	n := testNetwork(t, m, false)
	ctx := context.Background()
	var su, td []time.Duration
	for i := 0; i < 12; i++ {
		ns := newTestNetns(t)
		o := SetupOptions{ContainerID: randHex(32), ContainerName: "c", Networks: map[string]PerNetworkOptions{n.Name: {InterfaceName: "eth0"}}}
		t0 := time.Now()
		if _, err := m.Setup(ctx, ns, o); err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		if err := m.Teardown(ctx, ns, o); err != nil {
			t.Fatal(err)
		}
		if i > 0 { // the first one creates the bridge
			su, td = append(su, t1.Sub(t0)), append(td, time.Since(t1))
		}
	}
	med := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	t.Logf("median setup %v, teardown %v (min %v / %v)", med(su), med(td), su[0], td[0])
}
