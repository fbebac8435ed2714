package git

import (
	"context"
	"fmt"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// checkRemoteURL checks a URL the agent names or a configured remote
// resolves to: the transport must be allowed, and a local repository (the
// "file" transport, allowed only when the operator lists it) must lie
// inside the roots, so that no repository elsewhere on the machine can be
// read or written through git.
func (s *Server) checkRemoteURL(what, u, relBase string) (string, error) {
	proto, err := checkURL(what, u, s.cfg.protocols)
	if err != nil {
		return "", err
	}
	if proto != "file" {
		return proto, nil
	}
	p := u
	if rest, ok := strings.CutPrefix(u, "file://"); ok {
		if !strings.HasPrefix(rest, "/") {
			return "", toolset.Failf("%s %q names a host; file URLs must be file:///path", what, u)
		}
		p = rest
	}
	if _, err := s.confine(resolveAgainst(relBase, p)); err != nil {
		return "", toolset.Failf("%s %q is a local repository outside the allowed directories", what, u)
	}
	return proto, nil
}

// resolveRemote checks every URL a remote argument stands for. An empty
// remote means git's default, resolved here (branch.<b>.remote, for pushes
// branch.<b>.pushRemote and remote.pushDefault first, else "origin") so
// that git is always given the remote that was checked. It returns the
// remote to pass to git and whether any URL uses the file transport.
func (s *Server) resolveRemote(ctx context.Context, r *repo, remote string, push bool) (string, bool, error) {
	if remote == "" {
		remote = s.defaultRemote(ctx, r, push)
	}
	if isURLish(remote) {
		proto, err := s.checkRemoteURL("remote", remote, r.dir)
		noteRemote(ctx, remote)
		return remote, proto == "file", err
	}
	if err := checkRefName("remote", remote); err != nil {
		return "", false, err
	}
	cmd := []string{"remote", "get-url", "--all"}
	if push {
		cmd = append(cmd, "--push")
	}
	out, err := s.git(ctx, r, append(cmd, "--end-of-options", remote)...)
	if err != nil {
		return "", false, err
	}
	if !out.ok() {
		return "", false, toolset.Failf("no remote named %q", remote)
	}
	local := false
	for u := range strings.SplitSeq(strings.TrimSpace(string(out.stdout)), "\n") {
		proto, err := s.checkRemoteURL("the URL of remote "+remote, u, r.dir)
		if err != nil {
			return "", false, err
		}
		local = local || proto == "file"
		noteRemote(ctx, u)
	}
	return remote, local, nil
}

// defaultRemote mirrors git's choice of remote when none is named.
func (s *Server) defaultRemote(ctx context.Context, r *repo, push bool) string {
	cur, err := s.git(ctx, r, "branch", "--show-current")
	branch := strings.TrimSpace(string(cur.stdout))
	var keys []string
	if err == nil && branch != "" && push {
		keys = append(keys, "branch."+branch+".pushRemote", "remote.pushDefault")
	} else if push {
		keys = append(keys, "remote.pushDefault")
	}
	if err == nil && branch != "" {
		keys = append(keys, "branch."+branch+".remote")
	}
	for _, k := range keys {
		out, err := s.git(ctx, r, "config", "--get", "--end-of-options", k)
		if v := strings.TrimSpace(string(out.stdout)); err == nil && out.ok() && v != "" && v != "." {
			return v
		}
	}
	return "origin"
}

// receivePack is the receive-pack command for pushes to a local
// repository. git starts it with the configuration overrides cleared, so
// the hooks of the receiving repository would run; these "-c" options
// switch them off there too.
func (s *Server) receivePack() string {
	if s.cfg.enableHooks {
		return "git-receive-pack"
	}
	return "git -c core.hooksPath=" + shellQuote(s.hooks) +
		" -c core.fsmonitor=false -c receive.denyCurrentBranch=refuse -c receive.autogc=false receive-pack"
}

type cloneArgs struct {
	URL    string `json:"url" desc:"Repository URL (https unless the server allows more)."`
	Path   string `json:"path" desc:"Destination directory; must not exist or be empty."`
	Branch string `json:"branch,omitempty" desc:"Branch or tag to check out."`
	Depth  int    `json:"depth,omitempty" desc:"Shallow clone with this many commits." schema:"minimum=1"`
	Bare   bool   `json:"bare,omitempty" desc:"Make a bare repository." schema:"default=false"`
	Mirror bool   `json:"mirror,omitempty" desc:"Make a bare mirror of every ref." schema:"default=false"`
}

func (s *Server) clone(ctx context.Context, a cloneArgs) (ironcurtain.Result, error) {
	if a.Path == "" {
		return ironcurtain.Result{}, toolset.Failf("path (the destination) is required")
	}
	abs, dest, err := s.confineArg(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if empty, err := isEmptyDir(dest); err != nil || !empty {
		return ironcurtain.Result{}, toolset.Failf("destination %s exists and is not an empty directory", abs)
	}
	if _, err := s.checkRemoteURL("url", a.URL, s.home); err != nil {
		return ironcurtain.Result{}, err
	}
	cmd := []string{"clone", "--no-recurse-submodules", "--upload-pack=git-upload-pack"}
	if a.Bare && a.Mirror {
		return ironcurtain.Result{}, toolset.Failf("bare and mirror cannot be combined (a mirror is bare)")
	}
	cmd = append(cmd, firstFlag(a.Bare, "--bare", a.Mirror, "--mirror")...)
	if a.Branch != "" {
		if err := checkRefName("branch", a.Branch); err != nil {
			return ironcurtain.Result{}, err
		}
		cmd = append(cmd, "--branch="+a.Branch)
	}
	cmd = append(cmd, countFlag("--depth=", a.Depth)...)
	cmd = append(cmd, "--end-of-options", a.URL, dest)
	// git runs in the server's own empty home, with discovery stopped
	// there, so no repository around the caller is read.
	out, err := s.exec(withRemotes(ctx, a.URL), invocation{dir: s.home, ceiling: s.base, args: cmd, network: true})
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if !out.ok() {
		return ironcurtain.Result{}, s.gitFailed(cmd, out)
	}
	return structuredResult(fmt.Sprintf("Cloned %s into %s.", redactURL(a.URL), dest),
		map[string]string{"path": dest})
}

type fetchArgs struct {
	repoPath
	Remote string `json:"remote,omitempty" desc:"Remote name or URL."`
	Prune  bool   `json:"prune,omitempty" desc:"Remove remote-tracking branches that no longer exist on the remote." schema:"default=false"`
	Tags   bool   `json:"tags,omitempty" desc:"Fetch every tag." schema:"default=false"`
	Depth  int    `json:"depth,omitempty" desc:"Deepen or shorten a shallow history to this many commits." schema:"minimum=1"`
}

func (s *Server) fetch(ctx context.Context, a fetchArgs) (ironcurtain.Result, error) {
	if err := checkRemoteArg(a.Remote); err != nil {
		return ironcurtain.Result{}, err
	}
	cmd := []string{"fetch", "--no-recurse-submodules", "--upload-pack=git-upload-pack"}
	cmd = append(cmd, boolFlag(a.Prune, "--prune")...)
	cmd = append(cmd, boolFlag(a.Tags, "--tags")...)
	cmd = append(cmd, countFlag("--depth=", a.Depth)...)
	ctx = withRemotes(ctx)
	r, remote, _, err := s.openRemote(ctx, a.Path, a.Remote, false, false)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	cmd = append(cmd, "--end-of-options", remote)
	out, err := s.gitNetwork(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if !out.ok() {
		return ironcurtain.Result{}, s.gitFailed(cmd, out)
	}
	text := strings.TrimSpace(s.clean(out.stderr) + "\n" + s.clean(out.stdout))
	if text == "" {
		text = "Already up to date with " + remote + "."
	}
	return textResult(text), nil
}

// openRemote opens the repository at path for a transfer (with its work
// tree neutralised too when work is set) and resolves its remote argument
// (see resolveRemote).
func (s *Server) openRemote(ctx context.Context, path, remoteArg string, work, push bool) (r *repo, remote string, local bool, err error) {
	if work {
		r, err = s.openWorkRepo(ctx, path)
	} else {
		r, err = s.openRepo(ctx, path)
	}
	if err != nil {
		return nil, "", false, err
	}
	remote, local, err = s.resolveRemote(ctx, r, remoteArg, push)
	return r, remote, local, err
}

// checkRemoteArg refuses a dash-leading or NUL-holding remote before any
// repository work; resolveRemote checks the rest.
func checkRemoteArg(remote string) error {
	if remote == "" {
		return nil
	}
	if err := checkNotOption("remote", remote); err != nil {
		return err
	}
	return nil
}

type pullArgs struct {
	repoPath
	Remote          string `json:"remote,omitempty" desc:"Remote name or URL (default: the current branch's remote, else origin)."`
	Branch          string `json:"branch,omitempty" desc:"Remote branch to integrate (default: the current branch's upstream)."`
	Rebase          bool   `json:"rebase,omitempty" desc:"Rebase local commits onto the fetched branch instead of merging." schema:"default=false"`
	FastForwardOnly bool   `json:"fastForwardOnly,omitempty" desc:"Refuse unless the branch can be fast-forwarded." schema:"default=false"`
}

func (s *Server) pull(ctx context.Context, a pullArgs) (ironcurtain.Result, error) {
	if err := checkRemoteArg(a.Remote); err != nil {
		return ironcurtain.Result{}, err
	}
	cmd := []string{"pull", "--no-recurse-submodules", "--upload-pack=git-upload-pack", "--no-edit", "--no-gpg-sign"}
	switch {
	case a.Rebase:
		cmd = append(cmd, "--rebase")
	case !a.FastForwardOnly:
		cmd = append(cmd, "--no-rebase")
	}
	cmd = append(cmd, boolFlag(a.FastForwardOnly, "--ff-only")...)
	if a.Branch != "" {
		if err := checkRefName("branch", a.Branch); err != nil {
			return ironcurtain.Result{}, err
		}
	}
	ctx = withRemotes(ctx)
	r, remote, _, err := s.openRemote(ctx, a.Path, a.Remote, true, false)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	cmd = append(cmd, "--end-of-options", remote)
	if a.Branch != "" {
		cmd = append(cmd, a.Branch)
	}
	out, err := s.gitNetwork(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	next := "Resolve the conflicts, stage the files with git_add and finish with git_commit, or call git_merge with abort=true."
	if a.Rebase {
		next = "Resolve the conflicts and stage the files with git_add, then call git_rebase with mode=continue, or mode=abort."
	}
	return s.outcome(ctx, r, cmd, out, next)
}

type pushArgs struct {
	repoPath
	Remote         string `json:"remote,omitempty" desc:"Remote name or URL."`
	Branch         string `json:"branch,omitempty" desc:"Local branch to push."`
	Force          bool   `json:"force,omitempty" desc:"Overwrite the remote branch even if history diverges." schema:"default=false"`
	ForceWithLease bool   `json:"forceWithLease,omitempty" desc:"Overwrite only if the remote branch is where this repository last saw it." schema:"default=false"`
	SetUpstream    bool   `json:"setUpstream,omitempty" desc:"Make the remote branch the upstream of the local one." schema:"default=false"`
	Tags           bool   `json:"tags,omitempty" desc:"Also push every tag." schema:"default=false"`
	DryRun         bool   `json:"dryRun,omitempty" desc:"Show what would be pushed without pushing." schema:"default=false"`
	Delete         bool   `json:"delete,omitempty" desc:"Delete remoteBranch (or branch) on the remote." schema:"default=false"`
	RemoteBranch   string `json:"remoteBranch,omitempty" desc:"Branch name on the remote."`
	Confirmed      bool   `json:"confirmed,omitempty" desc:"Confirms a force push or a deletion." schema:"default=false"`
}

func (s *Server) push(ctx context.Context, a pushArgs) (ironcurtain.Result, error) {
	if err := checkRemoteArg(a.Remote); err != nil {
		return ironcurtain.Result{}, err
	}
	if (a.Force || a.ForceWithLease || a.Delete) && !a.Confirmed {
		return ironcurtain.Result{}, toolset.Failf("force pushes and deletions rewrite or remove the remote's history; call again with confirmed=true if that is intended")
	}
	for _, b := range []struct{ name, v string }{{"branch", a.Branch}, {"remoteBranch", a.RemoteBranch}} {
		if b.v != "" && b.v != "HEAD" {
			if err := checkRefName(b.name, b.v); err != nil {
				return ironcurtain.Result{}, err
			}
		}
	}
	cmd := []string{"push", "--no-recurse-submodules"}
	cmd = append(cmd, firstFlag(a.Force, "--force", a.ForceWithLease, "--force-with-lease")...)
	cmd = append(cmd, boolFlag(a.SetUpstream, "--set-upstream")...)
	cmd = append(cmd, boolFlag(a.Tags, "--tags")...)
	cmd = append(cmd, boolFlag(a.DryRun, "--dry-run")...)
	var refspec []string
	switch {
	case a.Delete:
		target := a.RemoteBranch
		if target == "" {
			target = a.Branch
		}
		if target == "" || target == "HEAD" {
			return ironcurtain.Result{}, toolset.Failf("delete needs remoteBranch (or branch) naming the remote branch")
		}
		cmd = append(cmd, "--delete")
		refspec = []string{target}
	case a.Branch != "" && a.RemoteBranch != "":
		refspec = []string{a.Branch + ":refs/heads/" + a.RemoteBranch}
	case a.Branch != "":
		refspec = []string{a.Branch}
	case a.RemoteBranch != "":
		refspec = []string{"HEAD:refs/heads/" + a.RemoteBranch}
	case a.SetUpstream:
		refspec = []string{"HEAD"}
	}
	ctx = withRemotes(ctx)
	r, remote, local, err := s.openRemote(ctx, a.Path, a.Remote, false, true)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if local {
		cmd = append(cmd, "--receive-pack="+s.receivePack())
	}
	cmd = append(append(cmd, "--end-of-options", remote), refspec...)
	out, err := s.gitNetwork(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if !out.ok() {
		return ironcurtain.Result{}, s.gitFailed(cmd, out)
	}
	return textResult(orNone(strings.TrimSpace(s.clean(out.stderr) + "\n" + s.clean(out.stdout)))), nil
}
