package git

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/gitrepo"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// repo is a repository the server has located and checked for one call.
type repo struct {
	dir       string // canonical directory git runs in
	top       string // work tree top level; "" for a bare repository
	gitDir    string
	commonDir string
	bare      bool
	ceiling   string
	over      repoOverrides
	watch     *configWatch // the configuration as scanned, held still
	// writesConfig marks the call's invocations as ones that may write
	// the configuration themselves (see configWriters).
	writesConfig bool
}

// location is what `git rev-parse` reports about a directory.
type location struct {
	bare      bool
	inside    bool   // inside a work tree
	gitDir    string // absolute
	commonDir string // as printed: absolute, or relative to the directory
	cdup      string // path from the directory up to the top level
}

// locateArgs are the rev-parse queries parseLocation reads, in order.
var locateArgs = []string{"rev-parse", "--is-bare-repository", "--is-inside-work-tree", "--absolute-git-dir", "--git-common-dir", "--show-cdup"}

// isGitBool reports an answer of rev-parse's --is-* queries.
func isGitBool(s string) bool { return s == "true" || s == "false" }

// parseLocation parses the output of locateArgs: four lines, plus the
// cdup line when the directory is inside a work tree. Anything else (a
// path holding a newline, an unexpected answer) is an error, so the
// caller refuses the repository.
func parseLocation(out string) (location, error) {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 4 || !isGitBool(lines[0]) || !isGitBool(lines[1]) {
		return location{}, fmt.Errorf("unexpected rev-parse output %q", out)
	}
	l := location{bare: lines[0] == "true", inside: lines[1] == "true", gitDir: lines[2], commonDir: lines[3]}
	want := 4
	if l.inside {
		want = 5
	}
	if len(lines) != want || !filepath.IsAbs(l.gitDir) || l.commonDir == "" {
		return location{}, fmt.Errorf("unexpected rev-parse output %q", out)
	}
	if l.inside {
		l.cdup = lines[4]
	}
	return l, nil
}

// openRepo resolves the path argument of a call, checks it and the
// repository it belongs to against the roots, and reads which of the
// repository's configuration keys need overriding. The location query and
// the key listing run in parallel; both only read.
func (s *Server) openRepo(ctx context.Context, pathArg string) (*repo, error) {
	abs, dir, err := s.confineArg(ctx, pathArg)
	if err != nil {
		return nil, err
	}
	if !isDir(dir) {
		return nil, toolset.Failf("there is no directory at %s", abs)
	}
	r := &repo{dir: dir, ceiling: s.ceilingFor(dir)}
	inv := invocation{dir: dir, ceiling: r.ceiling}
	// Resolved independently, as the policy resolves it; checked against
	// git's answer below. Its configuration is recorded before git reads
	// it for the key scan.
	found, foundErr := gitrepo.Discover(dir, r.ceiling)
	if foundErr == nil && !s.unwatched {
		if r.watch, err = watchConfig(found.GitDir, found.CommonDir); err != nil {
			return nil, err
		}
	}

	var (
		wg           sync.WaitGroup
		locOut, kOut output
		locErr, kErr error
	)
	wg.Go(func() {
		i := inv
		i.args = locateArgs
		locOut, locErr = s.exec(ctx, i)
	})
	wg.Go(func() {
		i := inv
		i.args = configScanArgs
		kOut, kErr = s.exec(ctx, i)
	})
	wg.Wait()
	if locErr != nil {
		return nil, locErr
	}
	if !locOut.ok() {
		return nil, toolset.Failf("%s is not in a git repository (or the repository is outside the allowed directories): %s",
			abs, s.clean(locOut.stderr))
	}
	loc, err := parseLocation(string(locOut.stdout))
	if err != nil {
		return nil, toolset.Failf("refused: cannot determine the repository of %s", abs)
	}
	if !loc.bare && !loc.inside {
		return nil, toolset.Failf("%s is inside a .git directory or outside its repository's work tree; name the work tree instead", abs)
	}
	r.bare = loc.bare
	commonDir := loc.commonDir
	if !filepath.IsAbs(commonDir) {
		commonDir = filepath.Join(dir, commonDir)
	}
	check := []*string{&r.gitDir, &r.commonDir}
	r.gitDir, r.commonDir = loc.gitDir, commonDir
	if loc.inside {
		r.top = filepath.Join(dir, loc.cdup)
		check = append(check, &r.top)
	}
	// Every location must lie in the root that holds the directory: the
	// policy judged the call for that root, not for any other the server
	// may use.
	root, _ := rootOf(s.cfg.roots, dir)
	for _, p := range check {
		canon, err := canonical(*p)
		if err != nil || !within(root, canon) {
			return nil, toolset.Failf("refused: the repository at %s keeps its git directory or work tree outside the allowed directory %s", abs, root)
		}
		*p = canon
	}
	// Resolved independently, as the policy resolved it, the repository
	// must be the one git found (the work tree, which an included file
	// can move, is git's own answer, checked above), and every location of it (object
	// directories and alternates included) must lie in the same root.
	if foundErr != nil {
		return nil, toolset.Wrapf(foundErr, "refused: cannot resolve the repository of %s", abs)
	}
	if found.GitDir != r.gitDir || found.CommonDir != r.commonDir || (!r.bare && !found.IncludesSkipped && found.WorkTree != r.top) {
		return nil, toolset.Failf("refused: the repository of %s does not resolve unambiguously", abs)
	}
	for _, loc := range found.Locations() {
		if !within(root, loc) {
			return nil, toolset.Wrapf(errors.New(loc), "refused: the repository at %s uses a directory outside the allowed directory %s (an alternate object store or a git directory elsewhere)", abs, root)
		}
	}

	if kErr != nil {
		return nil, kErr
	}
	if !kOut.ok() {
		return nil, toolset.Failf("cannot read the repository configuration: %s", s.clean(kOut.stderr))
	}
	keys, err := parseConfigKeys(kOut.stdout)
	if err != nil {
		return nil, toolset.Failf("refused: %v", err)
	}
	if err := r.watch.checkKeys(keys); err != nil {
		return nil, err
	}
	if err := r.watch.check(); err != nil {
		return nil, err
	}
	r.over = overridesFor(keys)
	return r, nil
}

// run runs one invocation in r and then checks that the repository's
// configuration is still the one its overrides were derived from. An
// invocation that may write the configuration itself is checked before
// instead, and the configuration is scanned and recorded again after it.
func (s *Server) run(ctx context.Context, r *repo, inv invocation) (output, error) {
	writes := r.watch != nil && (r.writesConfig || slices.Contains(configWriters, subcommand(inv.args)))
	if writes {
		if err := r.watch.check(); err != nil {
			return output{}, err
		}
	}
	out, err := s.exec(ctx, inv)
	if err != nil {
		return out, err
	}
	if writes {
		err = s.rewatch(ctx, r)
	} else {
		err = r.watch.check()
	}
	if err != nil {
		return output{}, err
	}
	return out, nil
}

// rewatch records r's configuration again after git wrote it, and refuses
// one that gained a key the call's overrides do not cover: git's own
// writes (remotes, upstreams) never add one.
func (s *Server) rewatch(ctx context.Context, r *repo) error {
	w, err := watchConfig(r.gitDir, r.commonDir)
	if err != nil {
		return err
	}
	out, err := s.exec(ctx, invocation{dir: r.dir, ceiling: r.ceiling, args: configScanArgs})
	if err != nil {
		return err
	}
	if !out.ok() {
		return toolset.Failf("cannot read the repository configuration: %s", s.clean(out.stderr))
	}
	keys, err := parseConfigKeys(out.stdout)
	if err != nil {
		return toolset.Failf("refused: %v", err)
	}
	if err := w.checkKeys(keys); err != nil {
		return err
	}
	if err := w.check(); err != nil {
		return err
	}
	over := overridesFor(keys)
	for _, e := range over.config {
		if !slices.Contains(r.over.config, e) {
			return toolset.Failf("refused: the repository configuration gained %s while git was running; the call is stopped", e.key)
		}
	}
	for _, k := range over.refuse {
		if !slices.Contains(r.over.refuse, k) {
			return toolset.Failf("refused: the repository configuration gained %s while git was running; the call is stopped", k)
		}
	}
	r.watch = w
	return nil
}

// configScanArgs list the configuration's keys, includes followed.
var configScanArgs = []string{"config", "--list", "--name-only", "-z", "--includes"}

// openWorkRepo is openRepo for tools that change the work tree: it also
// neutralises the configuration of populated submodules.
func (s *Server) openWorkRepo(ctx context.Context, pathArg string) (*repo, error) {
	r, err := s.openRepo(ctx, pathArg)
	if err != nil {
		return nil, err
	}
	if err := s.withSubmodules(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// ceilingFor returns the directory above the root that holds dir, so that
// git's repository discovery never leaves the root.
func (s *Server) ceilingFor(dir string) string {
	root, ok := rootOf(s.cfg.roots, dir)
	if !ok || root == "/" {
		return ""
	}
	return filepath.Dir(root)
}

// git runs one local git command in r.
func (s *Server) git(ctx context.Context, r *repo, args ...string) (output, error) {
	return s.run(ctx, r, invocation{dir: r.dir, ceiling: r.ceiling, config: r.over.config, args: args})
}

// truncatedText runs a read-only command whose output may be cut at the
// cap (show, blame, reflog) in the repository at path, and returns its
// output as text, marked when cut. Empty output is shown as empty, or as
// ifEmpty when that is set.
func (s *Server) truncatedText(ctx context.Context, path string, cmd []string, ifEmpty string) (ironcurtain.Result, error) {
	r, err := s.openRepo(ctx, path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	out, err := s.mustGitTruncating(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	text := strings.TrimRight(string(out.stdout), "\n")
	if ifEmpty != "" && strings.TrimSpace(text) == "" {
		text = ifEmpty
	}
	return textResult(text + truncNote(out, s.cfg.maxOutput)), nil
}

// gitTruncating runs one local git command whose stdout may be cut at the
// cap (log, diff, show, blame: a cut is natural there and is marked).
func (s *Server) gitTruncating(ctx context.Context, r *repo, args ...string) (output, error) {
	return s.run(ctx, r, invocation{dir: r.dir, ceiling: r.ceiling, config: r.over.config, args: args, truncate: true})
}

// mustGitTruncating is gitTruncating with a failure that is not the cap's
// turned into a tool error carrying git's message.
func (s *Server) mustGitTruncating(ctx context.Context, r *repo, args ...string) (output, error) {
	out, err := s.gitTruncating(ctx, r, args...)
	if err == nil && !out.ok() && !out.truncated {
		err = s.gitFailed(args, out)
	}
	return out, err
}

// gitNetwork runs a command that may reach a remote, refusing when the
// repository's configuration would steer the transfer.
func (s *Server) gitNetwork(ctx context.Context, r *repo, args ...string) (output, error) {
	if len(r.over.refuse) > 0 {
		return output{}, toolset.Failf("%s", refusalText(r.over.refuse))
	}
	return s.run(ctx, r, invocation{dir: r.dir, ceiling: r.ceiling, config: r.over.config, args: args, network: true})
}

// mustGitAt opens the repository at path and runs mustGit there.
func (s *Server) mustGitAt(ctx context.Context, path string, args []string) (output, error) {
	r, err := s.openRepo(ctx, path)
	if err != nil {
		return output{}, err
	}
	return s.mustGit(ctx, r, args...)
}

// mustGit runs a local command and turns a non-zero exit into a tool
// error carrying git's message.
func (s *Server) mustGit(ctx context.Context, r *repo, args ...string) (output, error) {
	out, err := s.git(ctx, r, args...)
	if err != nil {
		return out, err
	}
	if !out.ok() {
		return out, s.gitFailed(args, out)
	}
	return out, nil
}
