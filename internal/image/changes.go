package image

import (
	"encoding/json"
	"strings"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/selkie-containers/selkie/engine"
)

// applyChanges applies Dockerfile-style instructions (import/commit
// --change) to an image config.
func applyChanges(c *v1.ImageConfig, changes []string) error {
	for _, ch := range changes {
		ch = strings.TrimSpace(ch)
		instr, arg, _ := strings.Cut(ch, " ")
		if i := strings.Index(ch, "="); i >= 0 && (len(instr) > i || !strings.Contains(ch, " ")) {
			// "CMD=/bin/sh" form
			instr, arg = ch[:i], ch[i+1:]
		}
		arg = strings.TrimSpace(arg)
		switch strings.ToUpper(instr) {
		case "CMD":
			c.Cmd = execForm(arg)
		case "ENTRYPOINT":
			c.Entrypoint = execForm(arg)
		case "ENV":
			for _, kv := range keyValues(arg) {
				c.Env = setEnv(c.Env, kv[0], kv[1])
			}
		case "LABEL":
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			for _, kv := range keyValues(arg) {
				c.Labels[kv[0]] = kv[1]
			}
		case "EXPOSE":
			if c.ExposedPorts == nil {
				c.ExposedPorts = map[string]struct{}{}
			}
			for _, p := range strings.Fields(arg) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				c.ExposedPorts[p] = struct{}{}
			}
		case "VOLUME":
			if c.Volumes == nil {
				c.Volumes = map[string]struct{}{}
			}
			var vols []string
			if json.Unmarshal([]byte(arg), &vols) != nil {
				vols = strings.Fields(arg)
			}
			for _, v := range vols {
				c.Volumes[v] = struct{}{}
			}
		case "USER":
			c.User = arg
		case "WORKDIR":
			c.WorkingDir = arg
		case "STOPSIGNAL":
			c.StopSignal = arg
		case "ONBUILD":
			// not representable in an OCI config; Podman keeps it only in Docker format
		default:
			return Errorf(engine.ErrInvalidArg, "invalid change %q - invalid instruction %s", ch, instr)
		}
	}
	return nil
}

// execForm reads a JSON array, or wraps a shell string in /bin/sh -c.
func execForm(arg string) []string {
	var list []string
	if json.Unmarshal([]byte(arg), &list) == nil {
		return list
	}
	return []string{"/bin/sh", "-c", arg}
}

// keyValues reads "k=v k2=v2" or the legacy "k v".
func keyValues(arg string) [][2]string {
	if !strings.Contains(arg, "=") {
		k, v, _ := strings.Cut(arg, " ")
		return [][2]string{{k, strings.TrimSpace(v)}}
	}
	var out [][2]string
	for _, f := range splitQuoted(arg) {
		k, v, _ := strings.Cut(f, "=")
		out = append(out, [2]string{k, strings.Trim(v, `"`)})
	}
	return out
}

func splitQuoted(s string) []string {
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

func setEnv(env []string, k, v string) []string {
	for i, e := range env {
		if strings.HasPrefix(e, k+"=") {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}
