package git

import (
	"context"
	"fmt"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// Remote is one remote in the structured content of git_remote list.
// Passwords embedded in URLs are shown as "[redacted]".
type Remote struct {
	Name     string `json:"name"`
	FetchURL string `json:"fetchUrl"`
	PushURL  string `json:"pushUrl"`
}

// parseRemotes parses `git remote -v`: "name<TAB>url (fetch|push)" lines.
func parseRemotes(out string) ([]Remote, error) {
	remotes := []Remote{}
	index := map[string]int{}
	for line := range strings.SplitSeq(strings.TrimRight(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		name, rest, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("malformed remote line %q", line)
		}
		var kind string
		switch {
		case strings.HasSuffix(rest, " (fetch)"):
			kind, rest = "fetch", strings.TrimSuffix(rest, " (fetch)")
		case strings.HasSuffix(rest, " (push)"):
			kind, rest = "push", strings.TrimSuffix(rest, " (push)")
		default:
			return nil, fmt.Errorf("malformed remote line %q", line)
		}
		i, seen := index[name]
		if !seen {
			i = len(remotes)
			index[name] = i
			remotes = append(remotes, Remote{Name: name})
		}
		if kind == "fetch" {
			remotes[i].FetchURL = redactURL(rest)
		} else {
			remotes[i].PushURL = redactURL(rest)
		}
	}
	return remotes, nil
}

type remoteArgs struct {
	repoPath
	Mode    string `json:"mode,omitempty" desc:"Operation." schema:"default=list,enum=list|add|remove|rename|get-url|set-url"`
	Name    string `json:"name,omitempty" desc:"Remote name (all modes but list)."`
	URL     string `json:"url,omitempty" desc:"Remote URL (add, set-url)."`
	NewName string `json:"newName,omitempty" desc:"New name (rename)."`
	Push    bool   `json:"push,omitempty" desc:"get-url, set-url: the push URL instead of the fetch URL." schema:"default=false"`
}

func (s *Server) remoteTool() toolset.Tool {
	return typedTool("git_remote", "Remotes",
		"List remotes, add one, remove or rename one, or get or set a remote's URL (push=true for the push URL). URLs must use a transport the server allows.",
		annDestructive, s.remote)
}

func (s *Server) remote(ctx context.Context, a remoteArgs) (ironcurtain.Result, error) {
	mode := a.Mode
	if mode == "" {
		mode = "list"
	}
	var cmd []string
	switch mode {
	case "list":
		cmd = []string{"remote", "--verbose"}
	case "add", "set-url":
		if err := checkRefName("name", a.Name); err != nil {
			return ironcurtain.Result{}, err
		}
		cmd = []string{"remote", mode}
		if mode == "set-url" && a.Push {
			cmd = append(cmd, "--push")
		}
		cmd = append(cmd, "--end-of-options", a.Name, a.URL)
	case "remove", "get-url":
		if err := checkRefName("name", a.Name); err != nil {
			return ironcurtain.Result{}, err
		}
		cmd = []string{"remote", mode}
		if mode == "get-url" && a.Push {
			cmd = append(cmd, "--push")
		}
		cmd = append(cmd, "--end-of-options", a.Name)
	case "rename":
		if err := checkRefName("name", a.Name); err != nil {
			return ironcurtain.Result{}, err
		}
		if err := checkRefName("newName", a.NewName); err != nil {
			return ironcurtain.Result{}, err
		}
		cmd = []string{"remote", "rename", "--end-of-options", a.Name, a.NewName}
	default:
		return ironcurtain.Result{}, toolset.Failf("unknown mode %q", a.Mode)
	}
	r, err := s.openRepo(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if mode == "add" || mode == "set-url" {
		if _, err := s.checkRemoteURL("url", a.URL, r.dir); err != nil {
			return ironcurtain.Result{}, err
		}
	}
	out, err := s.mustGit(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	switch mode {
	case "list":
		remotes, err := parseRemotes(string(out.stdout))
		if err != nil {
			return ironcurtain.Result{}, fmt.Errorf("git: %w", err)
		}
		var b strings.Builder
		for _, rm := range remotes {
			fmt.Fprintf(&b, "%s\t%s (fetch)\n%s\t%s (push)\n", rm.Name, rm.FetchURL, rm.Name, rm.PushURL)
		}
		if len(remotes) == 0 {
			b.WriteString("No remotes.")
		}
		return structuredResult(strings.TrimRight(b.String(), "\n"), map[string]any{"remotes": remotes})
	case "get-url":
		return textResult(redactURL(strings.TrimSpace(string(out.stdout)))), nil
	case "add":
		return textResult(fmt.Sprintf("Added remote %s (%s).", a.Name, redactURL(a.URL))), nil
	case "set-url":
		return textResult(fmt.Sprintf("Set the URL of %s to %s.", a.Name, redactURL(a.URL))), nil
	case "remove":
		return textResult(fmt.Sprintf("Removed remote %s.", a.Name)), nil
	}
	return textResult(fmt.Sprintf("Renamed remote %s to %s.", a.Name, a.NewName)), nil
}
