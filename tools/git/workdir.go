package git

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

type setWorkingDirArgs struct {
	Path                   string `json:"path" desc:"Directory to work in; relative paths are resolved against the current working directory."`
	ValidateGitRepo        *bool  `json:"validateGitRepo,omitempty" desc:"Require the directory to be in a git repository." schema:"default=true"`
	InitializeIfNotPresent bool   `json:"initializeIfNotPresent,omitempty" desc:"Run git init there if it is not a repository yet." schema:"default=false"`
}

func (s *Server) setWorkingDir(ctx context.Context, a setWorkingDirArgs) (ironcurtain.Result, error) {
	if a.Path == "" {
		return ironcurtain.Result{}, toolset.Failf("path is required")
	}
	session := sessionOf(ctx)
	abs, err := s.absPath(session, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	dir, err := s.confine(abs)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	validate := a.ValidateGitRepo == nil || *a.ValidateGitRepo
	var r *repo
	if isDir(dir) && (validate || a.InitializeIfNotPresent) {
		r, err = s.openRepo(ctx, dir)
		if err != nil && !a.InitializeIfNotPresent {
			return ironcurtain.Result{}, err
		}
	}
	initialized := false
	if r == nil && a.InitializeIfNotPresent {
		if _, err := s.initRepo(ctx, dir, "", false); err != nil {
			return ironcurtain.Result{}, err
		}
		initialized = true
		if dir, err = s.confine(abs); err != nil {
			return ironcurtain.Result{}, err
		}
	} else if !isDir(dir) {
		return ironcurtain.Result{}, toolset.Failf("there is no directory at %s", abs)
	}
	s.rememberDir(session, dir)
	text := "Working directory set to " + dir + "."
	if initialized {
		text = "Initialized a git repository in " + dir + " and made it the working directory."
	}
	return structuredResult(text, map[string]any{"path": dir, "initialized": initialized})
}

type clearWorkingDirArgs struct {
	Confirm string `json:"confirm" desc:"Confirms the reset." schema:"enum=Y|y|Yes|yes"`
}

func (s *Server) clearWorkingDir(ctx context.Context, a clearWorkingDirArgs) (ironcurtain.Result, error) {
	switch a.Confirm {
	case "Y", "y", "Yes", "yes":
	default:
		return ironcurtain.Result{}, toolset.Failf(`confirm must be "Y", "y", "Yes" or "yes"`)
	}
	s.forgetDir(sessionOf(ctx))
	if s.cfg.defaultDir == "" {
		return textResult("Working directory cleared. There is no default directory: pass absolute paths or set one again."), nil
	}
	return textResult("Working directory cleared; \".\" now means " + s.cfg.defaultDir + "."), nil
}

type initArgs struct {
	repoPath
	InitialBranch string `json:"initialBranch,omitempty" desc:"Name of the first branch (default \"main\")."`
	Bare          bool   `json:"bare,omitempty" desc:"Create a bare repository (no work tree)." schema:"default=false"`
}

func (s *Server) initialize(ctx context.Context, a initArgs) (ironcurtain.Result, error) {
	_, dir, err := s.confineArg(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	out, err := s.initRepo(ctx, dir, a.InitialBranch, a.Bare)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return textResult(orNone(s.clean(out.stdout))), nil
}

// initRepo runs git init on a confined directory, from the server's own
// home so that no surrounding repository is consulted.
func (s *Server) initRepo(ctx context.Context, dir, branch string, bare bool) (output, error) {
	cmd := []string{"init"}
	if bare {
		cmd = append(cmd, "--bare")
	}
	if branch != "" {
		if err := checkBranchName("initialBranch", branch); err != nil {
			return output{}, err
		}
		cmd = append(cmd, "--initial-branch="+branch)
	}
	// git init in a directory that has a .git reinitialises the repository
	// it names, wherever that is: only one that opens, every location of
	// it inside the root, may be reinitialised.
	if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
		if _, err := s.openRepo(ctx, dir); err != nil {
			return output{}, err
		}
	}
	cmd = append(cmd, "--end-of-options", dir)
	out, err := s.exec(ctx, invocation{dir: s.home, ceiling: s.base, args: cmd})
	if err != nil {
		return output{}, err
	}
	if !out.ok() {
		return output{}, s.gitFailed(cmd, out)
	}
	return out, nil
}

type wrapupArgs struct {
	Acknowledgement string `json:"acknowledgement" desc:"Confirms you will follow the checklist." schema:"enum=Y|y|Yes|yes"`
	CreateTag       *bool  `json:"createTag,omitempty" desc:"Include a step for tagging the result."`
}

func (s *Server) wrapup(_ context.Context, a wrapupArgs) (ironcurtain.Result, error) {
	switch a.Acknowledgement {
	case "Y", "y", "Yes", "yes":
	default:
		return ironcurtain.Result{}, toolset.Failf(`acknowledgement must be "Y", "y", "Yes" or "yes"`)
	}
	steps := []string{
		"Look at what changed: git_status for the overview, then git_diff (and git_diff with staged=true) for the detail. Every change should belong to the task.",
		"Remove what does not belong: debugging output, commented-out code, stray files. git_clean with dryRun=true shows untracked files.",
		"Check the work: build it and run its tests before recording it.",
		"Stage deliberately with git_add, naming the files, rather than everything at once.",
		"Commit with git_commit. The first line says what changed in under 72 characters; the body says why, and anything a reviewer must know.",
		"Confirm with git_log (maxCount=3) and git_status that the commit holds what you meant and the tree is clean.",
	}
	if a.CreateTag != nil && *a.CreateTag {
		steps = append(steps, "Tag the result with git_tag (mode=create, annotated=true) using the project's version scheme; list existing tags first with git_tag mode=list.")
	}
	steps = append(steps, "Push only if the task asks for it (git_push); report what you did and anything left undone.")
	var b strings.Builder
	b.WriteString("Wrap-up checklist:\n")
	for i, st := range steps {
		fmt.Fprintf(&b, "%d. %s\n", i+1, st)
	}
	return textResult(strings.TrimRight(b.String(), "\n")), nil
}
