package local

import (
	"errors"
	"reflect"
	"testing"

	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/state"
)

func TestPodStatus(t *testing.T) {
	ctr := func(s string) *state.Container { return &state.Container{State: state.ContainerState{Status: s}} }
	for _, tc := range []struct {
		states []string
		want   string
	}{
		{nil, "Created"},
		{[]string{"configured", "created"}, "Created"},
		{[]string{"running", "running"}, "Running"},
		{[]string{"running", "exited"}, "Degraded"},
		{[]string{"running", "paused"}, "Degraded"},
		{[]string{"paused", "paused"}, "Paused"},
		{[]string{"exited", "stopped"}, "Exited"},
		{[]string{"exited", "configured"}, "Stopped"},
	} {
		var ms []*state.Container
		for _, s := range tc.states {
			ms = append(ms, ctr(s))
		}
		if got := podStatus(ms); got != tc.want {
			t.Errorf("podStatus(%v) = %s, want %s", tc.states, got, tc.want)
		}
	}
}

func TestPodShares(t *testing.T) {
	got, err := podShares(engine.PodCreateOptions{})
	if err != nil || !reflect.DeepEqual(got, []string{"ipc", "net", "uts"}) {
		t.Fatalf("default: %v %v", got, err)
	}
	got, err = podShares(engine.PodCreateOptions{Share: []string{"uts", "pid", "ipc", "net", "pid"}})
	if err != nil || !reflect.DeepEqual(got, []string{"ipc", "net", "pid", "uts"}) {
		t.Fatalf("list: %v %v", got, err)
	}
	got, err = podShares(engine.PodCreateOptions{Share: []string{"none"}})
	if err != nil || len(got) != 0 {
		t.Fatalf("none: %v %v", got, err)
	}
	for _, bad := range []string{"user", "mnt", "+pid", "NET", "net "} {
		if _, err := podShares(engine.PodCreateOptions{Share: []string{bad}}); !errors.Is(err, engine.ErrInvalidArg) {
			t.Errorf("share %q: %v", bad, err)
		}
	}
}

func TestPodFilter(t *testing.T) {
	pods := []engine.PodSummary{
		{ID: "aaa111", Name: "web", Status: "Running", Labels: map[string]string{"tier": "front"}, Networks: []string{"podman"},
			Containers: []engine.PodContainerInfo{{ID: "c1", Names: "nginx", Status: "running"}, {ID: "c2", Names: "web-infra", Status: "running"}}},
		{ID: "bbb222", Name: "db", Status: "Exited", Labels: map[string]string{"tier": "back"},
			Containers: []engine.PodContainerInfo{{ID: "c3", Names: "pg", Status: "exited"}}},
	}
	names := func(f map[string][]string) []string {
		t.Helper()
		m, err := podFilter(f)
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		var out []string
		for i := range pods {
			if m(&pods[i]) {
				out = append(out, pods[i].Name)
			}
		}
		return out
	}
	for _, tc := range []struct {
		f    map[string][]string
		want []string
	}{
		{map[string][]string{"id": {"aaa"}}, []string{"web"}},
		{map[string][]string{"name": {"db"}}, []string{"db"}},
		{map[string][]string{"name": {"^w.b$"}}, []string{"web"}},
		{map[string][]string{"name": {"e"}}, []string{"web"}},
		{map[string][]string{"name": {"[unclosed"}}, nil},
		{map[string][]string{"id": {"^bbb"}}, []string{"db"}},
		{map[string][]string{"label": {"tier=back"}}, []string{"db"}},
		{map[string][]string{"label": {"tier"}}, []string{"web", "db"}},
		{map[string][]string{"status": {"running", "exited"}}, []string{"web", "db"}},
		{map[string][]string{"status": {"exited"}, "label": {"tier=front"}}, nil},
		{map[string][]string{"ctr-names": {"pg"}}, []string{"db"}},
		{map[string][]string{"ctr-ids": {"c1"}}, []string{"web"}},
		{map[string][]string{"ctr-status": {"running"}}, []string{"web"}},
		{map[string][]string{"ctr-number": {"1"}}, []string{"db"}},
		{map[string][]string{"network": {"podman"}}, []string{"web"}},
	} {
		if got := names(tc.f); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("filter %v = %v, want %v", tc.f, got, tc.want)
		}
	}
	for _, bad := range []map[string][]string{{"status": {"bogus"}}, {"ctr-number": {"x"}}, {"nope": {"1"}}} {
		if _, err := podFilter(bad); !errors.Is(err, engine.ErrInvalidArg) {
			t.Errorf("filter %v: %v", bad, err)
		}
	}
}
