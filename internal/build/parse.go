// Package build is the Containerfile side of `selkie build`: parsing (with
// buildkit's parser), ARG/ENV scoping and expansion, the build context
// (.containerignore, confined sources, content digests) and COPY/ADD into a
// rootfs. The engine (local/build*.go) drives stages, RUN and commits.
package build

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// File is a parsed Containerfile.
type File struct {
	Stages   []instructions.Stage
	MetaArgs []instructions.ArgCommand
	Escape   rune
	Warnings []string
}

// Parse parses a Containerfile. Errors name the line.
func Parse(data []byte) (*File, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	stages, meta, err := instructions.Parse(res.AST, nil)
	if err != nil {
		var unk *instructions.UnknownInstructionError
		if errors.As(err, &unk) {
			return nil, fmt.Errorf("dockerfile parse error on line %d: unknown instruction: %s", unk.Line, strings.ToUpper(unk.Instruction))
		}
		return nil, err
	}
	if len(stages) == 0 {
		return nil, errors.New("no FROM statement found")
	}
	f := &File{Stages: stages, MetaArgs: meta, Escape: res.EscapeToken}
	for _, w := range res.Warnings {
		f.Warnings = append(f.Warnings, w.Short)
	}
	return f, nil
}

// Lexer expands $VAR words the way the Dockerfile frontend does. It is
// safe for concurrent use (stages built at once): each expander has its
// own shell.Lex, which keeps state while processing a word.
type Lexer struct{ escape rune }

// NewLexer returns a lexer for the file's escape token.
func NewLexer(escape rune) *Lexer {
	if escape == 0 {
		escape = '\\'
	}
	return &Lexer{escape: escape}
}

// Expander returns a word expander over env (KEY=VALUE, later entries win);
// one expander is for one goroutine.
func (l *Lexer) Expander(env []string) instructions.SingleWordExpander {
	getter := shell.EnvsFromSlice(dedupEnv(env))
	lex := shell.NewLex(l.escape)
	return func(word string) (string, error) {
		s, _, err := lex.ProcessWord(word, getter)
		return s, err
	}
}

// Expand expands the instruction's words in place.
func (l *Lexer) Expand(cmd instructions.Command, env []string) error {
	ex := l.Expander(env)
	if e, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
		if err := e.Expand(ex); err != nil {
			return err
		}
	}
	if e, ok := cmd.(instructions.SupportsSingleWordExpansionRaw); ok {
		if err := e.ExpandRaw(ex); err != nil {
			return err
		}
	}
	return nil
}

func dedupEnv(env []string) []string {
	idx := map[string]int{}
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			out[i] = kv
			continue
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// SetEnv sets key in a KEY=VALUE list.
func SetEnv(env []string, key, value string) []string {
	for i, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			out := append([]string{}, env...)
			out[i] = key + "=" + value
			return out
		}
	}
	return append(append([]string{}, env...), key+"="+value)
}

// LookupEnv finds key in a KEY=VALUE list.
func LookupEnv(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// ParseTrigger parses one ONBUILD trigger as an instruction.
func ParseTrigger(trigger string) (instructions.Command, error) {
	res, err := parser.Parse(strings.NewReader(trigger))
	if err != nil {
		return nil, err
	}
	if len(res.AST.Children) != 1 {
		return nil, fmt.Errorf("invalid ONBUILD trigger %q", trigger)
	}
	cmd, err := instructions.ParseCommand(res.AST.Children[0])
	if err != nil {
		return nil, fmt.Errorf("ONBUILD trigger %q: %w", trigger, err)
	}
	switch strings.ToUpper(cmd.Name()) {
	case "ONBUILD", "FROM", "MAINTAINER":
		return nil, fmt.Errorf("%s isn't allowed as an ONBUILD trigger", strings.ToUpper(cmd.Name()))
	}
	return cmd, nil
}
