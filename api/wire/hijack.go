package wire

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// Hijacked is the server side of a hijacked connection: reads come from the
// client (stdin), writes go to the client.
type Hijacked struct {
	Conn net.Conn
	R    *bufio.Reader
}

// Read reads stdin from the client (buffered bytes first).
func (h *Hijacked) Read(p []byte) (int, error) { return h.R.Read(p) }

// Write writes to the client.
func (h *Hijacked) Write(p []byte) (int, error) { return h.Conn.Write(p) }

// CloseWrite half-closes the connection when the transport supports it.
func (h *Hijacked) CloseWrite() error {
	if cw, ok := h.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close closes the connection.
func (h *Hijacked) Close() error { return h.Conn.Close() }

// Hijack takes over the connection and answers "101 UPGRADED" when the client
// asked for an upgrade (Docker's attach and exec start), "200 OK" otherwise,
// with contentType. Any request body must be read before calling it.
func Hijack(w http.ResponseWriter, r *http.Request, contentType string) (*Hijacked, error) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, fmt.Errorf("hijacking connection: %w", err)
	}
	_ = conn.SetDeadline(time.Time{})
	status := "200 OK"
	upgrade := ""
	if r.Header.Get("Upgrade") != "" {
		status = "101 UPGRADED"
		upgrade = "Connection: Upgrade\r\nUpgrade: tcp\r\n"
	}
	if _, err := fmt.Fprintf(brw, "HTTP/1.1 %s\r\nContent-Type: %s\r\n%s\r\n", status, contentType, upgrade); err != nil {
		conn.Close()
		return nil, err
	}
	if err := brw.Flush(); err != nil {
		conn.Close()
		return nil, err
	}
	// Read what the server had buffered, then the connection itself: reading
	// an EOF through the server's own reader would cancel r.Context() (the
	// client half-closing its stdin is not a disconnect).
	var in io.Reader = conn
	if n := brw.Reader.Buffered(); n > 0 {
		in = io.MultiReader(io.LimitReader(brw.Reader, int64(n)), conn)
	}
	return &Hijacked{Conn: conn, R: bufio.NewReader(in)}, nil
}

// ClientHijack sends req on a fresh connection from dial with the upgrade
// headers and returns the raw stream after a 101 or 200 answer. Any other
// answer is decoded into the wire error it carries.
func ClientHijack(ctx context.Context, dial func(ctx context.Context) (net.Conn, error), req *http.Request) (net.Conn, *bufio.Reader, error) {
	conn, err := dial(ctx)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "tcp")
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols && resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxJSONBody))
		resp.Body.Close()
		conn.Close()
		return nil, nil, ReadError(resp.StatusCode, body)
	}
	return conn, br, nil
}

// StdinPipe feeds r (a hijacked connection) into an *os.File for the
// engine. Runtimes hand an *os.File straight to the process, so nothing in
// the engine blocks on the connection after the process exits (a Go reader
// would keep os/exec waiting for a client that never closes its side). EOF
// on r closes the pipe. The caller calls done when the process is over.
func StdinPipe(r io.Reader) (f *os.File, done func(), err error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	go func() {
		_, _ = io.Copy(pw, r)
		pw.Close()
	}()
	return pr, func() { pr.Close(); pw.Close() }, nil
}

// Spool copies r (a request body) to an unlinked temporary file and returns
// it rewound; cleanup closes it.
func Spool(r io.Reader) (*os.File, func(), error) {
	f, err := os.CreateTemp("", "selkie-upload-*")
	if err != nil {
		return nil, nil, err
	}
	os.Remove(f.Name())
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return nil, nil, BadRequest(fmt.Errorf("reading the request body: %v", err))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}
