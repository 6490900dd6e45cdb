package monitor

import (
	"strings"
	"testing"
)

func TestExecArgs(t *testing.T) {
	o := ExecOptions{
		Options: Options{ConmonPath: "/usr/bin/conmon", RuntimePath: "/usr/bin/runc", RuntimeArgs: []string{"--root", "/run/x"},
			ID: "ctr", Name: "n", Bundle: "/b", PidFile: "/b/pid", ExitDir: "/b/exit", LogDriver: LogNone},
		SessionID: "sess", ProcessSpec: "/b/process.json",
	}
	args := strings.Join(ExecArgs(o), " ")
	for _, want := range []string{"-c ctr", "-u sess", "--exit-dir /b/exit", "-l none", "--exec --exec-process-spec /b/process.json", "--runtime-arg --root --runtime-arg /run/x"} {
		if !strings.Contains(args, want) {
			t.Errorf("args lack %q:\n%s", want, args)
		}
	}
	if strings.Contains(args, "-u ctr") || strings.Contains(args, "--leave-stdin-open") {
		t.Errorf("unexpected args:\n%s", args)
	}
	o.Terminal, o.Stdin = true, true
	args = strings.Join(ExecArgs(o), " ")
	if !strings.Contains(args, "-t") || !strings.Contains(args, "-i --leave-stdin-open") {
		t.Errorf("interactive terminal args:\n%s", args)
	}
}
