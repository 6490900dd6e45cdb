package main

import (
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile of this process to $SELKIE_CPUPROFILE
// (for `go tool pprof`); without it, it does nothing. The returned stop
// must run before the process exits.
func startProfile() (stop func()) {
	path := os.Getenv("SELKIE_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
