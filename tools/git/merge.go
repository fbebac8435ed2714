package git

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// Outcome is the structured content of the tools that can stop on a
// conflict: git_merge, git_rebase, git_cherry_pick, git_pull and git_stash
// pop/apply.
type Outcome struct {
	// Status is "ok" or "conflict".
	Status string `json:"status"`
	// Conflicts lists the files left with conflict markers.
	Conflicts []string `json:"conflicts,omitempty"`
}

var strategies = []string{"ort", "recursive", "octopus", "ours", "subtree"}

// conflictedFiles lists unmerged paths.
func (s *Server) conflictedFiles(ctx context.Context, r *repo) ([]string, error) {
	out, err := s.mustGit(ctx, r, append(append([]string{"diff"}, diffFlags...), "--name-only", "--diff-filter=U", "-z")...)
	if err != nil {
		return nil, err
	}
	var files []string
	for f := range bytes.SplitSeq(out.stdout, []byte{0}) {
		if len(f) > 0 {
			files = append(files, string(f))
		}
	}
	return files, nil
}

// outcome reports a command that may have stopped on a conflict. A
// conflict is not a tool error: the repository is in a well-defined state
// and next tells the model how to go on.
func (s *Server) outcome(ctx context.Context, r *repo, cmd []string, out output, next string) (ironcurtain.Result, error) {
	text := strings.TrimSpace(s.clean(out.stdout) + "\n" + s.clean(out.stderr))
	if out.ok() {
		return structuredResult(orNone(text), Outcome{Status: "ok"})
	}
	files, err := s.conflictedFiles(ctx, r)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if len(files) == 0 {
		return ironcurtain.Result{}, s.gitFailed(cmd, out)
	}
	msg := fmt.Sprintf("CONFLICT: git %s stopped with conflicts in:\n  %s\n%s\n\ngit said:\n%s",
		subcommand(cmd), strings.Join(files, "\n  "), next, text)
	return structuredResult(msg, Outcome{Status: "conflict", Conflicts: files})
}

// mergeStrategy is the strategy argument of git_merge and
// git_cherry_pick.
type mergeStrategy struct {
	Strategy string `json:"strategy,omitempty" desc:"Merge strategy." schema:"enum=ort|recursive|octopus|ours|subtree"`
}

// strategyFlag checks the strategy and returns its flag, or nothing when
// none is given.
func (m mergeStrategy) strategyFlag() ([]string, error) {
	switch {
	case m.Strategy == "":
		return nil, nil
	case !slices.Contains(strategies, m.Strategy):
		return nil, toolset.Failf("strategy must be one of %s", strings.Join(strategies, ", "))
	}
	return []string{"--strategy=" + m.Strategy}, nil
}

type mergeArgs struct {
	repoPath
	Branch string `json:"branch,omitempty" desc:"Branch or commit to merge (not needed with abort)."`
	mergeStrategy
	NoFastForward bool   `json:"noFastForward,omitempty" desc:"Always create a merge commit." schema:"default=false"`
	Squash        bool   `json:"squash,omitempty" desc:"Stage the combined changes without committing or recording a merge." schema:"default=false"`
	Message       string `json:"message,omitempty" desc:"Message of the merge commit."`
	Abort         bool   `json:"abort,omitempty" desc:"Abandon a merge that stopped on conflicts." schema:"default=false"`
}

func (s *Server) merge(ctx context.Context, a mergeArgs) (ironcurtain.Result, error) {
	var cmd []string
	if a.Abort {
		cmd = []string{"merge", "--abort"}
	} else {
		if err := checkRevision("branch", a.Branch); err != nil {
			return ironcurtain.Result{}, err
		}
		strategy, err := a.strategyFlag()
		if err != nil {
			return ironcurtain.Result{}, err
		}
		cmd = []string{"merge", "--no-edit", "--no-gpg-sign"}
		cmd = append(cmd, strategy...)
		cmd = append(cmd, boolFlag(a.NoFastForward, "--no-ff")...)
		cmd = append(cmd, boolFlag(a.Squash, "--squash")...)
		if a.Message != "" {
			if strings.ContainsRune(a.Message, 0) {
				return ironcurtain.Result{}, toolset.Failf("message contains NUL")
			}
			cmd = append(cmd, "-m", a.Message)
		}
		cmd = append(cmd, "--end-of-options", a.Branch)
	}
	return s.runStoppable(ctx, a.Path, cmd, a.Abort, "Merge aborted; the branch is back where it was.",
		"Resolve the conflicts, stage the files with git_add and finish with git_commit, or call git_merge with abort=true.")
}

// runStoppable runs a merge, rebase or cherry-pick command, one that may
// stop on conflicts, in the work tree at path. An abort that succeeds
// reports aborted; anything else reports its outcome, with hint when it
// stopped on conflicts.
func (s *Server) runStoppable(ctx context.Context, path string, cmd []string, abort bool, aborted, hint string) (ironcurtain.Result, error) {
	r, err := s.openWorkRepo(ctx, path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	out, err := s.git(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if abort {
		if !out.ok() {
			return ironcurtain.Result{}, s.gitFailed(cmd, out)
		}
		return structuredResult(aborted, Outcome{Status: "ok"})
	}
	return s.outcome(ctx, r, cmd, out, hint)
}

type rebaseArgs struct {
	repoPath
	Mode        string `json:"mode,omitempty" desc:"Operation." schema:"default=start,enum=start|continue|abort|skip"`
	Upstream    string `json:"upstream,omitempty" desc:"Branch or commit to rebase onto (start; default the upstream of the branch)."`
	Branch      string `json:"branch,omitempty" desc:"Branch to rebase (start; default the current branch)."`
	Interactive bool   `json:"interactive,omitempty" desc:"Use the interactive machinery with its default plan." schema:"default=false"`
	Onto        string `json:"onto,omitempty" desc:"Start the replayed commits at this commit instead of upstream."`
	Preserve    bool   `json:"preserve,omitempty" desc:"Keep merge commits (--rebase-merges)." schema:"default=false"`
}

func (s *Server) rebase(ctx context.Context, a rebaseArgs) (ironcurtain.Result, error) {
	var cmd []string
	switch a.Mode {
	case "", "start":
		cmd = []string{"rebase", "--no-gpg-sign"}
		if a.Onto != "" {
			if err := checkRevision("onto", a.Onto); err != nil {
				return ironcurtain.Result{}, err
			}
			cmd = append(cmd, "--onto="+a.Onto)
		}
		cmd = append(cmd, boolFlag(a.Preserve, "--rebase-merges")...)
		cmd = append(cmd, boolFlag(a.Interactive, "--interactive")...)
		cmd = append(cmd, "--end-of-options")
		if a.Branch != "" && a.Upstream == "" {
			return ironcurtain.Result{}, toolset.Failf("branch needs upstream")
		}
		var err error
		if cmd, err = appendRevisions(cmd, revArg{"upstream", a.Upstream}, revArg{"branch", a.Branch}); err != nil {
			return ironcurtain.Result{}, err
		}
	case "continue", "abort", "skip":
		cmd = []string{"rebase", "--" + a.Mode}
	default:
		return ironcurtain.Result{}, toolset.Failf("unknown mode %q", a.Mode)
	}
	return s.runStoppable(ctx, a.Path, cmd, a.Mode == "abort", "Rebase aborted; the branch is back where it was.",
		"Resolve the conflicts and stage the files with git_add, then call git_rebase with mode=continue; or mode=skip to drop this commit, mode=abort to return to the state before the rebase.")
}

type cherryPickArgs struct {
	repoPath
	Commits           []string `json:"commits,omitempty" desc:"Commits to apply, in order (not needed with continueOperation or abort)."`
	NoCommit          bool     `json:"noCommit,omitempty" desc:"Apply the changes to the index and work tree without committing." schema:"default=false"`
	ContinueOperation bool     `json:"continueOperation,omitempty" desc:"Continue after resolving conflicts." schema:"default=false"`
	Abort             bool     `json:"abort,omitempty" desc:"Abandon the cherry-pick in progress." schema:"default=false"`
	Mainline          int      `json:"mainline,omitempty" desc:"Parent number (1-based) to diff against when picking a merge commit." schema:"minimum=1"`
	mergeStrategy
	Signoff bool `json:"signoff,omitempty" desc:"Add a Signed-off-by trailer." schema:"default=false"`
}

func (s *Server) cherryPick(ctx context.Context, a cherryPickArgs) (ironcurtain.Result, error) {
	var cmd []string
	switch {
	case a.Abort && a.ContinueOperation:
		return ironcurtain.Result{}, toolset.Failf("abort and continueOperation cannot be combined")
	case a.Abort:
		cmd = []string{"cherry-pick", "--abort"}
	case a.ContinueOperation:
		cmd = []string{"cherry-pick", "--continue"}
	default:
		if len(a.Commits) == 0 {
			return ironcurtain.Result{}, toolset.Failf("commits must name at least one commit")
		}
		strategy, err := a.strategyFlag()
		if err != nil {
			return ironcurtain.Result{}, err
		}
		cmd = []string{"cherry-pick", "--no-gpg-sign"}
		cmd = append(cmd, boolFlag(a.NoCommit, "--no-commit")...)
		cmd = append(cmd, countFlag("--mainline=", a.Mainline)...)
		cmd = append(cmd, strategy...)
		cmd = append(cmd, boolFlag(a.Signoff, "--signoff")...)
		cmd = append(cmd, "--end-of-options")
		for _, c := range a.Commits {
			if err := checkRevision("commit", c); err != nil {
				return ironcurtain.Result{}, err
			}
			cmd = append(cmd, c)
		}
	}
	return s.runStoppable(ctx, a.Path, cmd, a.Abort, "Cherry-pick aborted.",
		"Resolve the conflicts and stage the files with git_add, then call git_cherry_pick with continueOperation=true, or with abort=true to give up.")
}
