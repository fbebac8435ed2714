package git

import (
	"context"
	"fmt"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

type checkoutArgs struct {
	repoPath
	Target       string   `json:"target" desc:"Branch, tag or commit to switch to; the new branch's name with createBranch; the source of the files with paths."`
	CreateBranch bool     `json:"createBranch,omitempty" desc:"Create target as a new branch." schema:"default=false"`
	Force        bool     `json:"force,omitempty" desc:"Discard local changes that would be overwritten." schema:"default=false"`
	Paths        []string `json:"paths,omitempty" desc:"Restore only these files from target."`
	Track        *bool    `json:"track,omitempty" desc:"Set (true) or do not set (false) the upstream of a branch created from a remote-tracking branch."`
}

func (s *Server) checkout(ctx context.Context, a checkoutArgs) (ironcurtain.Result, error) {
	paths, err := pathspecs("paths", a.Paths)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	// git 2.39's checkout does not honour --end-of-options, so target is
	// kept from looking like an option by the leading-dash check and from
	// looking like a path by the "--" after it.
	cmd := []string{"checkout"}
	cmd = append(cmd, boolFlag(a.Force, "--force")...)
	if a.Track != nil {
		if *a.Track {
			cmd = append(cmd, "--track")
		} else {
			cmd = append(cmd, "--no-track")
		}
	}
	switch {
	case a.CreateBranch:
		if len(paths) > 0 {
			return ironcurtain.Result{}, toolset.Failf("createBranch cannot be combined with paths")
		}
		if err := checkBranchName("target", a.Target); err != nil {
			return ironcurtain.Result{}, err
		}
		cmd = append(cmd, "-b", a.Target)
	default:
		if err := checkRevision("target", a.Target); err != nil {
			return ironcurtain.Result{}, err
		}
		cmd = append(append(cmd, a.Target, "--"), paths...)
	}
	r, err := s.openWorkRepo(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	// A new branch, or a target that is no local branch (git may create
	// one tracking a remote branch of that name), can write the branch's
	// upstream into the configuration.
	if a.CreateBranch || a.Track != nil {
		r.writesConfig = true
	} else if len(paths) == 0 {
		local, err := s.git(ctx, r, "rev-parse", "--verify", "--quiet", "--end-of-options", "refs/heads/"+a.Target)
		if err != nil {
			return ironcurtain.Result{}, err
		}
		r.writesConfig = !local.ok()
	}
	out, err := s.mustGit(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	msg := strings.TrimSpace(s.clean(out.stderr) + "\n" + s.clean(out.stdout))
	if len(paths) > 0 {
		msg = fmt.Sprintf("Restored %d path(s) from %s.", len(paths), a.Target)
	}
	return textResult(orNone(msg)), nil
}

type resetArgs struct {
	repoPath
	Mode      string   `json:"mode,omitempty" desc:"Reset mode." schema:"default=mixed,enum=soft|mixed|hard|merge|keep"`
	Target    string   `json:"target,omitempty" desc:"Commit to reset to." schema:"default=HEAD"`
	Paths     []string `json:"paths,omitempty" desc:"Unstage only these paths (mixed mode)."`
	Confirmed bool     `json:"confirmed,omitempty" desc:"Required for hard resets, which discard uncommitted work." schema:"default=false"`
}

func (s *Server) reset(ctx context.Context, a resetArgs) (ironcurtain.Result, error) {
	mode := a.Mode
	if mode == "" {
		mode = "mixed"
	}
	switch mode {
	case "soft", "mixed", "hard", "merge", "keep":
	default:
		return ironcurtain.Result{}, toolset.Failf("unknown mode %q", a.Mode)
	}
	target := a.Target
	if target == "" {
		target = "HEAD"
	}
	if err := checkRevision("target", target); err != nil {
		return ironcurtain.Result{}, err
	}
	paths, err := pathspecs("paths", a.Paths)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if mode == "hard" && !a.Confirmed {
		return ironcurtain.Result{}, toolset.Failf("a hard reset discards uncommitted changes; call again with confirmed=true if that is intended")
	}
	// Like checkout, reset in git 2.39 rejects --end-of-options after a
	// mode; the leading-dash check and the trailing "--" stand in for it.
	var cmd []string
	if len(paths) > 0 {
		if mode != "mixed" {
			return ironcurtain.Result{}, toolset.Failf("paths can only be reset in mixed mode")
		}
		cmd = append([]string{"reset", "--quiet", target, "--"}, paths...)
	} else {
		cmd = []string{"reset", "--" + mode, target, "--"}
	}
	r, err := s.openWorkRepo(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	out, err := s.mustGit(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	head, err := s.mustGit(ctx, r, "log", "-1", "--no-color", "--format=%h %s")
	if err != nil {
		return ironcurtain.Result{}, err
	}
	msg := fmt.Sprintf("Reset (%s) to %s. HEAD is now %s", mode, target, strings.TrimSpace(string(head.stdout)))
	if len(paths) > 0 {
		msg = fmt.Sprintf("Unstaged %d path(s).", len(paths))
	}
	if extra := s.clean(out.stdout); extra != "" {
		msg += "\n" + extra
	}
	return textResult(msg), nil
}

type cleanArgs struct {
	repoPath
	Force       bool `json:"force,omitempty" desc:"Really delete." schema:"default=false"`
	DryRun      bool `json:"dryRun,omitempty" desc:"Only list what would be deleted." schema:"default=false"`
	Directories bool `json:"directories,omitempty" desc:"Also remove untracked directories." schema:"default=false"`
	Ignored     bool `json:"ignored,omitempty" desc:"Also remove ignored files." schema:"default=false"`
}

func (s *Server) cleanFiles(ctx context.Context, a cleanArgs) (ironcurtain.Result, error) {
	cmd := []string{"clean"}
	switch {
	case a.DryRun:
		cmd = append(cmd, "--dry-run")
	case a.Force:
		cmd = append(cmd, "--force")
	default:
		return ironcurtain.Result{}, toolset.Failf("git_clean deletes untracked files for good; set force=true to delete, or dryRun=true to see what would be deleted")
	}
	cmd = append(cmd, boolFlag(a.Directories, "-d")...)
	cmd = append(cmd, boolFlag(a.Ignored, "-x")...)
	cmd = append(cmd, "--")
	out, err := s.mustGitAt(ctx, a.Path, cmd)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	text := strings.TrimSpace(string(out.stdout))
	if text == "" {
		text = "Nothing to clean."
	}
	return textResult(text), nil
}
