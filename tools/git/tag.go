package git

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// Tag is one tag in the structured content of git_tag list and
// git_changelog_analyze.
type Tag struct {
	Name string `json:"name"`
	// Commit is the commit the tag points at.
	Commit string `json:"commit"`
	// Annotated reports an annotated tag object.
	Annotated bool   `json:"annotated"`
	Date      string `json:"date"`
	Subject   string `json:"subject,omitempty"`
}

// tagFormat is the for-each-ref format parseTags reads.
func tagFormat(marker string) string {
	return "%1e" + marker[1:] + "%(refname:short)%00%(objecttype)%00%(objectname)%00%(*objectname)%00%(creatordate:iso-strict)%00%(contents:subject)"
}

// parseTags parses for-each-ref output made with tagFormat.
func parseTags(out, marker string) ([]Tag, error) {
	recs, err := splitRecords(out, marker, "tag", 6)
	if err != nil {
		return nil, err
	}
	tags := []Tag{}
	for _, f := range recs {
		t := Tag{Name: f[0], Annotated: f[1] == "tag", Commit: f[2], Date: f[4]}
		if t.Annotated {
			t.Commit, t.Subject = f[3], f[5]
		}
		tags = append(tags, t)
	}
	return tags, nil
}

// listTags lists tags, newest first.
func (s *Server) listTags(ctx context.Context, r *repo, limit int) ([]Tag, error) {
	marker := newMarker()
	cmd := []string{"for-each-ref", "--sort=-creatordate", "--format=" + tagFormat(marker)}
	if limit > 0 {
		cmd = append(cmd, "--count="+strconv.Itoa(limit))
	}
	out, err := s.mustGit(ctx, r, append(cmd, "--end-of-options", "refs/tags/")...)
	if err != nil {
		return nil, err
	}
	tags, err := parseTags(string(out.stdout), marker)
	if err != nil {
		return nil, fmt.Errorf("git: %w", err)
	}
	return tags, nil
}

type tagArgs struct {
	repoPath
	Mode      string `json:"mode,omitempty" desc:"Operation." schema:"default=list,enum=list|create|delete|verify"`
	TagName   string `json:"tagName,omitempty" desc:"Tag to create, delete or verify."`
	Commit    string `json:"commit,omitempty" desc:"create: commit to tag (default HEAD)."`
	Message   string `json:"message,omitempty" desc:"create: message; makes the tag annotated."`
	Annotated bool   `json:"annotated,omitempty" desc:"create: make an annotated tag (needs message)." schema:"default=false"`
	Force     bool   `json:"force,omitempty" desc:"create: replace an existing tag." schema:"default=false"`
	Limit     int    `json:"limit,omitempty" desc:"list: at most this many tags." schema:"minimum=1"`
}

// tag runs one mode of git_tag, each in its own handler: list only
// reads, create and delete change refs, verify runs the signature check.
func (s *Server) tag(ctx context.Context, a tagArgs) (ironcurtain.Result, error) {
	run, err := pickMode(a.Mode, map[string]func(context.Context, tagArgs) (ironcurtain.Result, error){
		"": s.tagList, "list": s.tagList, "create": s.tagCreate, "delete": s.tagDelete, "verify": s.tagVerify,
	})
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return run(ctx, a)
}

func (s *Server) tagList(ctx context.Context, a tagArgs) (ironcurtain.Result, error) {
	r, err := s.openRepo(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	tags, err := s.listTags(ctx, r, a.Limit)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	var b strings.Builder
	for _, t := range tags {
		fmt.Fprintf(&b, "%s %s %s", t.Name, short(t.Commit), t.Date)
		if t.Subject != "" {
			b.WriteString(" " + t.Subject)
		}
		b.WriteString("\n")
	}
	if len(tags) == 0 {
		b.WriteString("No tags.")
	}
	return structuredResult(strings.TrimRight(b.String(), "\n"), map[string]any{"tags": tags})
}

func (s *Server) tagCreate(ctx context.Context, a tagArgs) (ironcurtain.Result, error) {
	if err := checkRefName("tagName", a.TagName); err != nil {
		return ironcurtain.Result{}, err
	}
	cmd := []string{"tag", "--no-sign"}
	if a.Annotated && a.Message == "" {
		return ironcurtain.Result{}, toolset.Failf("an annotated tag needs a message")
	}
	if a.Message != "" {
		if strings.ContainsRune(a.Message, 0) {
			return ironcurtain.Result{}, toolset.Failf("message contains NUL")
		}
		cmd = append(cmd, "--annotate", "-m", a.Message)
	}
	cmd, err := refCommand(cmd, a.Force, a.TagName, "commit", a.Commit)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if _, err := s.mustGitAt(ctx, a.Path, cmd); err != nil {
		return ironcurtain.Result{}, err
	}
	return textResult(fmt.Sprintf("Created tag %s.", a.TagName)), nil
}

func (s *Server) tagDelete(ctx context.Context, a tagArgs) (ironcurtain.Result, error) {
	if err := checkRefName("tagName", a.TagName); err != nil {
		return ironcurtain.Result{}, err
	}
	out, err := s.mustGitAt(ctx, a.Path, []string{"tag", "--delete", "--end-of-options", a.TagName})
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return textResult(orNone(s.clean(out.stdout))), nil
}

func (s *Server) tagVerify(ctx context.Context, a tagArgs) (ironcurtain.Result, error) {
	if err := checkRefName("tagName", a.TagName); err != nil {
		return ironcurtain.Result{}, err
	}
	r, err := s.openRepo(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	out, err := s.git(ctx, r, "tag", "--verify", "--end-of-options", a.TagName)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if !out.ok() {
		return ironcurtain.Result{}, toolset.Failf("tag %s could not be verified: the server's git has no signature-verification program or keys. git said: %s",
			a.TagName, s.clean(out.stderr))
	}
	return textResult(orNone(strings.TrimSpace(s.clean(out.stdout) + "\n" + s.clean(out.stderr)))), nil
}
