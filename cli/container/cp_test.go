package container

import "testing"

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
