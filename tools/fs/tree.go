package fs

import (
	"context"
	"encoding/json"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

type treeArgs struct {
	pathArgs
	excludeArgs
}

// treeNode is one entry of directory_tree's JSON. A directory always has
// children, empty or not; anything else (a symbolic link included, which
// is never followed) is a "file" without.
type treeNode struct {
	Name     string      `json:"name"`
	Type     string      `json:"type"`
	Children []*treeNode `json:"children,omitzero"`
}

// directoryTree returns the tree beneath a directory as compact JSON:
// [{"name":"src","type":"directory","children":[...]}, ...]. An excluded
// entry is left out with everything beneath it.
func (s *Server) directoryTree(ctx context.Context, a treeArgs) (ironcurtain.Result, error) {
	exclude, err := compileGlobs(a.ExcludePatterns)
	if err != nil {
		return ironcurtain.Result{}, toolset.Failf("excludePatterns: %v", err)
	}
	t, err := resolve(s.snapshot(), a.Path)
	if err != nil {
		return fail("list", a.Path, err), nil
	}
	d, err := openDir(t)
	if err != nil {
		return fail("list", a.Path, err), nil
	}
	defer d.Close()

	top := &treeNode{Children: []*treeNode{}}
	dirs := map[string]*treeNode{"": top} // by path relative to the start
	w := walker{ctx: ctx, max: s.lim.maxEntries}
	err = w.walk(d, "", 0, func(rel string, e entry) bool {
		if exclude.match(rel, e.name) {
			return false
		}
		n := &treeNode{Name: e.name, Type: "file"}
		if e.info.IsDir() {
			n.Type, n.Children = "directory", []*treeNode{}
			dirs[rel] = n
		}
		parent := dirs[parentOf(rel)]
		parent.Children = append(parent.Children, n)
		return true
	})
	if err != nil {
		return failCall(ctx, "list", a.Path, err)
	}
	raw, err := json.Marshal(top.Children)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return ironcurtain.TextResult(string(raw)), nil
}

// parentOf returns the slash-separated parent of rel, "" at the top.
func parentOf(rel string) string {
	for i := len(rel) - 1; i >= 0; i-- {
		if rel[i] == '/' {
			return rel[:i]
		}
	}
	return ""
}
