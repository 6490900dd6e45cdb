package local

import (
	"context"
	"fmt"
	"io"

	"github.com/selkie-containers/selkie/engine"
)

// Methods below are not written yet. Each returns an error wrapping
// engine.ErrNotImplemented; a method is deleted from this file when its real
// implementation lands in its own file.

func notImplemented(what string) error {
	return fmt.Errorf("%s: %w", what, engine.ErrNotImplemented)
}

func (e *Engine) ContainerPause(ctx context.Context, nameOrID string) error {
	return notImplemented("pause")
}
func (e *Engine) ContainerUnpause(ctx context.Context, nameOrID string) error {
	return notImplemented("unpause")
}
func (e *Engine) ContainerTop(ctx context.Context, nameOrID string, descriptors []string) ([][]string, error) {
	return nil, notImplemented("top")
}
func (e *Engine) ContainerStats(ctx context.Context, nameOrID string) (*engine.ContainerStats, error) {
	return nil, notImplemented("stats")
}
func (e *Engine) ContainerUpdate(ctx context.Context, nameOrID string, o engine.ContainerUpdateOptions) error {
	return notImplemented("update")
}
func (e *Engine) ContainerMount(ctx context.Context, nameOrID string) (string, error) {
	return "", notImplemented("mount")
}
func (e *Engine) ContainerUnmount(ctx context.Context, nameOrID string, force bool) error {
	return notImplemented("unmount")
}
func (e *Engine) ContainerChanges(ctx context.Context, nameOrID string) ([]engine.FileChange, error) {
	return nil, notImplemented("diff")
}
func (e *Engine) ContainerExport(ctx context.Context, nameOrID string, w io.Writer) error {
	return notImplemented("export")
}
func (e *Engine) ContainerCommit(ctx context.Context, nameOrID string, o engine.ContainerCommitOptions) (string, error) {
	return "", notImplemented("commit")
}
func (e *Engine) ExecCreate(ctx context.Context, nameOrID string, o engine.ExecCreateOptions) (string, error) {
	return "", notImplemented("exec")
}
func (e *Engine) ExecStart(ctx context.Context, execID string, o engine.ExecStartOptions) (int, error) {
	return 0, notImplemented("exec")
}
func (e *Engine) ExecInspect(ctx context.Context, execID string) (*engine.ExecInspect, error) {
	return nil, notImplemented("exec inspect")
}
func (e *Engine) ExecResize(ctx context.Context, execID string, size engine.TerminalSize) error {
	return notImplemented("exec resize")
}
