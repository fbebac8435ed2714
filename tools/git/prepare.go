package git

import (
	"context"
	"maps"
	"path/filepath"

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
// absolute and cleaned, not resolved through symbolic links — the policy
// does that, and the tools check the resolved path against the roots
// again. call.Arguments is never modified; a changed call gets a new map.
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
		if !present || abs != p {
			args["path"], changed = abs, true
		}
		if call.Tool == "git_worktree" {
			for _, k := range []string{"worktreePath", "newPath"} {
				if v, ok := args[k].(string); ok && v != "" {
					if w := resolveAgainst(abs, v); w != v {
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
// and cleaned.
func (s *Server) absPath(session, p string) (string, error) {
	if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	wd, err := s.workingDir(session)
	if err != nil {
		return "", err
	}
	return resolveAgainst(wd, p), nil
}

// resolveAgainst makes p absolute relative to dir.
func resolveAgainst(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}
