package procfs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
)

// maxIDFile bounds how much of a passwd or group file is read: a container
// can put anything at /etc/passwd.
const maxIDFile = 4 << 20

// Names maps numeric IDs to names, as one passwd or group file says.
type Names map[string]string

// Lookup returns the name for id, or id itself when the file has none (as ps does).
func (n Names) Lookup(id string) string {
	if name, ok := n[id]; ok && name != "" {
		return name
	}
	return id
}

// ReadNamesInRoot parses root/rel (e.g. "/etc/passwd") with the path resolved
// inside root, refusing anything that is not a regular file (a FIFO would
// block, a device could be anything). A missing file gives an empty map.
func ReadNamesInRoot(root, rel string) (Names, error) {
	h, err := pathrs.OpenInRoot(root, rel)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Names{}, nil
		}
		return nil, fmt.Errorf("opening %s in the container: %w", rel, err)
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return Names{}, nil
	}
	f, err := pathrs.Reopen(h, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("opening %s in the container: %w", rel, err)
	}
	defer f.Close()
	return parseNames(io.LimitReader(f, maxIDFile)), nil
}

// ReadNames parses a passwd or group file on the host.
func ReadNames(path string) (Names, error) {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return Names{}, nil
		}
		return nil, err
	}
	defer f.Close()
	return parseNames(io.LimitReader(f, maxIDFile)), nil
}

// parseNames reads name:x:id:... lines (passwd and group share the first three fields).
func parseNames(r io.Reader) Names {
	n := Names{}
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64*1024), 64*1024)
	for s.Scan() {
		line := s.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.SplitN(line, ":", 4)
		if len(f) < 3 || f[0] == "" {
			continue
		}
		if _, seen := n[f[2]]; !seen {
			n[f[2]] = f[0]
		}
	}
	return n
}
