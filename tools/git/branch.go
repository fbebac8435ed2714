package git

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
)

// Branch is one branch in the structured content of git_branch list.
type Branch struct {
	Name     string `json:"name"`
	Remote   bool   `json:"remote"`
	Current  bool   `json:"current"`
	Commit   string `json:"commit"`
	Upstream string `json:"upstream,omitempty"`
	Ahead    int    `json:"ahead,omitempty"`
	Behind   int    `json:"behind,omitempty"`
	// Gone reports an upstream that no longer exists.
	Gone    bool   `json:"gone,omitempty"`
	Subject string `json:"subject"`
}

// BranchList is the structured content of git_branch list.
type BranchList struct {
	Branches []Branch `json:"branches"`
	// Current is the checked-out branch; empty when HEAD is detached.
	Current string `json:"current"`
}

// branchFormat is the for-each-ref format parseBranches reads.
func branchFormat(marker string) string {
	return "%1e" + marker[1:] + "%(refname)%00%(refname:short)%00%(objectname)%00%(HEAD)%00%(upstream:short)%00%(upstream:track,nobracket)%00%(contents:subject)"
}

// parseBranches parses for-each-ref output made with branchFormat.
func parseBranches(out, marker string) ([]Branch, error) {
	recs, err := splitRecords(out, marker, "branch", 7)
	if err != nil {
		return nil, err
	}
	branches := []Branch{}
	for _, f := range recs {
		b := Branch{
			Name: f[1], Remote: strings.HasPrefix(f[0], "refs/remotes/"), Commit: f[2],
			Current: f[3] == "*", Upstream: f[4], Subject: f[6],
		}
		if err := parseTrack(f[5], &b); err != nil {
			return nil, err
		}
		branches = append(branches, b)
	}
	return branches, nil
}

// parseTrack reads %(upstream:track,nobracket): "ahead 1, behind 2",
// "gone", or "".
func parseTrack(t string, b *Branch) error {
	if t == "" {
		return nil
	}
	if t == "gone" {
		b.Gone = true
		return nil
	}
	for part := range strings.SplitSeq(t, ", ") {
		k, v, ok := strings.Cut(part, " ")
		n, err := strconv.Atoi(v)
		if !ok || err != nil {
			return fmt.Errorf("malformed tracking information %q", t)
		}
		switch k {
		case "ahead":
			b.Ahead = n
		case "behind":
			b.Behind = n
		default:
			return fmt.Errorf("malformed tracking information %q", t)
		}
	}
	return nil
}

type branchArgs struct {
	repoPath
	Mode          string        `json:"mode,omitempty" desc:"Operation." schema:"default=list,enum=list|create|delete|rename|show-current"`
	BranchName    string        `json:"branchName,omitempty" desc:"Branch to create, delete or rename (rename: default the current branch)."`
	NewBranchName string        `json:"newBranchName,omitempty" desc:"New name, for rename."`
	StartPoint    string        `json:"startPoint,omitempty" desc:"Commit the new branch starts at (create; default HEAD)."`
	Force         bool          `json:"force,omitempty" desc:"create: reset an existing branch; delete: delete even if unmerged; rename: overwrite." schema:"default=false"`
	All           bool          `json:"all,omitempty" desc:"list: local and remote-tracking branches." schema:"default=false"`
	Remote        bool          `json:"remote,omitempty" desc:"list: remote-tracking branches only; delete: delete a remote-tracking branch." schema:"default=false"`
	Merged        *boolOrString `json:"merged,omitempty" desc:"list: only branches merged into HEAD (true) or into this commit."`
	NoMerged      *boolOrString `json:"noMerged,omitempty" desc:"list: only branches not merged into HEAD (true) or into this commit."`
	Limit         int           `json:"limit,omitempty" desc:"list: at most this many branches." schema:"minimum=1"`
}

// branch runs one mode of git_branch, each in its own handler: list and
// show-current only read, create, delete and rename change refs.
func (s *Server) branch(ctx context.Context, a branchArgs) (ironcurtain.Result, error) {
	run, err := pickMode(a.Mode, map[string]func(context.Context, branchArgs) (ironcurtain.Result, error){
		"": s.branchList, "list": s.branchList, "show-current": s.branchShowCurrent,
		"create": s.branchCreate, "delete": s.branchDelete, "rename": s.branchRename,
	})
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return run(ctx, a)
}

func (s *Server) branchShowCurrent(ctx context.Context, a branchArgs) (ironcurtain.Result, error) {
	out, err := s.mustGitAt(ctx, a.Path, []string{"branch", "--show-current"})
	if err != nil {
		return ironcurtain.Result{}, err
	}
	cur := strings.TrimSpace(string(out.stdout))
	if cur == "" {
		return textResult("HEAD is detached (no current branch)."), nil
	}
	return textResult(cur), nil
}

func (s *Server) branchCreate(ctx context.Context, a branchArgs) (ironcurtain.Result, error) {
	if err := checkBranchName("branchName", a.BranchName); err != nil {
		return ironcurtain.Result{}, err
	}
	cmd, err := refCommand([]string{"branch"}, a.Force, a.BranchName, "startPoint", a.StartPoint)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if _, err := s.mustGitAt(ctx, a.Path, cmd); err != nil {
		return ironcurtain.Result{}, err
	}
	return textResult(fmt.Sprintf("Created branch %s.", a.BranchName)), nil
}

func (s *Server) branchDelete(ctx context.Context, a branchArgs) (ironcurtain.Result, error) {
	if err := checkRefName("branchName", a.BranchName); err != nil {
		return ironcurtain.Result{}, err
	}
	cmd := []string{"branch", "--delete"}
	cmd = append(cmd, boolFlag(a.Force, "--force")...)
	cmd = append(cmd, boolFlag(a.Remote, "--remotes")...)
	out, err := s.mustGitAt(ctx, a.Path, append(cmd, "--end-of-options", a.BranchName))
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return textResult(orNone(s.clean(out.stdout))), nil
}

func (s *Server) branchRename(ctx context.Context, a branchArgs) (ironcurtain.Result, error) {
	if err := checkBranchName("newBranchName", a.NewBranchName); err != nil {
		return ironcurtain.Result{}, err
	}
	cmd := []string{"branch", "--move"}
	cmd = append(cmd, boolFlag(a.Force, "--force")...)
	cmd = append(cmd, "--end-of-options")
	if a.BranchName != "" {
		if err := checkRefName("branchName", a.BranchName); err != nil {
			return ironcurtain.Result{}, err
		}
		cmd = append(cmd, a.BranchName)
	}
	if _, err := s.mustGitAt(ctx, a.Path, append(cmd, a.NewBranchName)); err != nil {
		return ironcurtain.Result{}, err
	}
	return textResult(fmt.Sprintf("Renamed branch to %s.", a.NewBranchName)), nil
}

func (s *Server) branchList(ctx context.Context, a branchArgs) (ironcurtain.Result, error) {
	marker := newMarker()
	cmd := []string{"for-each-ref", "--format=" + branchFormat(marker)}
	cmd = append(cmd, countFlag("--count=", a.Limit)...)
	for _, f := range []struct {
		flag string
		v    *boolOrString
	}{{"--merged", a.Merged}, {"--no-merged", a.NoMerged}} {
		switch {
		case f.v == nil || !f.v.set:
		case f.v.rev == "":
			cmd = append(cmd, f.flag+"=HEAD")
		default:
			if err := checkRevision(f.flag[2:], f.v.rev); err != nil {
				return ironcurtain.Result{}, err
			}
			cmd = append(cmd, f.flag+"="+f.v.rev)
		}
	}
	cmd = append(cmd, "--end-of-options")
	switch {
	case a.All:
		cmd = append(cmd, "refs/heads/", "refs/remotes/")
	case a.Remote:
		cmd = append(cmd, "refs/remotes/")
	default:
		cmd = append(cmd, "refs/heads/")
	}
	out, err := s.mustGitAt(ctx, a.Path, cmd)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	branches, err := parseBranches(string(out.stdout), marker)
	if err != nil {
		return ironcurtain.Result{}, fmt.Errorf("git: %w", err)
	}
	list := BranchList{Branches: branches}
	var b strings.Builder
	for _, br := range branches {
		mark := "  "
		if br.Current {
			mark = "* "
			list.Current = br.Name
		}
		fmt.Fprintf(&b, "%s%s %s %s", mark, br.Name, short(br.Commit), br.Subject)
		switch {
		case br.Gone:
			fmt.Fprintf(&b, " [%s: gone]", br.Upstream)
		case br.Upstream != "":
			fmt.Fprintf(&b, " [%s: ahead %d, behind %d]", br.Upstream, br.Ahead, br.Behind)
		}
		b.WriteString("\n")
	}
	if len(branches) == 0 {
		b.WriteString("No branches.")
	}
	return structuredResult(strings.TrimRight(b.String(), "\n"), list)
}
