package monitor

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefaultDetachKeys is Podman's detach sequence.
const DefaultDetachKeys = "ctrl-p,ctrl-q"

// ErrDetach is returned by CopyStdin when the user typed the detach keys.
var ErrDetach = errors.New("detached from container")

// ParseDetachKeys turns "ctrl-p,ctrl-q" (or "a,ctrl-\\") into bytes. An
// empty string disables detaching.
func ParseDetachKeys(keys string) ([]byte, error) {
	if keys == "" {
		return nil, nil
	}
	var out []byte
	for _, k := range strings.Split(keys, ",") {
		switch {
		case len(k) == 1:
			out = append(out, k[0])
		case strings.HasPrefix(k, "ctrl-") && len(k) == 6:
			c := k[5]
			switch {
			case c >= 'a' && c <= 'z':
				out = append(out, c-'a'+1)
			case c == '@':
				out = append(out, 0)
			case c >= '[' && c <= '_':
				out = append(out, c-'['+27)
			default:
				return nil, fmt.Errorf("invalid detach keys: %s", keys)
			}
		default:
			return nil, fmt.Errorf("invalid detach keys: %s", keys)
		}
	}
	return out, nil
}

// CopyStdin copies src to dst until EOF or until keys were typed in a row
// (then ErrDetach). Bytes that only began a sequence are passed on.
func CopyStdin(dst io.Writer, src io.Reader, keys []byte) error {
	buf := make([]byte, 32*1024)
	matched := 0
	for {
		n, err := src.Read(buf)
		if n > 0 {
			out := make([]byte, 0, n+matched)
			for _, b := range buf[:n] {
				if len(keys) > 0 && b == keys[matched] {
					matched++
					if matched == len(keys) {
						if len(out) > 0 {
							if _, werr := dst.Write(out); werr != nil {
								return werr
							}
						}
						return ErrDetach
					}
					continue
				}
				if matched > 0 {
					out = append(out, keys[:matched]...)
					matched = 0
				}
				out = append(out, b)
			}
			if len(out) > 0 {
				if _, werr := dst.Write(out); werr != nil {
					return werr
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}
