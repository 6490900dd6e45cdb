package local

import (
	"context"
	"io"

	"github.com/selkie-containers/selkie/engine"
)

// Image methods not written yet (issue #2); each moves to its own file.

func (e *Engine) ImagePull(ctx context.Context, ref string, o engine.ImagePullOptions, progress io.Writer) (engine.ImagePullReport, error) {
	return engine.ImagePullReport{}, notImplemented("pull")
}
func (e *Engine) ImagePush(ctx context.Context, source, destination string, o engine.ImagePushOptions, progress io.Writer) error {
	return notImplemented("push")
}
func (e *Engine) ImageList(ctx context.Context, o engine.ImageListOptions) ([]engine.ImageSummary, error) {
	return nil, notImplemented("images")
}
func (e *Engine) ImageInspect(ctx context.Context, nameOrID string) (*engine.ImageInspect, error) {
	return nil, notImplemented("image inspect")
}
func (e *Engine) ImageExists(ctx context.Context, nameOrID string) (bool, error) {
	return false, notImplemented("image exists")
}
func (e *Engine) ImageRemove(ctx context.Context, nameOrID string, o engine.ImageRemoveOptions) (engine.ImageRemoveReport, error) {
	return engine.ImageRemoveReport{}, notImplemented("rmi")
}
func (e *Engine) ImageTag(ctx context.Context, nameOrID, newName string) error {
	return notImplemented("tag")
}
func (e *Engine) ImageUntag(ctx context.Context, nameOrID, name string) error {
	return notImplemented("untag")
}
func (e *Engine) ImagePrune(ctx context.Context, o engine.ImagePruneOptions) ([]engine.ImagePruneReport, error) {
	return nil, notImplemented("image prune")
}
func (e *Engine) ImageHistory(ctx context.Context, nameOrID string) ([]engine.ImageHistoryEntry, error) {
	return nil, notImplemented("history")
}
func (e *Engine) ImageSave(ctx context.Context, names []string, o engine.ImageSaveOptions, w io.Writer) error {
	return notImplemented("save")
}
func (e *Engine) ImageLoad(ctx context.Context, r io.Reader, o engine.ImageLoadOptions, progress io.Writer) (engine.ImageLoadReport, error) {
	return engine.ImageLoadReport{}, notImplemented("load")
}
func (e *Engine) ImageImport(ctx context.Context, r io.Reader, o engine.ImageImportOptions, progress io.Writer) (string, error) {
	return "", notImplemented("import")
}
func (e *Engine) Login(ctx context.Context, registry string, o engine.LoginOptions) error {
	return notImplemented("login")
}
func (e *Engine) Logout(ctx context.Context, registry string, o engine.LogoutOptions) error {
	return notImplemented("logout")
}
