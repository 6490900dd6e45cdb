package pod

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/selkie-containers/selkie/cli/command"
	"github.com/selkie-containers/selkie/engine"
	"github.com/selkie-containers/selkie/internal/timearg"
	"github.com/spf13/cobra"
)

func newLogsCommand(g *command.Globals) *cobra.Command {
	var o engine.ContainerLogsOptions
	var ctr, since, until string
	var latest, color bool
	cmd := &cobra.Command{
		Use:   "logs [options] POD",
		Short: "Fetch logs for pod with one or more containers",
		Long:  "Displays logs for pod with one or more containers.",
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 0 && !latest:
				return errors.New("specify at least one pod name or ID to log")
			case len(args) > 1 || (latest && len(args) > 0):
				return errors.New("requires exactly 1 arg")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now()
			for _, s := range []struct {
				flag, v string
				t       *time.Time
			}{{"since", since, &o.Since}, {"until", until, &o.Until}} {
				if s.v == "" {
					continue
				}
				t, ok := timearg.Parse(s.v, now)
				if !ok {
					return fmt.Errorf("parsing --%s %q: unable to interpret time value: %w", s.flag, s.v, engine.ErrInvalidArg)
				}
				*s.t = t
			}
			eng, err := g.Engine()
			if err != nil {
				return err
			}
			if latest {
				ids, err := podArgs(cmd, g, nil, false, true, nil)
				if err != nil {
					return err
				}
				args = ids
			}
			in, ctrs, err := members(cmd.Context(), eng, args[0], false, false)
			if err != nil {
				return err
			}
			// As Podman: lines carry the container's short ID (--names:
			// its name) when the pod has several containers (infra
			// included) and -c did not pick one.
			multi := ctr == "" && len(in.Containers) > 1
			var srcs []logSource
			seen := map[string]bool{}
			n := 0
			source := func(c engine.PodInspectContainer, multi bool) logSource {
				seen[c.ID] = true
				s := logSource{id: c.ID}
				if color {
					s.color = logColor(n)
				}
				n++
				if multi {
					s.prefix = short(c.ID, false) + " "
					if o.Names {
						s.prefix = c.Name + " "
					}
				}
				return s
			}
			for _, c := range ctrs {
				if ctr != "" && c.Name != ctr && c.ID != ctr && (len(ctr) < 3 || !strings.HasPrefix(c.ID, ctr)) {
					continue
				}
				srcs = append(srcs, source(c, multi))
			}
			if ctr != "" && len(srcs) == 0 {
				return fmt.Errorf("container %s is not in pod %s: %w", ctr, args[0], engine.ErrNoSuchContainer)
			}
			var discover func(context.Context) []logSource
			if o.Follow && ctr == "" {
				// Members that join the pod while it is followed are
				// followed too, from their first line.
				pod := in.ID
				discover = func(ctx context.Context) []logSource {
					now, cs, err := members(ctx, eng, pod, false, false)
					if err != nil {
						return nil
					}
					var out []logSource
					for _, c := range cs {
						if !seen[c.ID] {
							out = append(out, source(c, len(now.Containers) > 1))
						}
					}
					return out
				}
			}
			return mergeLogs(cmd.Context(), eng, srcs, discover, o, g.Stdout, g.Stderr)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&ctr, "container", "c", "", "Filter logs by container name or id which belongs to pod")
	f.BoolVarP(&o.Follow, "follow", "f", false, "Follow log output.")
	f.StringVar(&since, "since", "", "Show logs since TIMESTAMP")
	f.StringVar(&until, "until", "", "Show logs until TIMESTAMP")
	f.IntVar(&o.Tail, "tail", -1, "Output the specified number of LINES at the end of the logs.")
	f.BoolVarP(&o.Timestamps, "timestamps", "t", false, "Output the timestamps in the log")
	f.BoolVarP(&o.Names, "names", "n", false, "Output container names instead of container IDs in the log")
	f.BoolVarP(&latest, "latest", "l", false, "Act on the latest pod podman is aware of")
	f.BoolVar(&color, "color", false, "Output the containers within a pod with different colors in the log")
	return cmd
}

// logSource is one member whose log is merged, with its line prefix and
// (--color) the ANSI color of its lines.
type logSource struct {
	id, prefix, color string
}

// logColor is Podman's --color color of the i-th container.
func logColor(i int) string {
	colors := [...]string{"\033[37m", "\033[31m", "\033[33m", "\033[34m", "\033[35m", "\033[36m", "\033[32m"}
	return colors[i%len(colors)]
}

// logLine is one complete line of a member's log.
type logLine struct {
	t      time.Time
	ts     string // the timestamp as the engine wrote it
	msg    string // the rest, newline included when the log had one
	prefix string
	color  string
	stderr bool
	seq    int // arrival order: keeps one member's equal-time lines in order
	recv   time.Time
}

// Hold times of the follow merge: lines wait until the members have been
// quiet for mergeQuiet (a burst, such as the logs so far, is sorted as a
// whole), and never longer than mergeMax.
const (
	mergeQuiet = 150 * time.Millisecond
	mergeMax   = time.Second
	// discoverEvery is how often a follow looks for new members.
	discoverEvery = 500 * time.Millisecond
)

// mergeLogs reads the members' logs at once (each with timestamps, so the
// lines can be ordered) and writes them interleaved by time, each with its
// member's prefix, the timestamp kept only when o.Timestamps. Without
// o.Follow everything is read, then sorted; with it, lines are released in
// time order after a short hold, until every member's log ends or ctx is
// cancelled.
//
// discover, when set, is asked now and then (while following) for members
// that joined since; their logs are followed from the start.
func mergeLogs(ctx context.Context, eng engine.Engine, srcs []logSource, discover func(context.Context) []logSource, o engine.ContainerLogsOptions, stdout, stderr io.Writer) error {
	if len(srcs) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines := make(chan logLine, 256)
	errs := make(chan error, 16)
	var seqMu sync.Mutex
	seq := 0
	start := func(s logSource, o engine.ContainerLogsOptions) {
		go func() {
			send := func(l logLine) {
				seqMu.Lock()
				l.seq = seq
				seq++
				seqMu.Unlock()
				l.prefix, l.color, l.recv = s.prefix, s.color, time.Now()
				select {
				case lines <- l:
				case <-ctx.Done():
				}
			}
			out, errOut := &lineSplitter{emit: send}, &lineSplitter{emit: send, stderr: true}
			lo := o
			lo.Timestamps, lo.Names = true, false
			lo.Stdout, lo.Stderr = out, errOut
			err := eng.ContainerLogs(ctx, s.id, lo)
			out.flush()
			errOut.flush()
			select {
			case errs <- err:
			case <-ctx.Done():
			}
		}()
	}
	for _, s := range srcs {
		start(s, o)
	}
	var pending []logLine
	flush := func() error {
		sort.SliceStable(pending, func(i, j int) bool {
			if !pending[i].t.Equal(pending[j].t) {
				return pending[i].t.Before(pending[j].t)
			}
			return pending[i].seq < pending[j].seq
		})
		for _, l := range pending {
			w := stdout
			if l.stderr {
				w = stderr
			}
			text := l.prefix
			if o.Timestamps {
				text += l.ts + " "
			}
			text += l.msg
			if l.color != "" {
				// As Podman: the whole line in the color, reset before the newline.
				msg, nl := strings.CutSuffix(text, "\n")
				text = l.color + msg + "\033[0m"
				if nl {
					text += "\n"
				}
			}
			if _, err := io.WriteString(w, text); err != nil {
				return err
			}
		}
		pending = pending[:0]
		return nil
	}
	var firstErr error
	running := len(srcs)
	var tick <-chan time.Time
	if o.Follow {
		t := time.NewTicker(mergeQuiet / 3)
		defer t.Stop()
		tick = t.C
	}
	var poll <-chan time.Time
	if o.Follow && discover != nil {
		t := time.NewTicker(discoverEvery)
		defer t.Stop()
		poll = t.C
	}
	var last time.Time
	for running > 0 {
		select {
		case <-poll:
			for _, s := range discover(ctx) {
				lo := o
				lo.Tail = -1 // a new member: all of it
				start(s, lo)
				running++
			}
		case l := <-lines:
			pending = append(pending, l)
			last = l.recv
		case err := <-errs:
			running--
			if err != nil && firstErr == nil && !errors.Is(err, context.Canceled) {
				firstErr = err
			}
		case <-tick:
			if len(pending) > 0 && (time.Since(last) >= mergeQuiet || time.Since(pending[0].recv) >= mergeMax) {
				if err := flush(); err != nil {
					return err
				}
			}
		case <-ctx.Done():
			if err := flush(); err != nil {
				return err
			}
			return nil
		}
	}
	// Every reader has returned: what is still queued was sent before.
	for {
		select {
		case l := <-lines:
			pending = append(pending, l)
			continue
		default:
		}
		break
	}
	if err := flush(); err != nil {
		return err
	}
	return firstErr
}

// lineSplitter turns a member's "TIMESTAMP message" output (written in
// arbitrary chunks) into lines.
type lineSplitter struct {
	buf    []byte
	stderr bool
	emit   func(logLine)
}

func (s *lineSplitter) Write(b []byte) (int, error) {
	s.buf = append(s.buf, b...)
	for {
		i := bytes.IndexByte(s.buf, '\n')
		if i < 0 {
			break
		}
		s.line(string(s.buf[:i+1]))
		s.buf = s.buf[i+1:]
	}
	return len(b), nil
}

// flush emits a last line that had no newline.
func (s *lineSplitter) flush() {
	if len(s.buf) > 0 {
		s.line(string(s.buf))
		s.buf = nil
	}
}

func (s *lineSplitter) line(text string) {
	l := logLine{stderr: s.stderr, msg: text}
	if ts, msg, ok := strings.Cut(text, " "); ok {
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			l.t, l.ts, l.msg = t, ts, msg
		}
	}
	s.emit(l)
}
