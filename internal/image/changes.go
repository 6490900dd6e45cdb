package image

import (
	"encoding/json"
	"path/filepath"
	"strings"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
)

// ApplyChanges applies --change instructions (CMD, ENTRYPOINT, ENV,
// EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL, ONBUILD) in Dockerfile
// syntax; "CMD=/bin/date" is accepted too, as Podman does. ONBUILD triggers
// are returned (only the Docker config format can carry them).
func ApplyChanges(cc *v1.ImageConfig, changes []string) ([]string, error) {
	var onbuild []string
	for _, ch := range changes {
		ch = strings.TrimSpace(ch)
		instr, arg, _ := strings.Cut(ch, " ")
		if i := strings.IndexAny(ch, "= "); i >= 0 && ch[i] == '=' {
			instr, arg = ch[:i], ch[i+1:]
		}
		arg = strings.TrimSpace(arg)
		switch strings.ToUpper(instr) {
		case "CMD":
			cc.Cmd = instructionArgs(arg)
		case "ENTRYPOINT":
			cc.Entrypoint = instructionArgs(arg)
		case "ENV":
			kvs, err := changeKeyValues(arg, "ENV")
			if err != nil {
				return nil, err
			}
			for _, kv := range kvs {
				cc.Env = setEnv(cc.Env, kv[0], kv[1])
			}
		case "LABEL":
			kvs, err := changeKeyValues(arg, "LABEL")
			if err != nil {
				return nil, err
			}
			for _, kv := range kvs {
				if cc.Labels == nil {
					cc.Labels = map[string]string{}
				}
				cc.Labels[kv[0]] = kv[1]
			}
		case "EXPOSE":
			for _, p := range strings.Fields(arg) {
				AddExposedPort(cc, p)
			}
		case "VOLUME":
			var vols []string
			if json.Unmarshal([]byte(arg), &vols) != nil {
				vols = strings.Fields(arg)
			}
			for _, v := range vols {
				if !strings.HasPrefix(v, "/") {
					return nil, Errorf(engine.ErrInvalidArg, "invalid change %q: volume %q must be an absolute path", ch, v)
				}
				if cc.Volumes == nil {
					cc.Volumes = map[string]struct{}{}
				}
				cc.Volumes[v] = struct{}{}
			}
		case "USER":
			cc.User = arg
		case "WORKDIR":
			if !strings.HasPrefix(arg, "/") {
				arg = filepath.Join("/", cc.WorkingDir, arg)
			}
			cc.WorkingDir = arg
		case "STOPSIGNAL":
			cc.StopSignal = arg
		case "ONBUILD":
			onbuild = append(onbuild, arg)
		default:
			return nil, Errorf(engine.ErrInvalidArg, "invalid change %q - invalid instruction %s", ch, instr)
		}
		if arg == "" && strings.ToUpper(instr) != "CMD" && strings.ToUpper(instr) != "ENTRYPOINT" {
			return nil, Errorf(engine.ErrInvalidArg, "invalid change %q - missing value", ch)
		}
	}
	return onbuild, nil
}

// instructionArgs reads the JSON (exec) form, else the shell form.
func instructionArgs(arg string) []string {
	var v []string
	if strings.HasPrefix(arg, "[") && json.Unmarshal([]byte(arg), &v) == nil {
		return v
	}
	if arg == "" {
		return nil
	}
	return []string{"/bin/sh", "-c", arg}
}

// changeKeyValues parses "K=V K2=V2" or the legacy "K V" form.
func changeKeyValues(arg, instr string) ([][2]string, error) {
	if !strings.Contains(arg, "=") {
		k, v, _ := strings.Cut(arg, " ")
		if k == "" {
			return nil, Errorf(engine.ErrInvalidArg, "invalid %s %q", instr, arg)
		}
		return [][2]string{{k, strings.TrimSpace(v)}}, nil
	}
	var out [][2]string
	for _, f := range splitWords(arg) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, Errorf(engine.ErrInvalidArg, "invalid %s %q", instr, arg)
		}
		out = append(out, [2]string{k, unquote(v)})
	}
	return out, nil
}

// splitWords splits on spaces outside double quotes.
func splitWords(s string) []string {
	var out []string
	var cur strings.Builder
	inQ := false
	for _, r := range s {
		switch {
		case r == '"':
			inQ = !inQ
			cur.WriteRune(r)
		case r == ' ' && !inQ:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// AddExposedPort adds p (default protocol tcp) to the config's exposed ports.
func AddExposedPort(cc *v1.ImageConfig, p string) {
	if !strings.Contains(p, "/") {
		p += "/tcp"
	}
	if cc.ExposedPorts == nil {
		cc.ExposedPorts = map[string]struct{}{}
	}
	cc.ExposedPorts[p] = struct{}{}
}

// setEnv sets k=v in env, replacing an existing k.
func setEnv(env []string, k, v string) []string {
	for i, e := range env {
		if strings.HasPrefix(e, k+"=") {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}
