package fs

import (
	"context"
	"encoding/json"

	"github.com/ironcurtain-go/ironcurtain"
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
	top := &treeNode{Children: []*treeNode{}}
	dirs := map[string]*treeNode{"": top} // by path relative to the start
	res, err := s.walkBeneath(ctx, "list", a.Path, a.ExcludePatterns, func(_, rel string, e entry) {
		n := &treeNode{Name: e.name, Type: "file"}
		if e.info.IsDir() {
			n.Type, n.Children = "directory", []*treeNode{}
			dirs[rel] = n
		}
		parent := dirs[parentOf(rel)]
		parent.Children = append(parent.Children, n)
	})
	if res != nil {
		return *res, err
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
