// Command mkimage writes an offline busybox image built by internal/testenv,
// for the demo and the benchmarks:
//
//	go run ./hack/mkimage -o FILE [--layers N] [--format oci-archive|docker-archive|oci-dir]
//	                      [--tag T] [--random-layers N --random-mb M] [--small-files N] [--count N]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/selkie-containers/selkie/internal/testenv"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("mkimage", flag.ContinueOnError)
	out := fs.String("o", "", "output file (or directory for oci-dir)")
	format := fs.String("format", "oci-archive", "oci-archive, docker-archive or oci-dir")
	tag := fs.String("tag", "", "tag (oci) or reference (docker-archive); default latest / localhost/busybox:latest")
	layers := fs.Int("layers", 1, "number of base layers")
	randomLayers := fs.Int("random-layers", 0, "add N layers of incompressible random data")
	randomMB := fs.Int64("random-mb", 32, "size of each random layer in MiB")
	smallFiles := fs.Int("small-files", 0, "add a layer with N small files")
	count := fs.Int("count", 1, "oci-dir only: write N distinct images tagged TAG1..TAGN (each with its own /id.txt)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return fmt.Errorf("usage: mkimage -o FILE [--layers N] [--format oci-archive|docker-archive|oci-dir]")
	}
	s := testenv.ImageSpec{Layers: *layers, SmallFiles: *smallFiles}
	for i := 0; i < *randomLayers; i++ {
		s.RandomLayers = append(s.RandomLayers, *randomMB<<20)
	}
	switch *format {
	case "oci-archive":
		return testenv.WriteOCIArchive(*out, orDefault(*tag, "latest"), s)
	case "oci-dir", "oci":
		if *count > 1 {
			for i := 1; i <= *count; i++ {
				s.Files = map[string]string{"id.txt": fmt.Sprintf("image %d\n", i)}
				if _, err := testenv.WriteOCILayout(*out, fmt.Sprintf("%s%d", orDefault(*tag, "img"), i), s); err != nil {
					return err
				}
			}
			return nil
		}
		_, err := testenv.WriteOCILayout(*out, orDefault(*tag, "latest"), s)
		return err
	case "docker-archive":
		return testenv.WriteDockerArchive(*out, orDefault(*tag, "localhost/busybox:latest"), s)
	}
	return fmt.Errorf("unknown format %q", *format)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
