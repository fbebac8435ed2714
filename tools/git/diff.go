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
	Path             string   `json:"path"`
	Target           string   `json:"target"`
	Source           string   `json:"source"`
	Paths            []string `json:"paths"`
	Staged           bool     `json:"staged"`
	IncludeUntracked bool     `json:"includeUntracked"`
	NameOnly         bool     `json:"nameOnly"`
	Stat             bool     `json:"stat"`
	ContextLines     *int     `json:"contextLines"`
	AutoExclude      *bool    `json:"autoExclude"`
}

func (s *Server) diffTool() toolset.Tool {
	return tool("git_diff", "Show changes",
		"Show changes: work tree against the index (default), the index against HEAD (staged), the work tree or index against target, or from source to target. "+
			"Lock files and minified assets are left out unless autoExclude is false. Long output is cut and marked.",
		annRead, object(pRepo(),
			pStr("target", "Commit, branch or tag to compare against; with source, the end of the range."),
			pStr("source", "Start of the range when target is also given."),
			pStrs("paths", "Limit the diff to these paths."),
			pBool("staged", "Compare the index (staged changes) instead of the work tree.").def(false),
			pBool("includeUntracked", "Also show untracked files as additions.").def(false),
			pBool("nameOnly", "List changed file names only.").def(false),
			pBool("stat", "Show a per-file summary instead of the patch.").def(false),
			pInt("contextLines", "Lines of context around each change.", 0).def(3),
			pBool("autoExclude", "Leave out lock files and minified assets.").def(true),
		), s.diff)
}

func (s *Server) diff(ctx context.Context, args map[string]any) (ironcurtain.Result, error) {
	a, err := decode[diffArgs](args)
	if err != nil {
		return ironcurtain.Result{}, err
	}
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
	if a.Staged {
		cmd = append(cmd, "--cached")
	}
	cmd = append(cmd, "--end-of-options")
	for _, rv := range []struct{ name, v string }{{"source", a.Source}, {"target", a.Target}} {
		if rv.v == "" {
			continue
		}
		if err := checkRevision(rv.name, rv.v); err != nil {
			return ironcurtain.Result{}, err
		}
		cmd = append(cmd, rv.v)
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
	Path     string `json:"path"`
	Object   string `json:"object"`
	Format   string `json:"format"`
	Stat     bool   `json:"stat"`
	FilePath string `json:"filePath"`
}

func (s *Server) showTool() toolset.Tool {
	return tool("git_show", "Show an object",
		"Show a commit (message and patch), tag, tree or file contents. With filePath, show that file as it is in object. Long output is cut and marked.",
		annRead, object(pRepo(),
			pStr("object", "Commit, tag, tree or blob to show (for example HEAD, v1.2, a1b2c3d).").req(),
			pEnum("format", "raw shows the object's raw headers.", "raw"),
			pBool("stat", "Show a per-file summary instead of the patch.").def(false),
			pStr("filePath", "Show this file's contents at object."),
		), s.show)
}

func (s *Server) show(ctx context.Context, args map[string]any) (ironcurtain.Result, error) {
	a, err := decode[showArgs](args)
	if err != nil {
		return ironcurtain.Result{}, err
	}
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
	if a.Stat {
		cmd = append(cmd, "--stat")
	}
	obj := a.Object
	if a.FilePath != "" {
		if err := checkPathspec("filePath", a.FilePath); err != nil {
			return ironcurtain.Result{}, err
		}
		obj += ":" + a.FilePath
	}
	cmd = append(cmd, "--end-of-options", obj, "--")
	return s.truncatedText(ctx, a.Path, cmd)
}

type blameArgs struct {
	Path             string `json:"path"`
	FilePath         string `json:"filePath"`
	StartLine        int    `json:"startLine"`
	EndLine          int    `json:"endLine"`
	IgnoreWhitespace bool   `json:"ignoreWhitespace"`
}

func (s *Server) blameTool() toolset.Tool {
	return tool("git_blame", "Line authorship",
		"Show who last changed each line of a file, and in which commit. Long output is cut and marked.",
		annRead, object(pRepo(),
			pStr("filePath", "File to annotate, relative to the repository.").req(),
			pInt("startLine", "First line (1-based).", 1),
			pInt("endLine", "Last line (1-based).", 1),
			pBool("ignoreWhitespace", "Ignore whitespace changes when assigning lines.").def(false),
		), s.blame)
}

func (s *Server) blame(ctx context.Context, args map[string]any) (ironcurtain.Result, error) {
	a, err := decode[blameArgs](args)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if err := checkPathspec("filePath", a.FilePath); err != nil {
		return ironcurtain.Result{}, err
	}
	cmd := []string{"blame", "--no-textconv", "--date=short"}
	if a.IgnoreWhitespace {
		cmd = append(cmd, "-w")
	}
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
	return s.truncatedText(ctx, a.Path, cmd)
}

type reflogArgs struct {
	Path     string `json:"path"`
	Ref      string `json:"ref"`
	MaxCount *int   `json:"maxCount"`
}

func (s *Server) reflogTool() toolset.Tool {
	return tool("git_reflog", "Reference log",
		"Show where a ref (default HEAD) has pointed, newest first: commits, checkouts, resets, rebases. Useful to find lost commits.",
		annRead, object(pRepo(),
			pStr("ref", "Ref whose log to show.").def("HEAD"),
			pInt("maxCount", "Number of entries (at most 10000).", 1).def(25),
		), s.reflog)
}

func (s *Server) reflog(ctx context.Context, args map[string]any) (ironcurtain.Result, error) {
	a, err := decode[reflogArgs](args)
	if err != nil {
		return ironcurtain.Result{}, err
	}
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
	r, err := s.openRepo(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	out, err := s.mustGitTruncating(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return textResult(orNone(strings.TrimRight(string(out.stdout), "\n")) + truncNote(out, s.cfg.maxOutput)), nil
}
