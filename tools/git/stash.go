package git

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// StashEntry is one entry in the structured content of git_stash list.
type StashEntry struct {
	Ref     string `json:"ref"` // stash@{N}
	Commit  string `json:"commit"`
	Message string `json:"message"`
}

// stashRefRE accepts "stash@{N}" or a bare index N: nothing else, so a
// stash ref can never carry an option or a revision expression.
var stashRefRE = regexp.MustCompile(`^(stash@\{[0-9]{1,6}\}|[0-9]{1,6})$`)

// parseStashList parses `git stash list --format=<marker>%gd%x00%H%x00%gs`.
func parseStashList(out, marker string) ([]StashEntry, error) {
	recs, err := splitRecords(out, marker, "stash", 3)
	if err != nil {
		return nil, err
	}
	entries := []StashEntry{}
	for _, f := range recs {
		entries = append(entries, StashEntry{Ref: f[0], Commit: f[1], Message: f[2]})
	}
	return entries, nil
}

type stashArgs struct {
	repoPath
	Mode             string `json:"mode,omitempty" desc:"Operation." schema:"default=push,enum=list|push|pop|apply|drop|clear"`
	Message          string `json:"message,omitempty" desc:"push: description of the entry."`
	StashRef         string `json:"stashRef,omitempty" desc:"pop, apply, drop: the entry, \"stash@{N}\" or N (default the latest)."`
	IncludeUntracked bool   `json:"includeUntracked,omitempty" desc:"push: also stash untracked files." schema:"default=false"`
	KeepIndex        bool   `json:"keepIndex,omitempty" desc:"push: leave staged changes in place." schema:"default=false"`
	Limit            int    `json:"limit,omitempty" desc:"list: at most this many entries." schema:"minimum=1"`
}

// stash runs one mode of git_stash, each in its own handler: list only
// reads; push, pop, apply, drop and clear change the work tree or the
// stash.
func (s *Server) stash(ctx context.Context, a stashArgs) (ironcurtain.Result, error) {
	ref := a.StashRef
	if ref != "" {
		if !stashRefRE.MatchString(ref) {
			return ironcurtain.Result{}, toolset.Failf(`stashRef must be "stash@{N}" or a number N, not %q`, ref)
		}
		if !strings.HasPrefix(ref, "stash@") {
			ref = "stash@{" + ref + "}"
		}
	}
	run, err := pickMode(a.Mode, map[string]func(context.Context, *repo, stashArgs, string) (ironcurtain.Result, error){
		"list": s.stashList, "": s.stashPush, "push": s.stashPush,
		"pop": s.stashRestore, "apply": s.stashRestore, "drop": s.stashDrop, "clear": s.stashClear,
	})
	if err != nil {
		return ironcurtain.Result{}, err
	}
	r, err := s.openWorkRepo(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return run(ctx, r, a, ref)
}

func (s *Server) stashList(ctx context.Context, r *repo, a stashArgs, _ string) (ironcurtain.Result, error) {
	marker := newMarker()
	cmd := []string{"stash", "list", "--format=%x1e" + marker[1:] + "%gd%x00%H%x00%gs"}
	if a.Limit > 0 {
		cmd = append(cmd, "-n", strconv.Itoa(a.Limit))
	}
	out, err := s.mustGit(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	entries, err := parseStashList(string(out.stdout), marker)
	if err != nil {
		return ironcurtain.Result{}, fmt.Errorf("git: %w", err)
	}
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%s: %s\n", e.Ref, e.Message)
	}
	if len(entries) == 0 {
		b.WriteString("The stash is empty.")
	}
	return structuredResult(strings.TrimRight(b.String(), "\n"), map[string]any{"entries": entries})
}

func (s *Server) stashPush(ctx context.Context, r *repo, a stashArgs, _ string) (ironcurtain.Result, error) {
	cmd := []string{"stash", "push"}
	if a.Message != "" {
		if strings.ContainsRune(a.Message, 0) {
			return ironcurtain.Result{}, toolset.Failf("message contains NUL")
		}
		cmd = append(cmd, "--message="+a.Message)
	}
	cmd = append(cmd, boolFlag(a.IncludeUntracked, "--include-untracked")...)
	cmd = append(cmd, boolFlag(a.KeepIndex, "--keep-index")...)
	out, err := s.mustGit(ctx, r, append(cmd, "--")...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return textResult(orNone(s.clean(out.stdout))), nil
}

// stashRestore is pop and apply: it may stop on conflicts.
func (s *Server) stashRestore(ctx context.Context, r *repo, a stashArgs, ref string) (ironcurtain.Result, error) {
	cmd := []string{"stash", a.Mode}
	if ref != "" {
		cmd = append(cmd, ref)
	}
	out, err := s.git(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return s.outcome(ctx, r, cmd, out,
		"Resolve the conflicts and stage the files with git_add; the stash entry was kept, drop it with mode=drop once done.")
}

func (s *Server) stashDrop(ctx context.Context, r *repo, _ stashArgs, ref string) (ironcurtain.Result, error) {
	cmd := []string{"stash", "drop"}
	if ref != "" {
		cmd = append(cmd, ref)
	}
	out, err := s.mustGit(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return textResult(orNone(s.clean(out.stdout))), nil
}

func (s *Server) stashClear(ctx context.Context, r *repo, _ stashArgs, _ string) (ironcurtain.Result, error) {
	if _, err := s.mustGit(ctx, r, "stash", "clear"); err != nil {
		return ironcurtain.Result{}, err
	}
	return textResult("Removed every stash entry."), nil
}
