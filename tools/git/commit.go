package git

import (
	"context"
	"fmt"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

type addArgs struct {
	repoPath
	Paths  []string `json:"paths,omitempty" desc:"Files or directories to stage, relative to the repository."`
	Update bool     `json:"update,omitempty" desc:"Stage modifications and deletions of tracked files only." schema:"default=false"`
	All    bool     `json:"all,omitempty" desc:"Stage every change in the work tree, including untracked files and deletions." schema:"default=false"`
	Force  bool     `json:"force,omitempty" desc:"Also stage ignored files." schema:"default=false"`
}

func (s *Server) add(ctx context.Context, a addArgs) (ironcurtain.Result, error) {
	if a.Update && a.All {
		return ironcurtain.Result{}, toolset.Failf("update and all cannot be combined")
	}
	cmd := []string{"add"}
	cmd = append(cmd, firstFlag(a.All, "--all", a.Update, "--update")...)
	cmd = append(cmd, boolFlag(a.Force, "--force")...)
	paths, err := pathspecs("paths", a.Paths)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if len(paths) == 0 && !a.All && !a.Update {
		paths = []string{"."}
	}
	cmd = append(append(cmd, "--"), paths...)
	r, err := s.openWorkRepo(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if _, err := s.mustGit(ctx, r, cmd...); err != nil {
		return ironcurtain.Result{}, err
	}
	staged, err := s.stagedSummary(ctx, r)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return textResult("Staged. Changes to be committed:\n" + staged), nil
}

// stagedSummary lists the index's changes against HEAD.
func (s *Server) stagedSummary(ctx context.Context, r *repo) (string, error) {
	st, err := s.readStatus(ctx, r, false)
	if err != nil {
		return "", err
	}
	if len(st.Staged) == 0 {
		return "  (nothing)", nil
	}
	var b strings.Builder
	for _, c := range st.Staged {
		fmt.Fprintf(&b, "  %s: %s\n", c.Status, c.Path)
	}
	return strings.TrimRight(b.String(), "\n"), nil
}

// pathspecs checks the file paths of an argument.
func pathspecs(what string, paths []string) ([]string, error) {
	for _, p := range paths {
		if err := checkPathspec(what, p); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// authorArg is git_commit's author object.
type authorArg struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type commitArgs struct {
	repoPath
	Message      string     `json:"message" desc:"Commit message."`
	Author       *authorArg `json:"author,omitempty" desc:"Author of the commit, instead of the server's identity."`
	Amend        bool       `json:"amend,omitempty" desc:"Replace the last commit instead of adding one." schema:"default=false"`
	AllowEmpty   bool       `json:"allowEmpty,omitempty" desc:"Allow a commit with no changes." schema:"default=false"`
	NoVerify     bool       `json:"noVerify,omitempty" desc:"Skip pre-commit and commit-msg hooks (they are off unless the server enables them)." schema:"default=false"`
	FilesToStage []string   `json:"filesToStage,omitempty" desc:"Files to stage before committing, relative to the repository."`
}

func (s *Server) commit(ctx context.Context, a commitArgs) (ironcurtain.Result, error) {
	if strings.TrimSpace(a.Message) == "" {
		return ironcurtain.Result{}, toolset.Failf("message must not be empty")
	}
	if strings.ContainsRune(a.Message, 0) {
		return ironcurtain.Result{}, toolset.Failf("message contains NUL")
	}
	cmd := []string{"commit", "--no-gpg-sign", "--file=-"}
	if a.Author != nil {
		if err := validateIdentity(Identity(*a.Author)); err != nil {
			return ironcurtain.Result{}, toolset.Failf("author: %v", err)
		}
		cmd = append(cmd, "--author="+a.Author.Name+" <"+a.Author.Email+">")
	}
	cmd = append(cmd, boolFlag(a.Amend, "--amend")...)
	cmd = append(cmd, boolFlag(a.AllowEmpty, "--allow-empty")...)
	cmd = append(cmd, boolFlag(a.NoVerify, "--no-verify")...)
	files, err := pathspecs("filesToStage", a.FilesToStage)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	r, err := s.openWorkRepo(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if len(files) > 0 {
		if _, err := s.mustGit(ctx, r, append([]string{"add", "--"}, files...)...); err != nil {
			return ironcurtain.Result{}, err
		}
	}
	out, err := s.run(ctx, r, invocation{dir: r.dir, ceiling: r.ceiling, config: r.over.config, args: cmd, stdin: []byte(a.Message)})
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if !out.ok() {
		return ironcurtain.Result{}, s.gitFailed(cmd, out)
	}
	head, err := s.mustGit(ctx, r, "log", "-1", "--no-color", "--format=%H%x00%s")
	if err != nil {
		return ironcurtain.Result{}, err
	}
	hash, subject, _ := strings.Cut(strings.TrimSpace(string(head.stdout)), "\x00")
	return structuredResult(fmt.Sprintf("Committed %s: %s", short(hash), subject),
		map[string]string{"commit": hash, "subject": subject})
}
