package git

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// diffFlags keep every diff-producing command from running a program the
// repository's configuration or attributes name.
var diffFlags = []string{"--no-color", "--no-ext-diff", "--no-textconv"}

// autoExcluded are generated files left out of git_diff by default: they
// are large, machine-written and rarely worth a model's attention.
var autoExcluded = []string{
	"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb",
	"Cargo.lock", "go.sum", "poetry.lock", "Pipfile.lock", "uv.lock", "composer.lock",
	"Gemfile.lock", "*.min.js", "*.min.css",
}

// maxUntrackedDiffs bounds the untracked files git_diff shows in full.
const maxUntrackedDiffs = 50

type diffArgs struct {
	repoPath
	Target           string   `json:"target,omitempty" desc:"Commit, branch or tag to compare against; with source, the end of the range."`
	Source           string   `json:"source,omitempty" desc:"Start of the range when target is also given."`
	Paths            []string `json:"paths,omitempty" desc:"Limit the diff to these paths."`
	Staged           bool     `json:"staged,omitempty" desc:"Compare the index (staged changes) instead of the work tree." schema:"default=false"`
	IncludeUntracked bool     `json:"includeUntracked,omitempty" desc:"Also show untracked files as additions." schema:"default=false"`
	NameOnly         bool     `json:"nameOnly,omitempty" desc:"List changed file names only." schema:"default=false"`
	Stat             bool     `json:"stat,omitempty" desc:"Show a per-file summary instead of the patch." schema:"default=false"`
	ContextLines     *int     `json:"contextLines,omitempty" desc:"Lines of context around each change." schema:"default=3,minimum=0"`
	AutoExclude      *bool    `json:"autoExclude,omitempty" desc:"Leave out lock files and minified assets." schema:"default=true"`
}

func (s *Server) diff(ctx context.Context, a diffArgs) (ironcurtain.Result, error) {
	ctxLines := 3
	if a.ContextLines != nil {
		ctxLines = *a.ContextLines
	}
	if ctxLines < 0 || ctxLines > 10000 {
		return ironcurtain.Result{}, toolset.Failf("contextLines must be between 0 and 10000")
	}
	if a.Source != "" && a.Target == "" {
		a.Target, a.Source = a.Source, ""
	}
	if a.Staged && a.Source != "" {
		return ironcurtain.Result{}, toolset.Failf("staged compares the index with one commit; it cannot be combined with source")
	}
	format := []string{"--unified=" + strconv.Itoa(ctxLines)}
	switch {
	case a.NameOnly:
		format = []string{"--name-only"}
	case a.Stat:
		format = []string{"--stat"}
	}
	cmd := append([]string{"diff"}, diffFlags...)
	cmd = append(cmd, "--ignore-submodules=dirty")
	cmd = append(cmd, format...)
	cmd = append(cmd, boolFlag(a.Staged, "--cached")...)
	cmd = append(cmd, "--end-of-options")
	cmd, err := appendRevisions(cmd, revArg{"source", a.Source}, revArg{"target", a.Target})
	if err != nil {
		return ironcurtain.Result{}, err
	}
	paths, err := pathspecs("paths", a.Paths)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if a.AutoExclude == nil || *a.AutoExclude {
		if len(paths) == 0 {
			paths = []string{"."}
		}
		for _, x := range autoExcluded {
			paths = append(paths, ":(exclude,glob)**/"+x)
		}
	}
	cmd = append(append(cmd, "--"), paths...)

	r, err := s.openRepo(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	out, err := s.mustGitTruncating(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	text := string(out.stdout)
	if a.IncludeUntracked && !out.truncated {
		extra, err := s.untrackedDiffs(ctx, r, paths, format)
		if err != nil {
			return ironcurtain.Result{}, err
		}
		text += extra
	}
	if strings.TrimSpace(text) == "" {
		return textResult("No differences."), nil
	}
	return textResult(strings.TrimRight(text, "\n") + truncNote(out, s.cfg.maxOutput)), nil
}

// untrackedDiffs shows untracked files as additions.
func (s *Server) untrackedDiffs(ctx context.Context, r *repo, paths, format []string) (string, error) {
	ls, err := s.mustGit(ctx, r, append([]string{"ls-files", "--others", "--exclude-standard", "-z", "--"}, paths...)...)
	if err != nil {
		return "", err
	}
	var files []string
	for f := range bytes.SplitSeq(ls.stdout, []byte{0}) {
		if len(f) > 0 {
			files = append(files, string(f))
		}
	}
	var b strings.Builder
	for i, f := range files {
		if i == maxUntrackedDiffs {
			fmt.Fprintf(&b, "\n[%d more untracked files not shown]\n", len(files)-i)
			break
		}
		if len(format) == 1 && format[0] == "--name-only" {
			b.WriteString(f + "\n")
			continue
		}
		cmd := append(append([]string{"diff", "--no-index"}, diffFlags...), format...)
		cmd = append(cmd, "--", "/dev/null", f)
		out, err := s.gitTruncating(ctx, r, cmd...)
		if err != nil {
			return "", err
		}
		if out.code > 1 {
			return "", s.gitFailed(cmd, out)
		}
		b.Write(out.stdout)
	}
	return b.String(), nil
}

type showArgs struct {
	repoPath
	Object   string `json:"object" desc:"Commit, tag, tree or blob to show (for example HEAD, v1.2, a1b2c3d)."`
	Format   string `json:"format,omitempty" desc:"raw shows the object's raw headers." schema:"enum=raw"`
	Stat     bool   `json:"stat,omitempty" desc:"Show a per-file summary instead of the patch." schema:"default=false"`
	FilePath string `json:"filePath,omitempty" desc:"Show this file's contents at object."`
}

func (s *Server) show(ctx context.Context, a showArgs) (ironcurtain.Result, error) {
	if err := checkRevision("object", a.Object); err != nil {
		return ironcurtain.Result{}, err
	}
	cmd := append([]string{"show"}, diffFlags...)
	switch a.Format {
	case "":
	case "raw":
		cmd = append(cmd, "--format=raw")
	default:
		return ironcurtain.Result{}, toolset.Failf("format must be \"raw\"")
	}
	cmd = append(cmd, boolFlag(a.Stat, "--stat")...)
	obj := a.Object
	if a.FilePath != "" {
		if err := checkPathspec("filePath", a.FilePath); err != nil {
			return ironcurtain.Result{}, err
		}
		obj += ":" + a.FilePath
	}
	cmd = append(cmd, "--end-of-options", obj, "--")
	return s.truncatedText(ctx, a.Path, cmd, "")
}

type blameArgs struct {
	repoPath
	FilePath         string `json:"filePath" desc:"File to annotate, relative to the repository."`
	StartLine        int    `json:"startLine,omitempty" desc:"First line (1-based)." schema:"minimum=1"`
	EndLine          int    `json:"endLine,omitempty" desc:"Last line (1-based)." schema:"minimum=1"`
	IgnoreWhitespace bool   `json:"ignoreWhitespace,omitempty" desc:"Ignore whitespace changes when assigning lines." schema:"default=false"`
}

func (s *Server) blame(ctx context.Context, a blameArgs) (ironcurtain.Result, error) {
	if err := checkPathspec("filePath", a.FilePath); err != nil {
		return ironcurtain.Result{}, err
	}
	cmd := []string{"blame", "--no-textconv", "--date=short"}
	cmd = append(cmd, boolFlag(a.IgnoreWhitespace, "-w")...)
	switch {
	case a.StartLine < 0 || a.EndLine < 0:
		return ironcurtain.Result{}, toolset.Failf("startLine and endLine must be positive")
	case a.StartLine > 0 && a.EndLine > 0 && a.EndLine < a.StartLine:
		return ironcurtain.Result{}, toolset.Failf("endLine must not be before startLine")
	case a.StartLine > 0 || a.EndLine > 0:
		start, end := "1", ""
		if a.StartLine > 0 {
			start = strconv.Itoa(a.StartLine)
		}
		if a.EndLine > 0 {
			end = strconv.Itoa(a.EndLine)
		}
		cmd = append(cmd, "-L", start+","+end)
	}
	// blame takes no revision here, so "--" alone separates the path.
	cmd = append(cmd, "--", a.FilePath)
	return s.truncatedText(ctx, a.Path, cmd, "")
}

type reflogArgs struct {
	repoPath
	Ref      string `json:"ref,omitempty" desc:"Ref whose log to show." schema:"default=HEAD"`
	MaxCount *int   `json:"maxCount,omitempty" desc:"Number of entries (at most 10000)." schema:"default=25,minimum=1"`
}

func (s *Server) reflog(ctx context.Context, a reflogArgs) (ironcurtain.Result, error) {
	ref, count := "HEAD", 25
	if a.Ref != "" {
		ref = a.Ref
	}
	if a.MaxCount != nil {
		count = *a.MaxCount
	}
	if count < 1 || count > maxLogCount {
		return ironcurtain.Result{}, toolset.Failf("maxCount must be between 1 and %d", maxLogCount)
	}
	if err := checkRevision("ref", ref); err != nil {
		return ironcurtain.Result{}, err
	}
	cmd := []string{"reflog", "show", "--no-color", "--format=%h %gd: %gs (%ar)", "-n", strconv.Itoa(count), "--end-of-options", ref, "--"}
	return s.truncatedText(ctx, a.Path, cmd, orNone("")) // "(none)", as in the other tools
}
