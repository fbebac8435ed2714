package git

import (
	"context"
	"maps"
	"path/filepath"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
)

// Tools whose "path" is not a repository defaulting to the working
// directory.
var (
	noPathTools      = map[string]bool{"git_clear_working_dir": true, "git_wrapup_instructions": true}
	requiredPathTool = map[string]bool{"git_clone": true, "git_set_working_dir": true}
)

// PrepareCall makes the implicit directories of a call explicit, so that
// the policy judges what the tool will act on: an absent, "" or "." path
// becomes the session's absolute working directory; a relative path
// (including git_clone's destination and git_set_working_dir's target) is
// resolved against it; git_worktree's worktreePath and newPath are
// resolved against the repository path, as git would. Paths are made
// absolute and resolved as the kernel resolves them (internal/realpath:
// ".." after the symbolic links before it, never lexically first), as
// the policy resolves them; the tools resolve them again when they run
// and check the result against the roots. call.Arguments is never modified; a changed call gets a new map.
//
// PrepareCall fails, denying the call, when a path must be resolved and
// the session has no working directory.
func (s *Server) PrepareCall(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.ToolCall, error) {
	if !s.known[call.Tool] || noPathTools[call.Tool] {
		return call, nil
	}
	args := maps.Clone(call.Arguments)
	if args == nil {
		args = map[string]any{}
	}
	changed := false
	raw, present := args["path"]
	p, isString := raw.(string)
	if raw == nil || isString {
		if !present && requiredPathTool[call.Tool] {
			return call, nil // the tool reports the missing argument
		}
		abs, err := s.absPath(call.Session, p)
		if err != nil {
			return call, err
		}
		abs = resolved(abs)
		if !present || abs != p {
			args["path"], changed = abs, true
		}
		if call.Tool == "git_worktree" {
			for _, k := range []string{"worktreePath", "newPath"} {
				if v, ok := args[k].(string); ok && v != "" {
					if w := resolved(resolveAgainst(abs, v)); w != v {
						args[k], changed = w, true
					}
				}
			}
		}
	}
	if changed {
		call.Arguments = args
	}
	return call, nil
}

// absPath resolves a path argument: "" and "." mean the session's working
// directory, a relative path is relative to it. The result is absolute
// and otherwise as written: ".." is not applied lexically, since after a
// symbolic link it names something else; [canonical] resolves it.
func (s *Server) absPath(session, p string) (string, error) {
	if filepath.IsAbs(p) {
		return p, nil
	}
	wd, err := s.workingDir(session)
	if err != nil {
		return "", err
	}
	return resolveAgainst(wd, p), nil
}

// resolved returns the canonical form of the absolute path p, or p when
// it cannot be resolved (the policy and the tool refuse it then).
func resolved(p string) string {
	if c, err := canonical(p); err == nil {
		return c
	}
	return p
}

// resolveAgainst makes p absolute relative to dir, without cleaning it
// (see absPath).
func resolveAgainst(dir, p string) string {
	switch {
	case filepath.IsAbs(p):
		return p
	case p == "" || p == ".":
		return dir
	case strings.HasPrefix(p, "./"):
		p = strings.TrimLeft(p[2:], "/")
	}
	return strings.TrimSuffix(dir, "/") + "/" + p
}
