package git

import (
	"context"
	"fmt"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// Worktree is one worktree in the structured content of git_worktree list.
type Worktree struct {
	Path     string `json:"path"`
	Head     string `json:"head,omitempty"`
	Branch   string `json:"branch,omitempty"`
	Bare     bool   `json:"bare,omitempty"`
	Detached bool   `json:"detached,omitempty"`
	Locked   bool   `json:"locked,omitempty"`
	Prunable bool   `json:"prunable,omitempty"`
}

// parseWorktrees parses `git worktree list --porcelain -z`: attribute
// lines ended by NUL, each worktree ended by an empty line.
func parseWorktrees(out []byte) ([]Worktree, error) {
	lines, err := nulTerminated(out, "worktree attribute")
	if err != nil {
		return nil, err
	}
	trees := []Worktree{}
	var cur *Worktree
	for _, line := range lines {
		if line == "" {
			cur = nil
			continue
		}
		key, val, _ := strings.Cut(line, " ")
		if key == "worktree" {
			trees = append(trees, Worktree{Path: val})
			cur = &trees[len(trees)-1]
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("worktree attribute %q before any worktree", line)
		}
		switch key {
		case "HEAD":
			cur.Head = val
		case "branch":
			cur.Branch = strings.TrimPrefix(val, "refs/heads/")
		case "bare":
			cur.Bare = true
		case "detached":
			cur.Detached = true
		case "locked":
			cur.Locked = true
		case "prunable":
			cur.Prunable = true
		}
	}
	return trees, nil
}

type worktreeArgs struct {
	repoPath
	Mode         string `json:"mode,omitempty" desc:"Operation." schema:"default=list,enum=list|add|remove|move|prune"`
	WorktreePath string `json:"worktreePath,omitempty" desc:"The worktree's directory (add, remove, move); relative paths are relative to the repository."`
	Branch       string `json:"branch,omitempty" desc:"add: branch to check out, created if it does not exist."`
	Commitish    string `json:"commitish,omitempty" desc:"add: commit to start from."`
	Force        bool   `json:"force,omitempty" desc:"add, remove, move: override git's safety checks." schema:"default=false"`
	NewPath      string `json:"newPath,omitempty" desc:"move: the new directory."`
	Detach       bool   `json:"detach,omitempty" desc:"add: check out a detached HEAD." schema:"default=false"`
	Verbose      bool   `json:"verbose,omitempty" desc:"prune: report what is removed." schema:"default=false"`
	DryRun       bool   `json:"dryRun,omitempty" desc:"prune: only report." schema:"default=false"`
}

// worktreeDir resolves and confines a worktree path argument.
func (s *Server) worktreeDir(r *repo, what, p string) (string, error) {
	if err := checkPathspec(what, p); err != nil {
		return "", err
	}
	dir, err := s.confine(resolveAgainst(r.dir, p))
	if err != nil {
		return "", err
	}
	return dir, nil
}

// worktree runs one mode of git_worktree, each in its own handler: list
// only reads; add, remove, move and prune change work trees on disk.
func (s *Server) worktree(ctx context.Context, a worktreeArgs) (ironcurtain.Result, error) {
	return runModeInRepo(ctx, s, a.Path, a.Mode, a, nil, map[string]func(context.Context, *repo, worktreeArgs) (ironcurtain.Result, error){
		"": s.worktreeList, "list": s.worktreeList, "add": s.worktreeAdd,
		"remove": s.worktreeRemove, "move": s.worktreeMove, "prune": s.worktreePrune,
	})
}

func (s *Server) worktreeList(ctx context.Context, r *repo, _ worktreeArgs) (ironcurtain.Result, error) {
	out, err := s.mustGit(ctx, r, "worktree", "list", "--porcelain", "-z")
	if err != nil {
		return ironcurtain.Result{}, err
	}
	trees, err := parseWorktrees(out.stdout)
	if err != nil {
		return ironcurtain.Result{}, fmt.Errorf("git: %w", err)
	}
	var b strings.Builder
	for _, t := range trees {
		state := "[" + t.Branch + "]"
		switch {
		case t.Bare:
			state = "(bare)"
		case t.Detached:
			state = "(detached HEAD)"
		}
		fmt.Fprintf(&b, "%s %s %s", t.Path, short(t.Head), state)
		if t.Locked {
			b.WriteString(" locked")
		}
		if t.Prunable {
			b.WriteString(" prunable")
		}
		b.WriteString("\n")
	}
	return structuredResult(strings.TrimRight(b.String(), "\n"), map[string]any{"worktrees": trees})
}

func (s *Server) worktreeAdd(ctx context.Context, r *repo, a worktreeArgs) (ironcurtain.Result, error) {
	dir, err := s.worktreeDir(r, "worktreePath", a.WorktreePath)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if empty, err := isEmptyDir(dir); err != nil || !empty {
		return ironcurtain.Result{}, toolset.Failf("worktreePath %s exists and is not empty", a.WorktreePath)
	}
	cmd := forceFlag([]string{"worktree", "add"}, a.Force)
	var commitish string
	if a.Commitish != "" {
		if err := checkRevision("commitish", a.Commitish); err != nil {
			return ironcurtain.Result{}, err
		}
		commitish = a.Commitish
	}
	switch {
	case a.Detach:
		if a.Branch != "" {
			return ironcurtain.Result{}, toolset.Failf("detach cannot be combined with branch")
		}
		cmd = append(cmd, "--detach")
	case a.Branch != "":
		if err := checkBranchName("branch", a.Branch); err != nil {
			return ironcurtain.Result{}, err
		}
		exists, err := s.git(ctx, r, "rev-parse", "--verify", "--quiet", "--end-of-options", "refs/heads/"+a.Branch)
		if err != nil {
			return ironcurtain.Result{}, err
		}
		if exists.ok() {
			if commitish != "" {
				return ironcurtain.Result{}, toolset.Failf("branch %s already exists; leave commitish empty to check it out", a.Branch)
			}
			commitish = a.Branch
		} else {
			cmd = append(cmd, "-b", a.Branch)
		}
	}
	cmd = append(cmd, "--end-of-options", dir)
	if commitish != "" {
		cmd = append(cmd, commitish)
	}
	return s.worktreeRun(ctx, r, cmd)
}

func (s *Server) worktreeRemove(ctx context.Context, r *repo, a worktreeArgs) (ironcurtain.Result, error) {
	dir, err := s.worktreeDir(r, "worktreePath", a.WorktreePath)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return s.worktreeRun(ctx, r, append(forceFlag([]string{"worktree", "remove"}, a.Force), "--end-of-options", dir))
}

func (s *Server) worktreeMove(ctx context.Context, r *repo, a worktreeArgs) (ironcurtain.Result, error) {
	dir, err := s.worktreeDir(r, "worktreePath", a.WorktreePath)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	to, err := s.worktreeDir(r, "newPath", a.NewPath)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return s.worktreeRun(ctx, r, append(forceFlag([]string{"worktree", "move"}, a.Force), "--end-of-options", dir, to))
}

func (s *Server) worktreePrune(ctx context.Context, r *repo, a worktreeArgs) (ironcurtain.Result, error) {
	cmd := []string{"worktree", "prune"}
	cmd = append(cmd, boolFlag(a.DryRun, "--dry-run")...)
	if a.Verbose || a.DryRun {
		cmd = append(cmd, "--verbose")
	}
	return s.worktreeRun(ctx, r, cmd)
}

// worktreeRun runs a worktree command that changes work trees and reports
// what git said.
func (s *Server) worktreeRun(ctx context.Context, r *repo, cmd []string) (ironcurtain.Result, error) {
	out, err := s.mustGit(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	text := strings.TrimSpace(s.clean(out.stdout) + "\n" + s.clean(out.stderr))
	if text == "" {
		text = "Done."
	}
	return textResult(text), nil
}
