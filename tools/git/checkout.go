package git

import (
	"context"
	"fmt"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

type checkoutArgs struct {
	Path         string   `json:"path"`
	Target       string   `json:"target"`
	CreateBranch bool     `json:"createBranch"`
	Force        bool     `json:"force"`
	Paths        []string `json:"paths"`
	Track        *bool    `json:"track"`
}

func (s *Server) checkoutTool() toolset.Tool {
	return tool("git_checkout", "Switch branches or restore files",
		"Switch to a branch, tag or commit; with createBranch, create target as a new branch at HEAD and switch to it; with paths, restore those files from target instead. force discards local changes.",
		annDestructive, object(pRepo(),
			pStr("target", "Branch, tag or commit to switch to; the new branch's name with createBranch; the source of the files with paths.").req(),
			pBool("createBranch", "Create target as a new branch.").def(false),
			pBool("force", "Discard local changes that would be overwritten.").def(false),
			pStrs("paths", "Restore only these files from target."),
			pBool("track", "Set (true) or do not set (false) the upstream of a branch created from a remote-tracking branch."),
		), s.checkout)
}

func (s *Server) checkout(ctx context.Context, args map[string]any) (ironcurtain.Result, error) {
	a, err := decode[checkoutArgs](args)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	paths, err := pathspecs("paths", a.Paths)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	// git 2.39's checkout does not honour --end-of-options, so target is
	// kept from looking like an option by the leading-dash check and from
	// looking like a path by the "--" after it.
	cmd := []string{"checkout"}
	if a.Force {
		cmd = append(cmd, "--force")
	}
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
	Path      string   `json:"path"`
	Mode      string   `json:"mode"`
	Target    string   `json:"target"`
	Paths     []string `json:"paths"`
	Confirmed bool     `json:"confirmed"`
}

func (s *Server) resetTool() toolset.Tool {
	return tool("git_reset", "Reset HEAD",
		"Move the current branch to target (default HEAD). soft keeps index and work tree; mixed (default) resets the index; hard also discards work-tree changes and needs confirmed=true; merge and keep reset while keeping local changes. With paths, unstage those files only.",
		annDestructive, object(pRepo(),
			pEnum("mode", "Reset mode.", "soft", "mixed", "hard", "merge", "keep").def("mixed"),
			pStr("target", "Commit to reset to.").def("HEAD"),
			pStrs("paths", "Unstage only these paths (mixed mode)."),
			pBool("confirmed", "Required for hard resets, which discard uncommitted work.").def(false),
		), s.reset)
}

func (s *Server) reset(ctx context.Context, args map[string]any) (ironcurtain.Result, error) {
	a, err := decode[resetArgs](args)
	if err != nil {
		return ironcurtain.Result{}, err
	}
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
	Path        string `json:"path"`
	Force       bool   `json:"force"`
	DryRun      bool   `json:"dryRun"`
	Directories bool   `json:"directories"`
	Ignored     bool   `json:"ignored"`
}

func (s *Server) cleanTool() toolset.Tool {
	return tool("git_clean", "Remove untracked files",
		"Delete untracked files from the work tree. Needs force=true (or dryRun=true to only list what would go). directories also removes untracked directories; ignored also removes ignored files. Nested repositories are never removed.",
		annDestructive, object(pRepo(),
			pBool("force", "Really delete.").def(false),
			pBool("dryRun", "Only list what would be deleted.").def(false),
			pBool("directories", "Also remove untracked directories.").def(false),
			pBool("ignored", "Also remove ignored files.").def(false),
		), s.cleanFiles)
}

func (s *Server) cleanFiles(ctx context.Context, args map[string]any) (ironcurtain.Result, error) {
	a, err := decode[cleanArgs](args)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	cmd := []string{"clean"}
	switch {
	case a.DryRun:
		cmd = append(cmd, "--dry-run")
	case a.Force:
		cmd = append(cmd, "--force")
	default:
		return ironcurtain.Result{}, toolset.Failf("git_clean deletes untracked files for good; set force=true to delete, or dryRun=true to see what would be deleted")
	}
	if a.Directories {
		cmd = append(cmd, "-d")
	}
	if a.Ignored {
		cmd = append(cmd, "-x")
	}
	cmd = append(cmd, "--")
	r, err := s.openRepo(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	out, err := s.mustGit(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	text := strings.TrimSpace(string(out.stdout))
	if text == "" {
		text = "Nothing to clean."
	}
	return textResult(text), nil
}
