package monitor

import (
	"bytes"
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// seqpacketPair is a connected unixpacket pair, as conmon's attach socket.
func seqpacketPair(t *testing.T) (*net.UnixConn, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fds[0]), "client")
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.UnixConn), fds[1]
}

// TestCopyOutputAfterReset: conmon writes output, then closes its end with
// our stdin still unread in its queue, so the kernel reports ECONNRESET
// before the queued output; CopyOutput must still deliver all of it.
func TestCopyOutputAfterReset(t *testing.T) {
	conn, peer := seqpacketPair(t)
	if _, err := unix.Write(peer, []byte("\x02hi\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Write(peer, []byte("\x03err")); err != nil {
		t.Fatal(err)
	}
	// Input conmon never reads, then conmon goes away.
	if _, err := conn.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	unix.Close(peer)
	var out, errOut bytes.Buffer
	if err := CopyOutput(conn, &out, &errOut); err != nil {
		t.Fatalf("CopyOutput: %v", err)
	}
	if out.String() != "hi\r\n" || errOut.String() != "err" {
		t.Fatalf("got stdout %q stderr %q, want %q and %q", out.String(), errOut.String(), "hi\r\n", "err")
	}
}

// TestCopyOutputResetOnly: a reset with nothing queued ends the copy
// without an error (the container is gone) and does not spin.
func TestCopyOutputResetOnly(t *testing.T) {
	conn, peer := seqpacketPair(t)
	if _, err := conn.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	unix.Close(peer)
	var out bytes.Buffer
	if err := CopyOutput(conn, &out, &out); err != nil {
		t.Fatalf("CopyOutput: %v", err)
	}
	if out.Len() != 0 {
		t.Fatalf("unexpected output %q", out.String())
	}
}
