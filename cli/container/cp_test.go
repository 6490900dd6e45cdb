package container

import (
	"archive/tar"
	"bytes"
	"io"
	"testing"
)

func TestSplitCpArg(t *testing.T) {
	for _, tc := range []struct{ in, ctr, path string }{
		{"c:/etc/passwd", "c", "/etc/passwd"},
		{"c:", "c", ""},
		{"/host/path", "", "/host/path"},
		{"./rel:with:colons", "", "./rel:with:colons"},
		{"dir/file:x", "", "dir/file:x"},
		{"-", "", "-"},
		{"plainfile", "", "plainfile"},
		{"ab12cd:/tmp/", "ab12cd", "/tmp/"},
	} {
		c, p := splitCpArg(tc.in)
		if c != tc.ctr || p != tc.path {
			t.Errorf("splitCpArg(%q) = %q, %q; want %q, %q", tc.in, c, p, tc.ctr, tc.path)
		}
	}
}

func TestCpPathRules(t *testing.T) {
	for _, tc := range []struct {
		p       string
		content bool
		parent  string
	}{
		{"/a/b", false, "/a"}, {"/a/b/", false, "/a"}, {"/a/.", true, "/a"}, {".", true, "."},
		{"b", false, "."}, {"/b", false, "/"},
	} {
		if got := copyContent(tc.p); got != tc.content {
			t.Errorf("copyContent(%q) = %v", tc.p, got)
		}
		if got := parentOf(tc.p); got != tc.parent {
			t.Errorf("parentOf(%q) = %q, want %q", tc.p, got, tc.parent)
		}
	}
}

func TestTarOnStdin(t *testing.T) {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "f", Mode: 0o644, Size: 1})
	tw.Write([]byte("x"))
	tw.Close()
	for name, in := range map[string][]byte{"tar": tb.Bytes(), "gzip magic": {0x1f, 0x8b, 8}, "zstd magic": {0x28, 0xb5, 0x2f, 0xfd}} {
		r, err := tarOnStdin(bytes.NewReader(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b, _ := io.ReadAll(r); !bytes.Equal(b, in) {
			t.Fatalf("%s: stream changed", name)
		}
	}
	for name, in := range map[string][]byte{"empty": nil, "junk": []byte("garbage"), "zeros": make([]byte, 2048), "long junk": bytes.Repeat([]byte("j"), 4096)} {
		if _, err := tarOnStdin(bytes.NewReader(in)); err == nil || err.Error() != "source must be a (compressed) tar archive when copying from stdin" {
			t.Errorf("%s: %v", name, err)
		}
	}
}
