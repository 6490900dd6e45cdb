package engine

// Images is the image part of the engine (issue #2).
type Images interface {
}
