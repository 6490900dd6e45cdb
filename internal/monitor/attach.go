package monitor

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Stream IDs conmon puts in the first byte of every attach packet.
const (
	AttachStdin  = 1
	AttachStdout = 2
	AttachStderr = 3
)

// bufSize is conmon's STDIO_BUF_SIZE plus the stream byte.
const bufSize = 8192 + 1

// AttachSocket is the attach socket path with --full-attach.
func AttachSocket(bundle string) string { return filepath.Join(bundle, "attach") }

// DialAttach connects to the attach socket in bundle. The path can exceed
// the 108-byte sun_path limit, so it is reached through /proc/self/fd.
func DialAttach(bundle string) (*net.UnixConn, error) {
	dir, err := os.Open(bundle)
	if err != nil {
		return nil, fmt.Errorf("failed to connect to container's attach socket: %w", err)
	}
	defer dir.Close()
	addr := &net.UnixAddr{Name: fmt.Sprintf("/proc/self/fd/%d/attach", dir.Fd()), Net: "unixpacket"}
	var conn *net.UnixConn
	for i := 0; i < 50; i++ {
		conn, err = net.DialUnix("unixpacket", nil, addr)
		if err == nil {
			return conn, nil
		}
		if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ECONNREFUSED) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil, fmt.Errorf("failed to connect to container's attach socket: %v: %w", AttachSocket(bundle), err)
}

// CopyOutput demultiplexes conmon's packets to stdout and stderr until the
// socket closes. With a terminal everything arrives as stdout.
//
// ECONNRESET does not end the output: conmon closing its end while input
// it never read (stdin sent just as the process exited) is still queued
// makes the kernel report ECONNRESET on the next read, before the output
// conmon wrote earlier and which is still queued here. The error is
// reported once; reading on yields that output, then EOF.
func CopyOutput(conn *net.UnixConn, stdout, stderr io.Writer) error {
	buf := make([]byte, bufSize)
	resets := 0
	for {
		n, err := conn.Read(buf)
		if err != nil && errors.Is(err, unix.ECONNRESET) && n == 0 {
			resets++
			if resets < 3 {
				continue
			}
			return nil
		}
		if n > 0 {
			var w io.Writer
			switch buf[0] {
			case AttachStdout:
				w = stdout
			case AttachStderr:
				w = stderr
			}
			if w != nil {
				if _, werr := w.Write(buf[1:n]); werr != nil {
					return werr
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// Resize tells conmon the terminal's new size through the ctl fifo.
func Resize(bundle string, height, width uint16) error {
	p := filepath.Join(bundle, "ctl")
	f, err := os.OpenFile(p, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("could not open ctl file for terminal resize: %w", err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "%d %d %d\n", 1, height, width); err != nil {
		return fmt.Errorf("failed to write to ctl file to resize terminal: %w", err)
	}
	return nil
}
