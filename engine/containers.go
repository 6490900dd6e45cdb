package engine

// Containers is the container part of the engine (issue #3).
type Containers interface {
}
