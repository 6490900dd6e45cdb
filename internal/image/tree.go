package image

import (
	"fmt"
	"strings"

	"github.com/docker/go-units"
	"go.podman.io/image/v5/docker/reference"
	cstorage "go.podman.io/storage"
)

// Tree renders an image's layers as Podman 4.3.1's `image tree`: a header
// (ID, tags, size), then its layers base first; whatRequires shows the
// image's top layer and every layer (and image) built on it instead.
func (m *Manager) Tree(nameOrID string, whatRequires bool) (string, error) {
	img, err := m.Lookup(nameOrID)
	if err != nil {
		return "", err
	}
	size, err := m.store.ImageSize(img.ID)
	if err != nil {
		return "", err
	}
	layers, err := m.store.Layers()
	if err != nil {
		return "", err
	}
	images, err := m.store.Images()
	if err != nil {
		return "", err
	}
	t := layerTree{byID: map[string]*cstorage.Layer{}, children: map[string][]string{}, tops: map[string][]string{}}
	for i := range layers {
		l := &layers[i]
		t.byID[l.ID] = l
		if l.Parent != "" {
			t.children[l.Parent] = append(t.children[l.Parent], l.ID)
		}
	}
	for _, im := range images {
		for _, tag := range taggedNames(im.Names) {
			if !contains(t.tops[im.TopLayer], tag) {
				t.tops[im.TopLayer] = append(t.tops[im.TopLayer], tag)
			}
		}
	}
	head := fmt.Sprintf("Image ID: %s\nTags:     %s\nSize:     %v\n", img.ID[:12], taggedNames(img.Names), units.HumanSizeWithPrecision(float64(size), 4))
	if img.TopLayer != "" {
		head += "Image Layers"
	} else {
		head += "No Image Layers"
	}
	root := &treeNode{text: head}
	switch {
	case img.TopLayer == "":
	case whatRequires:
		t.addChildren(root, img.TopLayer)
	default:
		var chain []string
		for id := img.TopLayer; id != ""; {
			l, ok := t.byID[id]
			if !ok {
				break
			}
			chain = append(chain, t.label(l))
			id = l.Parent
		}
		for i := len(chain) - 1; i >= 0; i-- { // base layer first, as Podman
			root.add(chain[i])
		}
	}
	return root.print(), nil
}

type layerTree struct {
	byID     map[string]*cstorage.Layer
	children map[string][]string // layer ID -> child layer IDs, in store order
	tops     map[string][]string // layer ID -> tags of the images it tops
}

func (t *layerTree) label(l *cstorage.Layer) string {
	s := fmt.Sprintf("ID: %s Size: %7v", l.ID[:12], units.HumanSizeWithPrecision(float64(l.UncompressedSize), 4))
	if tags := t.tops[l.ID]; len(tags) > 0 {
		s += fmt.Sprintf(" Top Layer of: %s", tags)
	}
	return s
}

// addChildren adds layer id under parent and its descendants below it; a
// layer with at most one child continues at the same level (Podman's
// --whatrequires).
func (t *layerTree) addChildren(parent *treeNode, id string) {
	l, ok := t.byID[id]
	if !ok {
		return
	}
	node := parent.add(t.label(l))
	if len(t.children[id]) <= 1 {
		node = parent
	}
	for _, c := range t.children[id] {
		t.addChildren(node, c)
	}
}

// taggedNames are the names that carry a tag (libimage's RepoTags; never nil).
func taggedNames(names []string) []string {
	tags := []string{}
	for _, n := range names {
		ref, err := reference.Parse(n)
		if err != nil {
			continue
		}
		if _, ok := ref.(reference.NamedTagged); ok {
			tags = append(tags, ref.String())
		}
	}
	return tags
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// treeNode prints as github.com/disiqueira/gotree, which Podman uses.
type treeNode struct {
	text  string
	items []*treeNode
}

func (n *treeNode) add(text string) *treeNode {
	c := &treeNode{text: text}
	n.items = append(n.items, c)
	return c
}

func (n *treeNode) print() string {
	var b strings.Builder
	b.WriteString(n.text + "\n")
	printItems(&b, n.items, "")
	return b.String()
}

func printItems(b *strings.Builder, items []*treeNode, prefix string) {
	for i, it := range items {
		last := i == len(items)-1
		ind, cont := "├── ", "│   "
		if last {
			ind, cont = "└── ", "    "
		}
		for j, line := range strings.Split(it.text, "\n") {
			if j == 0 {
				b.WriteString(prefix + ind + line + "\n")
			} else {
				b.WriteString(prefix + cont + line + "\n")
			}
		}
		printItems(b, it.items, prefix+cont)
	}
}
