package local

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
)

// applyCommitChanges applies --change instructions (CMD, ENTRYPOINT, ENV,
// EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL, ONBUILD) in Dockerfile
// syntax; "CMD=/bin/date" is accepted too, as Podman does. ONBUILD triggers
// are returned (only the Docker config format can carry them).
func applyCommitChanges(cc *v1.ImageConfig, changes []string) ([]string, error) {
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
				addPort(cc, p)
			}
		case "VOLUME":
			var vols []string
			if json.Unmarshal([]byte(arg), &vols) != nil {
				vols = strings.Fields(arg)
			}
			for _, v := range vols {
				if !strings.HasPrefix(v, "/") {
					return nil, fmt.Errorf("invalid change %q: volume %q must be an absolute path: %w", ch, v, engine.ErrInvalidArg)
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
			return nil, fmt.Errorf("invalid change %q - invalid instruction %s: %w", ch, instr, engine.ErrInvalidArg)
		}
		if arg == "" && strings.ToUpper(instr) != "CMD" && strings.ToUpper(instr) != "ENTRYPOINT" {
			return nil, fmt.Errorf("invalid change %q - missing value: %w", ch, engine.ErrInvalidArg)
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
			return nil, fmt.Errorf("invalid %s %q: %w", instr, arg, engine.ErrInvalidArg)
		}
		return [][2]string{{k, strings.TrimSpace(v)}}, nil
	}
	var out [][2]string
	for _, f := range splitWords(arg) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid %s %q: %w", instr, arg, engine.ErrInvalidArg)
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

func addPort(cc *v1.ImageConfig, p string) {
	if !strings.Contains(p, "/") {
		p += "/tcp"
	}
	if cc.ExposedPorts == nil {
		cc.ExposedPorts = map[string]struct{}{}
	}
	cc.ExposedPorts[p] = struct{}{}
}
