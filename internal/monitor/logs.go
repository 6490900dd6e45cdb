package monitor

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"time"
)

// LogLine is one k8s-file log record.
type LogLine struct {
	Time    time.Time
	Stream  string // stdout or stderr
	Partial bool   // P: the line continues in the next record
	Msg     string
}

// ParseLogLine parses "TIMESTAMP STREAM P|F MESSAGE".
func ParseLogLine(line string) (LogLine, bool) {
	ts, rest, ok := strings.Cut(line, " ")
	if !ok {
		return LogLine{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return LogLine{}, false
	}
	stream, rest, ok := strings.Cut(rest, " ")
	if !ok {
		return LogLine{}, false
	}
	tag, msg, _ := strings.Cut(rest, " ")
	return LogLine{Time: t, Stream: stream, Partial: tag == "P", Msg: msg}, true
}

// LogReadOptions filter a log.
type LogReadOptions struct {
	Since, Until time.Time
	// Tail keeps the last N full lines (<0: all).
	Tail   int
	Follow bool
	// Done reports that the container has exited: following stops once
	// the file has been read to its end after Done turned true.
	Done func() bool
}

// ReadLog calls fn for each record of the k8s-file log at path.
func ReadLog(ctx context.Context, path string, o LogReadOptions, fn func(LogLine) error) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !o.Follow {
			return nil
		}
		return err
	}
	defer f.Close()
	keep := func(l LogLine) bool {
		if !o.Since.IsZero() && l.Time.Before(o.Since) {
			return false
		}
		if !o.Until.IsZero() && l.Time.After(o.Until) {
			return false
		}
		return true
	}
	r := bufio.NewReaderSize(f, 64*1024)
	if o.Tail >= 0 {
		var lines []LogLine
		for {
			s, err := r.ReadString('\n')
			if err != nil {
				// A partial last line is kept for the follow loop below.
				if len(s) > 0 {
					r = bufio.NewReaderSize(io.MultiReader(strings.NewReader(s), f), 64*1024)
				}
				break
			}
			if l, ok := ParseLogLine(strings.TrimSuffix(s, "\n")); ok && keep(l) {
				lines = append(lines, l)
			}
		}
		lines = tailLines(lines, o.Tail)
		for _, l := range lines {
			if err := fn(l); err != nil {
				return err
			}
		}
		if !o.Follow {
			return nil
		}
	}
	var pending bytes.Buffer
	for {
		s, err := r.ReadString('\n')
		pending.WriteString(s)
		if err == nil {
			line := strings.TrimSuffix(pending.String(), "\n")
			pending.Reset()
			if l, ok := ParseLogLine(line); ok && keep(l) {
				if err := fn(l); err != nil {
					return err
				}
			}
			continue
		}
		if !errors.Is(err, io.EOF) {
			return err
		}
		if !o.Follow {
			return nil
		}
		if o.Done != nil && o.Done() {
			// One last read: the container may have written before exiting.
			rest, _ := io.ReadAll(r)
			pending.Write(rest)
			for _, line := range strings.Split(pending.String(), "\n") {
				if l, ok := ParseLogLine(line); ok && keep(l) {
					if err := fn(l); err != nil {
						return err
					}
				}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tailLines keeps the records of the last n full lines.
func tailLines(lines []LogLine, n int) []LogLine {
	if n < 0 {
		return lines
	}
	full := 0
	for i := len(lines) - 1; i >= 0; i-- {
		if !lines[i].Partial {
			full++
			if full > n {
				return lines[i+1:]
			}
		}
	}
	return lines
}
