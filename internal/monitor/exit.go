package monitor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ErrNoExitFile means conmon has not (yet) written the exit file.
var ErrNoExitFile = errors.New("no exit file")

// ReadExitFile returns the exit code conmon recorded and when.
func ReadExitFile(exitDir, id string) (int32, time.Time, error) {
	p := ExitFile(exitDir, id)
	data, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, time.Time{}, ErrNoExitFile
		}
		return 0, time.Time{}, err
	}
	s := strings.TrimSpace(string(data))
	if s == "" {
		// conmon writes the file in one go; an empty one is still being written.
		return 0, time.Time{}, ErrNoExitFile
	}
	code, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("parsing exit file %s: %w", p, err)
	}
	var mt time.Time
	if st, err := os.Stat(p); err == nil {
		mt = st.ModTime()
	}
	return int32(code), mt, nil
}

// WaitExitFile blocks until conmon writes the exit file of id, watching the
// directory with inotify (no polling of the database). alive is consulted
// now and then: when it reports that conmon is gone and no file appeared,
// the wait fails instead of hanging.
func WaitExitFile(ctx context.Context, exitDir, id string, alive func() bool) (int32, time.Time, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err == nil {
		defer unix.Close(fd)
		if _, err := unix.InotifyAddWatch(fd, exitDir, unix.IN_CLOSE_WRITE|unix.IN_MOVED_TO|unix.IN_CREATE); err != nil {
			unix.Close(fd)
			fd = -1
		}
	} else {
		fd = -1
	}
	buf := make([]byte, 4096)
	deadCount := 0
	for {
		code, mt, err := ReadExitFile(exitDir, id)
		if err == nil || !errors.Is(err, ErrNoExitFile) {
			return code, mt, err
		}
		if alive != nil && !alive() {
			// conmon is gone: give a racing write a moment, then give up.
			deadCount++
			if deadCount > 3 {
				return -1, time.Time{}, fmt.Errorf("conmon exited prematurely, exit code could not be retrieved: %w", ErrNoExitFile)
			}
		}
		if err := waitFD(ctx, fd, 100*time.Millisecond); err != nil {
			return -1, time.Time{}, err
		}
		if fd >= 0 {
			for {
				if n, _ := unix.Read(fd, buf); n <= 0 {
					break
				}
			}
		}
	}
}

// waitFD waits until fd is readable, the timeout passes or ctx ends.
func waitFD(ctx context.Context, fd int, timeout time.Duration) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if fd < 0 {
		select {
		case <-time.After(timeout / 10):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	_, err := unix.Poll(fds, int(timeout/time.Millisecond))
	if err != nil && !errors.Is(err, unix.EINTR) {
		return err
	}
	return ctx.Err()
}

// ProcessAlive reports whether pid exists (signal 0).
func ProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}
