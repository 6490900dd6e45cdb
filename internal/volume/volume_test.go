package volume

import (
	"errors"
	"testing"

	"github.com/selkie-containers/selkie/engine"
	"golang.org/x/sys/unix"
)

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"a", "v1", "my_vol.2-x", "0abc"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-a", ".a", "_a", "a/b", "../x", "a b", "a:b", "a\x00", "ü"} {
		if err := ValidateName(bad); !errors.Is(err, engine.ErrInvalidArg) {
			t.Errorf("%q accepted (%v)", bad, err)
		}
	}
	n, err := NewName()
	if err != nil || len(n) != 64 || ValidateName(n) != nil {
		t.Fatalf("NewName %q %v", n, err)
	}
}

func TestValidateOptions(t *testing.T) {
	good := []map[string]string{
		nil, {"type": "tmpfs", "device": "tmpfs", "o": "size=1m,nodev"}, {"o": "uid=1000,gid=1000"},
		{"uid": "1", "gid": "2"}, {"nocopy": ""},
	}
	for _, o := range good {
		if err := ValidateOptions("local", o); err != nil {
			t.Errorf("%v refused: %v", o, err)
		}
	}
	bad := []map[string]string{{"foo": "bar"}, {"o": "uid=abc"}, {"size": "1m"}, {"uid": "x"}}
	for _, o := range bad {
		if err := ValidateOptions("local", o); !errors.Is(err, engine.ErrInvalidArg) {
			t.Errorf("%v accepted", o)
		}
	}
	if err := ValidateOptions("other", nil); err == nil {
		t.Error("unknown driver accepted")
	}
}

func TestMountArgs(t *testing.T) {
	typ, dev, flags, data := mountArgs(map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=1m,nodev,ro,noexec"})
	if typ != "tmpfs" || dev != "tmpfs" || data != "size=1m" || flags != unix.MS_NODEV|unix.MS_RDONLY|unix.MS_NOEXEC {
		t.Fatalf("tmpfs: %q %q %x %q", typ, dev, flags, data)
	}
	typ, dev, flags, _ = mountArgs(map[string]string{"type": "none", "device": "/srv", "o": "bind"})
	if typ != "none" || dev != "/srv" || flags&unix.MS_BIND == 0 {
		t.Fatalf("bind: %q %q %x", typ, dev, flags)
	}
	if u, g := Owner(map[string]string{"o": "uid=5,gid=6"}); u != 5 || g != 6 {
		t.Fatalf("owner %d %d", u, g)
	}
	if u, g := Owner(map[string]string{"type": "tmpfs", "o": "uid=5"}); u != -1 || g != -1 {
		t.Fatalf("mount option uid= must go to the mount, got %d %d", u, g)
	}
}
