// Command apiload measures a container API service over its unix socket:
//
//	apiload ready -sock S -- CMD ARGS...   start CMD, print ms until /_ping answers (then leave it running; prints its PID)
//	apiload get   -sock S -path P -n N -c C   N GETs of P on C keep-alive connections: median/p99 latency, req/s
//	apiload cycle -sock S -image I -n N       N × (create, start, wait, delete) of `true`: median ms per cycle
//
// It speaks the Docker API only, so the same numbers come from Selkie and Podman.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: apiload ready|get|cycle ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "ready":
		err = ready(os.Args[2:])
	case "get":
		err = get(os.Args[2:])
	case "cycle":
		err = cycle(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "apiload:", err)
		os.Exit(1)
	}
}

func client(sock string, conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
	}}
}

func ready(args []string) error {
	fs := flag.NewFlagSet("ready", flag.ExitOnError)
	sock := fs.String("sock", "", "socket path")
	fs.Parse(args)
	cmdArgs := fs.Args()
	if len(cmdArgs) == 0 {
		return fmt.Errorf("no command")
	}
	hc := client(*sock, 1)
	start := time.Now()
	cmd := exec.Command(cmdArgs[0], cmdArgs[1:]...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	for time.Since(start) < 30*time.Second {
		resp, err := hc.Get("http://d/_ping")
		if err == nil {
			resp.Body.Close()
			fmt.Printf("%.1f %d\n", float64(time.Since(start).Microseconds())/1000, cmd.Process.Pid)
			return nil
		}
		time.Sleep(500 * time.Microsecond)
	}
	cmd.Process.Kill()
	return fmt.Errorf("not ready after 30s")
}

func get(args []string) error {
	fs := flag.NewFlagSet("get", flag.ExitOnError)
	sock := fs.String("sock", "", "socket path")
	path := fs.String("path", "/v1.41/containers/json?all=1", "path")
	n := fs.Int("n", 1000, "requests")
	c := fs.Int("c", 1, "concurrent connections")
	fs.Parse(args)
	hc := client(*sock, *c)
	var mu sync.Mutex
	var lat []time.Duration
	var size int64
	work := make(chan struct{}, *n)
	for i := 0; i < *n; i++ {
		work <- struct{}{}
	}
	close(work)
	// warm up every connection
	for i := 0; i < *c; i++ {
		if _, err := one(hc, *path); err != nil {
			return err
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	var firstErr error
	for i := 0; i < *c; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				t0 := time.Now()
				b, err := one(hc, *path)
				d := time.Since(t0)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				lat = append(lat, d)
				size = b
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	total := time.Since(start)
	if firstErr != nil {
		return firstErr
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fmt.Printf("n=%d c=%d body=%dB median=%.2fms p99=%.2fms throughput=%.0f req/s\n",
		*n, *c, size, ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]), float64(*n)/total.Seconds())
	return nil
}

func one(hc *http.Client, path string) (int64, error) {
	resp, err := hc.Get("http://d" + path)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return n, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return n, err
}

func post(hc *http.Client, path string, body any, want int) ([]byte, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://d"+path, r)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return b, fmt.Errorf("POST %s: %s %s", path, resp.Status, b)
	}
	return b, nil
}

func cycle(args []string) error {
	fs := flag.NewFlagSet("cycle", flag.ExitOnError)
	sock := fs.String("sock", "", "socket path")
	image := fs.String("image", "", "image")
	n := fs.Int("n", 20, "cycles")
	fs.Parse(args)
	hc := client(*sock, 2)
	var lat []time.Duration
	for i := 0; i < *n; i++ {
		t0 := time.Now()
		b, err := post(hc, "/v1.41/containers/create", map[string]any{
			"Image": *image, "Cmd": []string{"true"}, "HostConfig": map[string]any{"NetworkMode": "none"},
		}, http.StatusCreated)
		if err != nil {
			return err
		}
		var cr struct{ Id string }
		json.Unmarshal(b, &cr)
		if _, err := post(hc, "/v1.41/containers/"+cr.Id+"/start", nil, http.StatusNoContent); err != nil {
			return err
		}
		if _, err := post(hc, "/v1.41/containers/"+cr.Id+"/wait", nil, http.StatusOK); err != nil {
			return err
		}
		req, _ := http.NewRequest(http.MethodDelete, "http://d/v1.41/containers/"+cr.Id, nil)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			return fmt.Errorf("DELETE: %s", resp.Status)
		}
		lat = append(lat, time.Since(t0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Printf("cycles=%d median=%.1fms min=%.1fms\n", *n, float64(lat[len(lat)/2].Microseconds())/1000, float64(lat[0].Microseconds())/1000)
	return nil
}
