package git

import (
	"context"
	"fmt"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
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

// remote runs one mode of git_remote, each in its own handler: list and
// get-url only read; add and set-url point a remote at a URL, which must
// use an allowed transport; remove and rename change the configuration.
func (s *Server) remote(ctx context.Context, a remoteArgs) (ironcurtain.Result, error) {
	checkName := func() error {
		if a.Mode != "" && a.Mode != "list" {
			return checkRefName("name", a.Name)
		}
		return nil
	}
	return runModeInRepo(ctx, s, a.Path, a.Mode, a, checkName, map[string]func(context.Context, *repo, remoteArgs) (ironcurtain.Result, error){
		"": s.remoteList, "list": s.remoteList, "get-url": s.remoteGetURL,
		"add": s.remoteSetURL, "set-url": s.remoteSetURL, "remove": s.remoteRemove, "rename": s.remoteRename,
	})
}

func (s *Server) remoteList(ctx context.Context, r *repo, _ remoteArgs) (ironcurtain.Result, error) {
	out, err := s.mustGit(ctx, r, "remote", "--verbose")
	if err != nil {
		return ironcurtain.Result{}, err
	}
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
}

// urlCommand is "git remote <mode> [--push] --end-of-options <name>".
func urlCommand(mode string, push bool, name string) []string {
	cmd := []string{"remote", mode}
	if push {
		cmd = append(cmd, "--push")
	}
	return append(cmd, "--end-of-options", name)
}

func (s *Server) remoteGetURL(ctx context.Context, r *repo, a remoteArgs) (ironcurtain.Result, error) {
	out, err := s.mustGit(ctx, r, urlCommand("get-url", a.Push, a.Name)...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return textResult(redactURL(strings.TrimSpace(string(out.stdout)))), nil
}

// remoteSetURL is add and set-url.
func (s *Server) remoteSetURL(ctx context.Context, r *repo, a remoteArgs) (ironcurtain.Result, error) {
	if _, err := s.checkRemoteURL("url", a.URL, r.dir); err != nil {
		return ironcurtain.Result{}, err
	}
	if _, err := s.mustGit(ctx, r, append(urlCommand(a.Mode, a.Mode == "set-url" && a.Push, a.Name), a.URL)...); err != nil {
		return ironcurtain.Result{}, err
	}
	if a.Mode == "add" {
		return textResult(fmt.Sprintf("Added remote %s (%s).", a.Name, redactURL(a.URL))), nil
	}
	return textResult(fmt.Sprintf("Set the URL of %s to %s.", a.Name, redactURL(a.URL))), nil
}

func (s *Server) remoteRemove(ctx context.Context, r *repo, a remoteArgs) (ironcurtain.Result, error) {
	if _, err := s.mustGit(ctx, r, "remote", "remove", "--end-of-options", a.Name); err != nil {
		return ironcurtain.Result{}, err
	}
	return textResult(fmt.Sprintf("Removed remote %s.", a.Name)), nil
}

func (s *Server) remoteRename(ctx context.Context, r *repo, a remoteArgs) (ironcurtain.Result, error) {
	if err := checkRefName("newName", a.NewName); err != nil {
		return ironcurtain.Result{}, err
	}
	if _, err := s.mustGit(ctx, r, "remote", "rename", "--end-of-options", a.Name, a.NewName); err != nil {
		return ironcurtain.Result{}, err
	}
	return textResult(fmt.Sprintf("Renamed remote %s to %s.", a.Name, a.NewName)), nil
}
