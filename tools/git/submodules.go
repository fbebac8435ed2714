package git

import (
	"bytes"
	"context"
	"os"
	"path/filepath"

	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// Several commands (add -A/-u, stash) check a populated submodule for
// changes by running `git status` inside it. That child reads the
// submodule's own configuration, which the superproject's key scan never
// saw, so a filter defined there would run. Before such commands the
// server finds the populated submodules (gitlinks in the index whose
// directory holds a .git), scans their configuration the same way, and
// adds the overrides: the child inherits them through GIT_CONFIG_COUNT.
// status and diff need no scan: they get --ignore-submodules=dirty.

const (
	maxSubmodules     = 64 // populated submodules scanned per call
	maxSubmoduleDepth = 4  // nesting depth scanned
	maxIndexRecord    = 64 << 10
)

// gitlinkCollector receives `git ls-files --stage -z` and keeps only the
// paths of gitlinks, so an index of any size costs little memory.
type gitlinkCollector struct {
	partial []byte
	skip    bool // inside an over-long record
	paths   []string
	tooMany bool
}

func (g *gitlinkCollector) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, 0)
		if i < 0 {
			if !g.skip {
				g.partial = append(g.partial, p...)
				if len(g.partial) > maxIndexRecord {
					g.partial, g.skip = g.partial[:0], true
				}
			}
			break
		}
		if !g.skip && len(g.partial)+i <= maxIndexRecord {
			rec := append(g.partial, p[:i]...)
			if path, ok := parseGitlink(rec); ok {
				if len(g.paths) == maxSubmodules {
					g.tooMany = true
				} else {
					g.paths = append(g.paths, path)
				}
			}
		}
		g.partial, g.skip = g.partial[:0], false
		p = p[i+1:]
	}
	return n, nil
}

// parseGitlink reads one `ls-files --stage` record, "<mode> <oid>
// <stage>\t<path>", and returns the path of a gitlink (mode 160000).
func parseGitlink(rec []byte) (string, bool) {
	rest, ok := bytes.CutPrefix(rec, []byte("160000 "))
	if !ok {
		return "", false
	}
	_, path, ok := bytes.Cut(rest, []byte("\t"))
	if !ok || len(path) == 0 {
		return "", false
	}
	return string(path), true
}

// withSubmodules adds the overrides the configuration of every populated
// submodule of r calls for. It fails closed: a submodule outside the roots,
// or more submodules than the limits allow, refuses the call.
func (s *Server) withSubmodules(ctx context.Context, r *repo) error {
	if r.bare || r.top == "" {
		return nil
	}
	seen := 0
	var walk func(top string, depth int) error
	walk = func(top string, depth int) error {
		g := &gitlinkCollector{}
		out, err := s.run(ctx, r, invocation{dir: top, ceiling: filepath.Dir(top), config: r.over.config,
			args: []string{"ls-files", "--stage", "-z"}, stdout: g})
		if err != nil {
			return err
		}
		if !out.ok() {
			return s.gitFailed([]string{"ls-files"}, out)
		}
		if g.tooMany {
			return toolset.Failf("refused: the repository has more than %d submodules", maxSubmodules)
		}
		for _, p := range g.paths {
			dir := filepath.Join(top, p)
			if _, err := os.Lstat(filepath.Join(dir, ".git")); err != nil {
				continue // not populated: git does not look inside
			}
			canon, err := canonical(dir)
			if err != nil || !withinAny(s.cfg.roots, canon) {
				return toolset.Failf("refused: submodule %s lies outside the allowed directories", p)
			}
			if seen++; seen > maxSubmodules || depth >= maxSubmoduleDepth {
				return toolset.Failf("refused: the repository's submodules are nested too deeply or too many")
			}
			keys, err := s.exec(ctx, invocation{dir: canon, ceiling: filepath.Dir(canon), config: r.over.config,
				args: []string{"config", "--list", "--name-only", "-z", "--includes"}})
			if err != nil {
				return err
			}
			if !keys.ok() {
				return toolset.Failf("refused: cannot read the configuration of submodule %s: %s", p, s.clean(keys.stderr))
			}
			names, err := parseConfigKeys(keys.stdout)
			if err != nil {
				return toolset.Failf("refused: submodule %s: %v", p, err)
			}
			r.over.config = mergeOverrides(r.over.config, overridesFor(names).config)
			if err := walk(canon, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(r.top, 0)
}

// mergeOverrides appends the entries of add whose keys are not in base.
func mergeOverrides(base, add []configEntry) []configEntry {
	have := make(map[string]bool, len(base))
	for _, e := range base {
		have[e.key] = true
	}
	for _, e := range add {
		if !have[e.key] {
			have[e.key] = true
			base = append(base, e)
		}
	}
	return base
}
