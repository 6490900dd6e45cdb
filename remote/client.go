// Package remote implements engine.Engine over Selkie's libpod REST API, for
// `selkie --remote`. It encodes options, decodes reports and errors, and
// hijacks streams; it holds no logic of its own.
package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/selkie-containers/selkie/api/wire"
	"github.com/selkie-containers/selkie/engine"
)

var _ engine.Engine = (*Client)(nil)

// APIPrefix is the versioned prefix of every libpod route the client calls.
const APIPrefix = "/v4.0.0/libpod"

// Client is an engine.Engine talking to a `selkie system service`.
type Client struct {
	base string // scheme://host, where the host is a placeholder for unix sockets
	hc   *http.Client
	dial func(ctx context.Context) (net.Conn, error)
}

// New returns a client for uri: unix:///path/to.sock, tcp://host:port or
// http://host:port. It does not connect until the first call.
func New(uri string) (*Client, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("invalid service URI %q: %w", uri, err)
	}
	c := &Client{}
	var d net.Dialer
	switch u.Scheme {
	case "unix":
		path := u.Path
		if u.Host != "" {
			path = u.Host + u.Path
		}
		if path == "" {
			return nil, fmt.Errorf("invalid service URI %q: no socket path: %w", uri, engine.ErrInvalidArg)
		}
		c.base = "http://d"
		c.dial = func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "unix", path) }
	case "tcp", "http":
		if u.Host == "" {
			return nil, fmt.Errorf("invalid service URI %q: no host: %w", uri, engine.ErrInvalidArg)
		}
		host := u.Host
		c.base = "http://" + host
		c.dial = func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", host) }
	default:
		return nil, fmt.Errorf("service URI scheme %q is not supported (use unix:// or tcp://): %w", u.Scheme, engine.ErrInvalidArg)
	}
	c.hc = &http.Client{Transport: &http.Transport{
		DialContext:         func(ctx context.Context, _, _ string) (net.Conn, error) { return c.dial(ctx) },
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}}
	return c, nil
}

// Close releases idle connections.
func (c *Client) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}

// options encodes v as the JSON "options" query parameter.
func options(v any) url.Values {
	b, err := json.Marshal(v)
	if err != nil {
		return url.Values{}
	}
	return url.Values{"options": {string(b)}}
}

func query(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

func (c *Client) newRequest(ctx context.Context, method, path string, q url.Values, body io.Reader) (*http.Request, error) {
	u := c.base + APIPrefix + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	return req, nil
}

func jsonBody(in any) (io.Reader, error) {
	if in == nil {
		return nil, nil
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// do sends the request and turns a non-2xx answer into its wire error.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body io.Reader, ctype string) (*http.Response, error) {
	req, err := c.newRequest(ctx, method, path, q, body)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.connError(err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, wire.MaxJSONBody))
		return nil, wire.ReadError(resp.StatusCode, b)
	}
	return resp, nil
}

func (c *Client) connError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		if ue.Err == context.Canceled || ue.Err == context.DeadlineExceeded {
			return ue.Err
		}
		err = ue.Err
	}
	return fmt.Errorf("unable to connect to Selkie socket: %w", err)
}

// call sends in as JSON and decodes the JSON answer into out (both optional).
func (c *Client) call(ctx context.Context, method, path string, q url.Values, in, out any) error {
	body, err := jsonBody(in)
	if err != nil {
		return err
	}
	ctype := ""
	if body != nil {
		ctype = "application/json"
	}
	resp, err := c.do(ctx, method, path, q, body, ctype)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decoding answer of %s %s: %w", method, path, err)
	}
	return nil
}

// stream sends body and demultiplexes the framed answer to stdout/stderr,
// decoding the final result into out.
func (c *Client) stream(ctx context.Context, method, path string, q url.Values, body io.Reader, ctype string, stdout, stderr io.Writer, out any) error {
	resp, err := c.do(ctx, method, path, q, body, ctype)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return wire.Demux(resp.Body, stdout, stderr, out)
}

func (c *Client) streamJSON(ctx context.Context, method, path string, q url.Values, in any, stdout, stderr io.Writer, out any) error {
	body, err := jsonBody(in)
	if err != nil {
		return err
	}
	return c.stream(ctx, method, path, q, body, "application/json", stdout, stderr, out)
}

// hijack sends in as JSON on an upgraded connection, copies st.Stdin to it
// (half-closing at EOF), demultiplexes the answer to st.Stdout/st.Stderr,
// forwards st.Resize through resize, and decodes the result into out.
func (c *Client) hijack(ctx context.Context, path string, in any, st engine.Streams, resize func(engine.TerminalSize) error, out any) error {
	body, err := jsonBody(in)
	if err != nil {
		return err
	}
	req, err := c.newRequest(ctx, http.MethodPost, path, nil, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	conn, br, err := wire.ClientHijack(ctx, c.dial, req)
	if err != nil {
		if _, ok := err.(*wire.Error); ok {
			return err
		}
		return c.connError(err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if st.Stdin != nil {
		go func() {
			_, _ = io.Copy(conn, st.Stdin)
			if cw, ok := conn.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
		}()
	}
	if st.Resize != nil && resize != nil {
		done := make(chan struct{})
		defer close(done)
		go func() {
			for {
				select {
				case sz, ok := <-st.Resize:
					if !ok {
						return
					}
					_ = resize(sz)
				case <-done:
					return
				}
			}
		}()
	}
	err = wire.Demux(br, st.Stdout, st.Stderr, out)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func esc(s string) string { return url.PathEscape(s) }

func containerPath(id, verb string) string {
	p := "/containers/" + esc(id)
	if verb != "" {
		p += "/" + verb
	}
	return p
}
