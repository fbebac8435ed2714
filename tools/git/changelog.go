package git

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// reviewGuides tell the model what to look for in each kind of review.
// git_changelog_analyze gathers the material; the model does the review.
var reviewGuides = map[string]string{
	"security":         "Security: commits touching authentication, input handling, secrets, dependencies or permissions; fixes that hint at a vulnerability; anything that widens what the software trusts.",
	"features":         "Features: what users can now do that they could not before, grouped by area, with the commits that delivered each.",
	"storyline":        "Storyline: how the project moved between tags — themes, turning points, and what the order of the work says about its priorities.",
	"gaps":             "Gaps: work that was started and not finished, fixes without tests, reverted changes, TODO-style subjects, long silences in an area.",
	"breaking_changes": "Breaking changes: removed or renamed interfaces, changed defaults, migrations, and whether the messages warn about them.",
	"quality":          "Quality: message clarity, commit size, fix-up churn, tests arriving with or after the code.",
}

var reviewTypes = []string{"security", "features", "storyline", "gaps", "breaking_changes", "quality"}

// Changelog is the structured content of git_changelog_analyze.
type Changelog struct {
	ReviewTypes []string `json:"reviewTypes"`
	Range       string   `json:"range"`
	Tags        []Tag    `json:"tags"`
	Commits     []Commit `json:"commits"`
	Truncated   bool     `json:"truncated,omitempty"`
}

type changelogArgs struct {
	repoPath
	ReviewTypes []string `json:"reviewTypes" desc:"Kinds of review to prepare material for." schema:"items.enum=security|features|storyline|gaps|breaking_changes|quality,minItems=1"`
	MaxCommits  *int     `json:"maxCommits,omitempty" desc:"At most this many commits (up to 5000)." schema:"default=200,minimum=1"`
	MaxTags     *int     `json:"maxTags,omitempty" desc:"At most this many tags (up to 1000)." schema:"default=100,minimum=0"`
	SinceTag    string   `json:"sinceTag,omitempty" desc:"Only commits after this tag."`
	Branch      string   `json:"branch,omitempty" desc:"Branch or commit to read (default HEAD)."`
}

func (s *Server) changelog(ctx context.Context, a changelogArgs) (ironcurtain.Result, error) {
	if len(a.ReviewTypes) == 0 {
		return ironcurtain.Result{}, toolset.Failf("reviewTypes must name at least one of %s", strings.Join(reviewTypes, ", "))
	}
	for _, t := range a.ReviewTypes {
		if !slices.Contains(reviewTypes, t) {
			return ironcurtain.Result{}, toolset.Failf("unknown review type %q (want %s)", t, strings.Join(reviewTypes, ", "))
		}
	}
	maxCommits, maxTags := 200, 100
	if a.MaxCommits != nil {
		maxCommits = *a.MaxCommits
	}
	if a.MaxTags != nil {
		maxTags = *a.MaxTags
	}
	if maxCommits < 1 || maxCommits > 5000 || maxTags < 0 || maxTags > 1000 {
		return ironcurtain.Result{}, toolset.Failf("maxCommits must be 1 to 5000 and maxTags 0 to 1000")
	}
	rev := "HEAD"
	if a.Branch != "" {
		if err := checkRevision("branch", a.Branch); err != nil {
			return ironcurtain.Result{}, err
		}
		rev = a.Branch
	}
	rng := rev
	if a.SinceTag != "" {
		if err := checkRefName("sinceTag", a.SinceTag); err != nil {
			return ironcurtain.Result{}, err
		}
		rng = "refs/tags/" + a.SinceTag + ".." + rev
	}
	r, err := s.openRepo(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	tags := []Tag{}
	if maxTags > 0 {
		if tags, err = s.listTags(ctx, r, maxTags); err != nil {
			return ironcurtain.Result{}, err
		}
	}
	marker := newMarker()
	cmd := []string{"log", "--no-color", "--format=" + logFormat(marker, false), "-n", strconv.Itoa(maxCommits), "--end-of-options", rng, "--"}
	out, err := s.mustGitTruncating(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	commits, partial := parseLog(string(out.stdout), marker, false)
	cl := Changelog{ReviewTypes: a.ReviewTypes, Range: rng, Tags: tags, Commits: commits, Truncated: out.truncated || partial}

	var b strings.Builder
	fmt.Fprintf(&b, "History of %s: %d commits, %d tags. Review it for:\n", rng, len(commits), len(tags))
	for _, t := range a.ReviewTypes {
		fmt.Fprintf(&b, "- %s\n", reviewGuides[t])
	}
	b.WriteString("\nTags (newest first):\n")
	for _, t := range tags {
		fmt.Fprintf(&b, "  %s %s %s\n", t.Name, short(t.Commit), t.Date)
	}
	if len(tags) == 0 {
		b.WriteString("  (none)\n")
	}
	b.WriteString("\nCommits (newest first):\n")
	for _, c := range commits {
		fmt.Fprintf(&b, "  %s %s %s: %s\n", c.ShortHash, c.Date[:min(len(c.Date), 10)], c.Author, c.Subject)
	}
	if cl.Truncated {
		b.WriteString("[history truncated; lower maxCommits or use sinceTag]\n")
	}
	return structuredResult(strings.TrimRight(b.String(), "\n"), cl)
}
