package monitor

import (
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// CheckPreservedFDs reports whether fds 3..3+n-1 of this process were passed
// in by its caller (--preserve-fds N), with Podman's error otherwise. An fd
// that is closed, or is one the Go runtime made itself (the netpoller's
// epoll and eventfd, a pidfd, and the cgroup CPU limit files it keeps open
// from startup for GOMAXPROCS), is not available.
func CheckPreservedFDs(n uint) error {
	for fd := 3; fd < 3+int(n); fd++ {
		if !inheritedFD(fd) {
			return fmt.Errorf("file descriptor %d is not available - the preserve-fds option requires that file descriptors must be passed", fd)
		}
	}
	return nil
}

func inheritedFD(fd int) bool {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		return false
	}
	target, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return false
	}
	for _, own := range []string{"anon_inode:[eventpoll]", "anon_inode:[eventfd]", "anon_inode:[pidfd]"} {
		if strings.HasPrefix(target, own) {
			return false
		}
	}
	if strings.HasPrefix(target, "/sys/fs/cgroup/") {
		switch path.Base(target) {
		case "cpu.max", "cpu.cfs_quota_us", "cpu.cfs_period_us":
			return false
		}
	}
	return true
}
