package git

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// Status is the structured content of git_status.
type Status struct {
	// Branch is the current branch; empty when HEAD is detached.
	Branch string `json:"branch"`
	// Detached reports a detached HEAD.
	Detached bool `json:"detached"`
	// Commit is HEAD's commit; empty before the first commit.
	Commit string `json:"commit,omitempty"`
	// Upstream is the branch's upstream, when it has one.
	Upstream string `json:"upstream,omitempty"`
	// Ahead and Behind count commits relative to the upstream.
	Ahead  int `json:"ahead"`
	Behind int `json:"behind"`
	// Staged are changes in the index, Unstaged changes in the work tree.
	Staged   []FileChange `json:"staged"`
	Unstaged []FileChange `json:"unstaged"`
	// Untracked are files git does not track (empty when not asked for).
	Untracked []string `json:"untracked"`
	// Conflicted are files with unresolved merge conflicts.
	Conflicted []string `json:"conflicted"`
	// Clean reports no change of any kind.
	Clean bool `json:"clean"`
}

// FileChange is one changed file.
type FileChange struct {
	Path string `json:"path"`
	// Status is "added", "modified", "deleted", "renamed", "copied" or
	// "type-changed".
	Status string `json:"status"`
	// OrigPath is the former path of a renamed or copied file.
	OrigPath string `json:"origPath,omitempty"`
}

var changeNames = map[byte]string{
	'A': "added", 'M': "modified", 'D': "deleted", 'R': "renamed", 'C': "copied", 'T': "type-changed",
}

// parseStatus parses `git status --porcelain=v2 -z --branch`.
func parseStatus(out []byte) (Status, error) {
	recs, err := nulTerminated(out, "status entry")
	if err != nil {
		return Status{}, err
	}
	st := Status{Staged: []FileChange{}, Unstaged: []FileChange{}, Untracked: []string{}, Conflicted: []string{}}
	for i := 0; i < len(recs); i++ {
		rec := recs[i]
		if rec == "" {
			continue
		}
		switch rec[0] {
		case '#':
			if err := st.header(rec); err != nil {
				return Status{}, err
			}
		case '1', '2':
			fields := strings.SplitN(rec, " ", 9)
			if rec[0] == '2' {
				fields = strings.SplitN(rec, " ", 10)
			}
			if len(fields) < 9 || len(fields[1]) != 2 {
				return Status{}, fmt.Errorf("malformed status entry %q", rec)
			}
			path, orig := fields[len(fields)-1], ""
			if rec[0] == '2' {
				// The original path is the next record.
				if i+1 == len(recs) || len(fields) != 10 {
					return Status{}, fmt.Errorf("rename entry without its original path %q", rec)
				}
				i++
				orig = recs[i]
			}
			x, y := fields[1][0], fields[1][1]
			if x != '.' {
				st.Staged = append(st.Staged, FileChange{Path: path, Status: changeName(x), OrigPath: orig})
			}
			if y != '.' {
				st.Unstaged = append(st.Unstaged, FileChange{Path: path, Status: changeName(y)})
			}
		case 'u':
			fields := strings.SplitN(rec, " ", 11)
			if len(fields) != 11 {
				return Status{}, fmt.Errorf("malformed conflict entry %q", rec)
			}
			st.Conflicted = append(st.Conflicted, fields[10])
		case '?':
			if len(rec) < 3 {
				return Status{}, fmt.Errorf("malformed untracked entry %q", rec)
			}
			st.Untracked = append(st.Untracked, rec[2:])
		case '!':
			// ignored files are never asked for
		default:
			return Status{}, fmt.Errorf("unknown status entry %q", rec)
		}
	}
	st.Clean = len(st.Staged)+len(st.Unstaged)+len(st.Untracked)+len(st.Conflicted) == 0
	return st, nil
}

func (st *Status) header(rec string) error {
	key, val, _ := strings.Cut(strings.TrimPrefix(rec, "# "), " ")
	switch key {
	case "branch.oid":
		if val != "(initial)" {
			st.Commit = val
		}
	case "branch.head":
		if val == "(detached)" {
			st.Detached = true
		} else {
			st.Branch = val
		}
	case "branch.upstream":
		st.Upstream = val
	case "branch.ab":
		a, b, ok := strings.Cut(val, " ")
		ahead, err1 := strconv.Atoi(strings.TrimPrefix(a, "+"))
		behind, err2 := strconv.Atoi(strings.TrimPrefix(b, "-"))
		if !ok || err1 != nil || err2 != nil {
			return fmt.Errorf("malformed branch.ab header %q", rec)
		}
		st.Ahead, st.Behind = ahead, behind
	}
	return nil
}

func changeName(c byte) string {
	if n, ok := changeNames[c]; ok {
		return n
	}
	return string(c)
}

// render describes the status for the model.
func (st Status) render() string {
	var b strings.Builder
	switch {
	case st.Detached:
		fmt.Fprintf(&b, "HEAD detached at %s\n", orNone(short(st.Commit)))
	default:
		fmt.Fprintf(&b, "On branch %s", st.Branch)
		if st.Commit == "" {
			b.WriteString(" (no commits yet)")
		}
		b.WriteString("\n")
	}
	if st.Upstream != "" {
		fmt.Fprintf(&b, "Upstream %s: %d ahead, %d behind\n", st.Upstream, st.Ahead, st.Behind)
	}
	if st.Clean {
		b.WriteString("Nothing to commit, working tree clean")
		return b.String()
	}
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s:\n", title)
		for _, it := range items {
			fmt.Fprintf(&b, "  %s\n", it)
		}
	}
	changes := func(cs []FileChange) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = c.Status + ": " + c.Path
			if c.OrigPath != "" {
				out[i] = fmt.Sprintf("%s: %s -> %s", c.Status, c.OrigPath, c.Path)
			}
		}
		return out
	}
	list("Conflicted (unmerged)", st.Conflicted)
	list("Staged", changes(st.Staged))
	list("Not staged", changes(st.Unstaged))
	list("Untracked", st.Untracked)
	return strings.TrimRight(b.String(), "\n")
}

// short abbreviates a commit hash for display.
func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

type statusArgs struct {
	repoPath
	IncludeUntracked *bool `json:"includeUntracked,omitempty" desc:"List untracked files." schema:"default=true"`
}

func (s *Server) status(ctx context.Context, a statusArgs) (ironcurtain.Result, error) {
	r, err := s.openRepo(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if r.bare {
		return ironcurtain.Result{}, toolset.Failf("%s is a bare repository; it has no working tree status", r.dir)
	}
	st, err := s.readStatus(ctx, r, a.IncludeUntracked == nil || *a.IncludeUntracked)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return structuredResult(st.render(), st)
}

// readStatus runs and parses git status.
func (s *Server) readStatus(ctx context.Context, r *repo, untracked bool) (Status, error) {
	mode := "--untracked-files=no"
	if untracked {
		mode = "--untracked-files=all"
	}
	out, err := s.mustGit(ctx, r, "status", "--porcelain=v2", "-z", "--branch", "--ignore-submodules=dirty", mode)
	if err != nil {
		return Status{}, err
	}
	st, err := parseStatus(out.stdout)
	if err != nil {
		return Status{}, fmt.Errorf("git: %w", err)
	}
	return st, nil
}
