package storage

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strconv"
	"unicode/utf8"

	tsstorage "github.com/vbatts/tar-split/tar/storage"
)

// tarSplitPacker writes the same bytes as tar-split's JSON packer
// (storage.NewJSONPacker: one encoding/json document per entry, duplicate
// file names refused) without reflection for the common entry; names that
// need escaping go through encoding/json itself.
type tarSplitPacker struct {
	w    *bufio.Writer
	pos  int
	seen map[string]struct{}
	buf  []byte
}

func newTarSplitPacker(w *bufio.Writer) *tarSplitPacker {
	return &tarSplitPacker{w: w, seen: map[string]struct{}{}}
}

// AddEntry implements tsstorage.Packer.
func (p *tarSplitPacker) AddEntry(e tsstorage.Entry) (int, error) {
	if e.Name != "" && !utf8.ValidString(e.Name) {
		e.NameRaw, e.Name = []byte(e.Name), ""
	}
	if e.Type == tsstorage.FileType {
		name := filepath.Clean(e.GetName())
		if _, dup := p.seen[name]; dup {
			return -1, tsstorage.ErrDuplicatePath
		}
		p.seen[name] = struct{}{}
	}
	e.Position = p.pos
	b := p.buf[:0]
	if len(e.NameRaw) > 0 || needsEscape(e.Name) {
		j, err := json.Marshal(e)
		if err != nil {
			return -1, err
		}
		b = append(append(b, j...), '\n')
	} else {
		b = append(b, `{"type":`...)
		b = strconv.AppendInt(b, int64(e.Type), 10)
		if e.Name != "" {
			b = append(append(append(b, `,"name":"`...), e.Name...), '"')
		}
		if e.Size != 0 {
			b = strconv.AppendInt(append(b, `,"size":`...), e.Size, 10)
		}
		b = append(b, `,"payload":`...)
		if e.Payload == nil {
			b = append(b, "null"...)
		} else {
			b = append(base64.StdEncoding.AppendEncode(append(b, '"'), e.Payload), '"')
		}
		b = strconv.AppendInt(append(b, `,"position":`...), int64(e.Position), 10)
		b = append(b, "}\n"...)
	}
	p.buf = b
	if _, err := p.w.Write(b); err != nil {
		return -1, err
	}
	p.pos++
	return e.Position, nil
}

// needsEscape: encoding/json would write s other than verbatim (control
// characters, quotes, backslashes, HTML characters, non-ASCII).
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c >= 0x80, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return true
		}
	}
	return false
}
