package container

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/selkie-containers/selkie/engine"
	"github.com/spf13/pflag"
)

func TestParsePublish(t *testing.T) {
	ok := []struct {
		in   string
		want engine.PortMapping
	}{
		{"80", engine.PortMapping{ContainerPort: 80, Range: 1, Protocol: "tcp"}},
		{"8080:80", engine.PortMapping{HostPort: 8080, ContainerPort: 80, Range: 1, Protocol: "tcp"}},
		{"127.0.0.1:8080:80/udp", engine.PortMapping{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Range: 1, Protocol: "udp"}},
		{"127.0.0.1::80", engine.PortMapping{HostIP: "127.0.0.1", ContainerPort: 80, Range: 1, Protocol: "tcp"}},
		{"0.0.0.0:1:2", engine.PortMapping{HostPort: 1, ContainerPort: 2, Range: 1, Protocol: "tcp"}},
		{"8080-8081:80-81", engine.PortMapping{HostPort: 8080, ContainerPort: 80, Range: 2, Protocol: "tcp"}},
		{"[::1]:8080:80", engine.PortMapping{HostIP: "::1", HostPort: 8080, ContainerPort: 80, Range: 1, Protocol: "tcp"}},
	}
	for _, c := range ok {
		got, err := ParsePublish(c.in)
		if err != nil || len(got) != 1 || got[0] != c.want {
			t.Errorf("%q: %+v %v, want %+v", c.in, got, err, c.want)
		}
	}
	bad := map[string]string{
		"70000":        "parsing container port: port numbers must be between 1 and 65535 (inclusive), got 70000",
		"1:2:3:4":      "invalid port format - format is [[hostIP:]hostPort:]containerPort",
		"abc":          `parsing container port: invalid port number: strconv.Atoi: parsing "abc": invalid syntax`,
		"80/tcp/udp":   "invalid port format - protocol can only be specified once",
		"8080-8081:80": "host and container port ranges have different lengths: 2 vs 1",
		"[::1]80":      "invalid port format - IPv6 address must be followed by a colon (':')",
		"1.2.3:80:80":  `cannot parse "1.2.3" as an IP address`,
		"90-80":        "parsing container port: the end port of a range must be higher than the start port - 80 is not higher than 90",
		"80/bogus":     `unrecognized protocol "bogus" in port mapping`,
		"":             "must provide a non-empty container port to publish",
		"0":            "parsing container port: port numbers must be between 1 and 65535 (inclusive), got 0",
		"-1":           "parsing container port: port numbers cannot be negative",
	}
	for in, want := range bad {
		if _, err := ParsePublish(in); err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
	}
}

func TestParseVolume(t *testing.T) {
	m, err := ParseVolume("/src:/dst:ro,Z")
	if err != nil || m.Type != "bind" || m.Source != "/src" || m.Destination != "/dst" || m.RW || !reflect.DeepEqual(m.Options, []string{"ro", "Z"}) {
		t.Errorf("bind: %+v %v", m, err)
	}
	m, err = ParseVolume("data:/var/lib/x/../y")
	if err != nil || m.Type != "volume" || m.Name != "data" || m.Destination != "/var/lib/y" || !m.RW {
		t.Errorf("named: %+v %v", m, err)
	}
	m, err = ParseVolume("/anon")
	if err != nil || m.Type != "volume" || m.Name != "" || m.Destination != "/anon" {
		t.Errorf("anonymous: %+v %v", m, err)
	}
	m, err = ParseVolume("/anon:ro")
	if err != nil || m.Type != "volume" || m.Destination != "/anon" || m.RW {
		t.Errorf("anonymous ro: %+v %v", m, err)
	}
	bad := map[string]string{
		"relative:/x:bogus": `invalid option type "bogus"`,
		"/tmp:rel":          `invalid container path "rel", must be an absolute path`,
		"":                  "container directory cannot be empty",
		"/a:/b:/c:/d":       "/a:/b:/c:/d: incorrect volume format, should be [host-dir:]ctr-dir[:option]",
		"/a:":               "container directory cannot be empty",
	}
	for in, want := range bad {
		if _, err := ParseVolume(in); err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
	}
}

func TestParseMountAndTmpfs(t *testing.T) {
	m, err := ParseMount("type=bind,src=/a,target=/b,readonly")
	if err != nil || m.Type != "bind" || m.Source != "/a" || m.Destination != "/b" || m.RW {
		t.Errorf("%+v %v", m, err)
	}
	m, err = ParseMount("type=tmpfs,dst=/t,tmpfs-size=10m")
	if err != nil || m.Type != "tmpfs" || !reflect.DeepEqual(m.Options, []string{"size=10m"}) {
		t.Errorf("%+v %v", m, err)
	}
	bad := map[string]string{
		"type=bogus,dst=/x": `invalid filesystem type "bogus"`,
		"dst=/x":            mountFormatErr,
		"type=bind":         "must set volume destination",
		"type=bind,dst=x":   `invalid container path "x", must be an absolute path`,
	}
	for in, want := range bad {
		if _, err := ParseMount(in); err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
	}
	for in, want := range map[string]string{
		"/t:bogus":           `unknown mount option "bogus": invalid mount option`,
		"/t:size=1m,size=2m": "only one tmpfs size can be specified: duplicate mount option passed",
		"/t:bind":            "the 'bind' and 'rbind' options are not allowed with tmpfs mounts: invalid mount option",
		"/t:ro,rw":           "only one of 'rw' and 'ro' can be used: duplicate mount option passed",
	} {
		if _, err := ParseTmpfs(in); err == nil || err.Error() != want {
			t.Errorf("--tmpfs %q: got %v, want %q", in, err, want)
		}
	}
	for in, want := range map[string]string{":/x": "host directory cannot be empty", "/a:/x:": `invalid option type ""`} {
		if _, err := ParseVolume(in); err == nil || err.Error() != want {
			t.Errorf("-v %q: got %v, want %q", in, err, want)
		}
	}
	if m, err := ParseMount("type=bind,src=/a,dst=/b,rw=false,chown=true"); err != nil || m.RW || !reflect.DeepEqual(m.Options, []string{"ro", "U"}) {
		t.Errorf("rw=false,chown=true: %+v %v", m, err)
	}
	if _, err := ParseTmpfs("rel"); err == nil || err.Error() != `invalid container path "rel", must be an absolute path` {
		t.Errorf("tmpfs rel: %v", err)
	}
	m, err = ParseTmpfs("/run:rw,size=64m")
	if err != nil || m.Destination != "/run" || !reflect.DeepEqual(m.Options, []string{"rw", "size=64m"}) {
		t.Errorf("%+v %v", m, err)
	}
}

func TestParseUlimitRestartSignal(t *testing.T) {
	u, err := ParseUlimit("nofile=1024:2048")
	if err != nil || u != (engine.Ulimit{Name: "RLIMIT_NOFILE", Soft: 1024, Hard: 2048}) {
		t.Errorf("%+v %v", u, err)
	}
	for in, want := range map[string]string{
		"nofile":      `ulimit option "nofile" requires name=SOFT:HARD, failed to be parsed: invalid ulimit argument: nofile`,
		"bogus=1:2":   `ulimit option "bogus=1:2" requires name=SOFT:HARD, failed to be parsed: invalid ulimit type: bogus`,
		"nofile=10:5": `ulimit option "nofile=10:5" requires name=SOFT:HARD, failed to be parsed: ulimit soft limit must be less than or equal to hard limit: 10 > 5`,
	} {
		if _, err := ParseUlimit(in); err == nil || err.Error() != want {
			t.Errorf("%q: %v", in, err)
		}
	}
	for in, want := range map[string][2]any{
		"":               {"", uint(0)},
		"always":         {"always", uint(0)},
		"on-failure:5":   {"on-failure", uint(5)},
		"unless-stopped": {"unless-stopped", uint(0)},
	} {
		n, c, err := ParseRestart(in)
		if err != nil || n != want[0] || c != want[1] {
			t.Errorf("restart %q: %q %d %v", in, n, c, err)
		}
	}
	for in, want := range map[string]string{
		"bogus":        `running container create option: "bogus" is not a valid restart policy: invalid argument`,
		"always:3":     "restart policy retries can only be specified with on-failure restart policy",
		"on-failure:x": `parsing restart policy retry count: strconv.Atoi: parsing "x": invalid syntax`,
	} {
		if _, _, err := ParseRestart(in); err == nil || err.Error() != want {
			t.Errorf("restart %q: %v", in, err)
		}
	}
	for in, want := range map[string]string{"TERM": "SIGTERM", "sigkill": "SIGKILL", "9": "SIGKILL", "SIGUSR1": "SIGUSR1"} {
		if got, err := ParseSignal(in); err != nil || got != want {
			t.Errorf("signal %q: %q %v", in, got, err)
		}
	}
	for _, in := range []string{"bogus", "0", "99", "-1", ""} {
		if _, err := ParseSignal(in); err == nil || err.Error() != "invalid signal: "+in {
			t.Errorf("signal %q: %v", in, err)
		}
	}
}

func TestParseEnvAndLabels(t *testing.T) {
	dir := t.TempDir()
	ef := filepath.Join(dir, "env")
	os.WriteFile(ef, []byte("# comment\n\nA=from-file\nB=b=with=equals\n  HOSTVAR\nMISSING\n"), 0o644)
	host := map[string]string{"HOSTVAR": "h", "PFX_ONE": "1", "PFX_TWO": "2", "OTHER": "o"}
	lookup := func(k string) (string, bool) { v, ok := host[k]; return v, ok }
	environ := func() []string {
		var out []string
		for k, v := range host {
			out = append(out, k+"="+v)
		}
		return out
	}
	env, err := ParseEnv([]string{"A=flag", "PFX_*", "EMPTY="}, []string{ef}, lookup, environ)
	want := map[string]string{"A": "flag", "B": "b=with=equals", "HOSTVAR": "h", "PFX_ONE": "1", "PFX_TWO": "2", "EMPTY": ""}
	if err != nil || !reflect.DeepEqual(env, want) {
		t.Errorf("env = %v %v", env, err)
	}
	if _, err := ParseEnv([]string{"=x"}, nil, lookup, environ); err == nil || err.Error() != `invalid environment variable: "=x"` {
		t.Errorf("=x: %v", err)
	}
	if _, err := ParseEnv(nil, []string{"/nonexist"}, lookup, environ); err == nil || err.Error() != `parsing env file "/nonexist": open /nonexist: no such file or directory` {
		t.Errorf("env-file: %v", err)
	}
	lf := filepath.Join(dir, "labels")
	os.WriteFile(lf, []byte("a=1\nb\n"), 0o644)
	l, err := ParseLabels([]string{"a=2", "c=3"}, []string{lf})
	if err != nil || !reflect.DeepEqual(l, map[string]string{"a": "2", "b": "", "c": "3"}) {
		t.Errorf("labels = %v %v", l, err)
	}
	if _, err := ParseLabels(nil, []string{"/nonexist"}); err == nil || err.Error() != "unable to process labels: open /nonexist: no such file or directory" {
		t.Errorf("label-file: %v", err)
	}
}

// TestOptions runs whole command lines through the flag set.
func TestOptions(t *testing.T) {
	parse := func(args ...string) (engine.ContainerCreateOptions, error) {
		var f CreateFlags
		fs := pflag.NewFlagSet("create", pflag.ContinueOnError)
		AddCreateFlags(fs, &f, true, 10)
		if err := fs.Parse(args); err != nil {
			return engine.ContainerCreateOptions{}, err
		}
		rest := fs.Args()
		return f.Options(fs, rest[0], rest[1:])
	}
	o, err := parse("--name", "web", "-m", "64m", "--cpus", "1.5", "--pids-limit", "100", "--restart", "on-failure:3",
		"--stop-signal", "INT", "--stop-timeout", "3", "-h", "host1", "-e", "X=1", "-p", "80", "--entrypoint", `["/bin/sh","-c"]`,
		"--shm-size", "1g", "-d", "img", "echo", "--name", "notaflag")
	if err != nil {
		t.Fatal(err)
	}
	if o2, err := parse("--cap-add", "net_admin,CAP_SYS_TIME", "--cap-drop", "all", "--ipc", "container:x", "--userns", "keep-id", "--add-host", "h:1.2.3.4", "--expose", "80-81/udp", "--tz", "UTC", "img"); err != nil ||
		!reflect.DeepEqual(o2.CapAdd, []string{"CAP_NET_ADMIN", "CAP_SYS_TIME"}) || !reflect.DeepEqual(o2.CapDrop, []string{"ALL"}) {
		t.Errorf("valid flags: %+v %v", o2, err)
	}
	if o.Name != "web" || o.Resources.Memory != 64<<20 || o.Resources.NanoCPUs != 1_500_000_000 || *o.Resources.PidsLimit != 100 ||
		o.RestartPolicy != "on-failure" || o.RestartRetries != 3 || o.StopSignal != "SIGINT" || *o.StopTimeout != 3 ||
		o.Hostname != "host1" || o.Env["X"] != "1" || len(o.PortMappings) != 1 || !reflect.DeepEqual(*o.Entrypoint, []string{"/bin/sh", "-c"}) ||
		*o.ShmSize != 1<<30 || o.Image != "img" || !reflect.DeepEqual(o.Command, []string{"echo", "--name", "notaflag"}) {
		t.Errorf("options: %+v", o)
	}
	if o.Entrypoint == nil || o.StopTimeout == nil {
		t.Fatal("nil pointers")
	}
	o, _ = parse("img")
	if o.StopTimeout != nil || o.Entrypoint != nil || o.OOMScoreAdj != nil || o.PullPolicy != "" {
		t.Errorf("defaults leak into options: %+v", o)
	}
	o, _ = parse("--entrypoint", "", "img")
	if o.Entrypoint == nil || len(*o.Entrypoint) != 0 {
		t.Errorf("--entrypoint '' must clear: %v", o.Entrypoint)
	}
	bad := map[string][]string{
		"invalid value for memory: invalid size: 'abc'":                                                   {"-m", "abc"},
		"invalid value for memory: invalid size: '-5'":                                                    {"-m", "-5"},
		"unable to translate --shm-size: invalid size: 'x'":                                               {"--shm-size", "x"},
		`unsupported pull policy "bogus"`:                                                                 {"--pull", "bogus"},
		`the --rm option conflicts with --restart, when the restartPolicy is not "" and "no"`:             {"--rm", "--restart", "always"},
		"invalid signal: bogus":                                                                           {"--stop-signal", "bogus"},
		"/x: duplicate mount destination":                                                                 {"-v", "/a:/x", "--tmpfs", "/x"},
		"invalid healthcheck-interval: time: invalid duration \"bogus\"":                                  {"--health-cmd", "true", "--health-interval", "bogus"},
		"running container create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument":  {"--name", "/"},
		"oom-score-adj must be between -1000 and 1000: invalid argument":                                  {"--oom-score-adj", "5000"},
		"running container create option: invalid log driver: invalid argument":                           {"--log-driver", "bogus"},
		`"CAP_BOGUS": unknown capability`:                                                                 {"--cap-add", "bogus"},
		`invalid --security-opt 2: "bogus"`:                                                               {"--security-opt", "label=disable", "--security-opt", "bogus"},
		"opening seccomp profile failed: open /nonexist: no such file or directory":                       {"--security-opt", "seccomp=/nonexist"},
		"unrecognized namespace mode bogus passed":                                                        {"--ipc", "bogus"},
		"unrecognized namespace mode container: passed":                                                   {"--pid", "container:"},
		"running container create option: stat /usr/share/zoneinfo/Bogus/Zone: no such file or directory": {"--tz", "Bogus/Zone"},
		`running container create option: invalid timezone "../../etc/passwd"`:                            {"--tz", "../../etc/passwd"},
		"invalid value abc for cpuset cpus":                                                               {"--cpuset-cpus", "abc"},
		"invalid size: 'abc'":                                                                             {"--log-opt", "max-size=abc"},
		"invalid device mode: rel":                                                                        {"--device", "/dev/null:rel"},
		"foo is invalid, sysctl values must be in the form of KEY=VALUE":                                  {"--sysctl", "foo"},
		"annotations must be formatted KEY=VALUE":                                                         {"--annotation", "foo"},
		`bad format for add-host: "bad"`:                                                                  {"--add-host", "bad"},
		"bad is not an ip address":                                                                        {"--dns", "bad"},
		`invalid range format for --expose: abc: strconv.ParseUint: parsing "abc": invalid syntax`:        {"--expose", "abc"},
		"container-init binary not found on the host: stat rel: no such file or directory":                {"--init", "--init-path", "rel"},
		`invalid image volume mode "bogus" required value: bind, tmpfs, ignore`:                           {"--image-volume", "bogus"},
		"minimum memoryswap limit should be larger than memory limit, see usage":                          {"--memory-swap", "1m", "-m", "2m"},
		"--cpu-quota and --cpus cannot be set together":                                                   {"--cpus", "1", "--cpu-quota", "100"},
	}
	for want, args := range bad {
		_, err := parse(append(args, "img")...)
		if err == nil || err.Error() != want {
			t.Errorf("%v: got %v, want %q", args, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: multi-line error", args)
		}
	}
}

func TestParseVolumeAndMountOptionRules(t *testing.T) {
	for in, want := range map[string]string{
		"/a:/b:ro,rw":        `invalid options "ro, rw", can only specify 1 'rw' or 'ro' option`,
		"/a:/b:z,O":          `invalid options "z, O", can only specify 1 'z', 'Z', or 'O' option`,
		"/a:/b:O,ro":         "can't use 'O' with other options",
		"/a:/b:idmap,idmap":  "the 'idmap' option can only be set once: duplicate mount option passed",
		"/a:/b:shared,slave": `invalid options "shared, slave", can only specify 1 '[r]shared', '[r]private', '[r]slave' or '[r]unbindable' option`,
		"/a:/b:relabel=x":    `invalid option type "relabel=x"`,
	} {
		if _, err := ParseVolume(in); err == nil || err.Error() != want {
			t.Errorf("-v %q: got %v, want %q", in, err, want)
		}
	}
	for _, ok := range []string{"/a:/b:O,U", "/a:/b:idmap=uids=0-1-1;gids=0-1-1,ro", "/a:/b:cached,ro"} {
		if _, err := ParseVolume(ok); err != nil {
			t.Errorf("-v %q: %v", ok, err)
		}
	}
	m, err := ParseMount("type=bind,src=/a,dst=/b,relabel=shared,idmap=uids=0-1-1")
	if err != nil || !reflect.DeepEqual(m.Options, []string{"z", "idmap=uids=0-1-1"}) {
		t.Errorf("relabel/idmap: %+v %v", m, err)
	}
	m, err = ParseMount("type=bind,dst=/b")
	if err != nil || m.Source != "/b" {
		t.Errorf("bind without source: %+v %v", m, err)
	}
	m, err = ParseMount("type=image,src=img,dst=/i,rw=true")
	if err != nil || !m.RW {
		t.Errorf("image rw: %+v %v", m, err)
	}
	for in, want := range map[string]string{
		"type=bind,src=/a,dst=/b,foo=bar":          "foo: invalid mount option",
		"type=bind,src=/a,dst=/b,relabel=bogus":    "relabel mount option must be 'private' or 'shared': invalid mount option",
		"type=volume,src=v,dst=/b,idmap":           "idmap: invalid mount option",
		"type=volume,src=v,dst=/b,relabel=shared":  "relabel: invalid mount option",
		"type=tmpfs,src=x,dst=/b":                  "source is not supported with tmpfs mounts",
		"type=image,src=i,dst=/b,rw=maybe":         `invalid rw value "maybe": invalid mount option`,
		"type=bind,src=/a,dst=/b,idmap,idmap":      "the 'idmap' option can only be set once: duplicate mount option passed",
		"type=bind,src=/a,dst=/b,ro=maybe":         `'readonly', 'ro', or 'rw' must be set to true or false, instead received "maybe": must provide an argument for option`,
		"type=bind,src=/a,dst=/b,ro,rw":            "cannot pass 'readonly', 'ro', or 'rw' options more than once: must provide an argument for option",
		"type=tmpfs,dst=/b,ro,rw":                  "cannot pass 'ro' and 'rw' options more than once: must provide an argument for option",
		"type=bind,src=/a,dst=/b,U=maybe":          `'U' or 'chown' must be set to true or false, instead received "maybe": must provide an argument for option`,
		"type=bind,src=/a,dst=/b,U,chown":          "cannot pass 'U' or 'chown' option more than once: must provide an argument for option",
		"type=bind,src=,dst=/b":                    "host directory cannot be empty: must provide an argument for option",
		"type=tmpfs,dst=/b,tmpfs-size":             "tmpfs-size: must provide an argument for option",
		"type=bind,src=/a,dst=/b,bind-propagation": "bind-propagation: must provide an argument for option",
		"type=image,dst=/b":                        "must set source and destination for image volume",
		"type=bind,src=/a,dst=/b,nosuid,suid":      "cannot pass 'nosuid' and 'suid' options more than once: must provide an argument for option",
	} {
		if _, err := ParseMount(in); err == nil || err.Error() != want {
			t.Errorf("--mount %q: got %v, want %q", in, err, want)
		}
	}
}

func TestValidateVolumesFrom(t *testing.T) {
	for in, want := range map[string]string{
		"c": "", "c:ro": "", "c:rw,z": "", "c:z,ro": "",
		"c:bogus": `invalid option "bogus" specified - volumes from another container can only use z,ro,rw options`,
		"c:ro,rw": "cannot set ro or rw options more than once",
		"c:z,z":   "cannot set :z more than once in mount options",
	} {
		err := ValidateVolumesFrom(in)
		if (err == nil) != (want == "") || (err != nil && err.Error() != want) {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
	}
}
