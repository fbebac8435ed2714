package git

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain/internal/gitrepo"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// The overrides of a call come from a scan of the repository's
// configuration; git reads the configuration again each time it starts.
// Whoever can write the repository meanwhile (the agent in Docker Mode,
// a concurrent call) could name a program between the two reads. In the
// jail nothing but git's own programs can execute, so such a program
// cannot start. Without the jail, the server holds the configuration
// still instead, as far as it can: before the scan it records the
// identity and content of every configuration file git reads for the
// repository (the common config, the worktree config), and after the
// scan and after every git invocation of the call it compares them
// again. Any difference stops the call with an error, and its output is
// withheld. A configuration that includes other files is refused: the
// set of files git reads would then be the configuration's to choose.
//
// This detects a change after the fact: without the jail, a program
// named by a change made while git ran may already have run once the
// difference is seen. What it guarantees is that the call never
// succeeds on such a change, and that no later invocation of the call
// runs under it.

// configWriters are the subcommands the server runs that may write the
// repository configuration themselves (remotes, upstreams, a new
// worktree's tracking branch); git_checkout marks the invocations that
// may create a tracking branch (repo.writesConfig). Around them the watch
// cannot compare: it checks before, and records and scans again after,
// refusing keys the call's overrides do not cover. A change made while
// such a command runs and undone before it ends is not seen. Of these,
// only checkout and worktree add run programs a repository can name
// (smudge filters): without the jail, that window remains for them.
var configWriters = []string{"branch", "remote", "push", "config", "init", "worktree"}

// maxWatchedConfig bounds a configuration file the server holds still.
const maxWatchedConfig = 1 << 20

// fileState is what the server recorded of one configuration file.
type fileState struct {
	path   string
	exists bool
	link   fileID // the path itself (lstat)
	target fileID // what it leads to (stat)
	sum    [sha256.Size]byte
}

// configWatch is the recorded state of a repository's configuration.
type configWatch struct {
	files []fileState
}

// stateOf records path as git would read it. A file that is not regular
// (a FIFO, a device, a directory) or is too large is an error.
func stateOf(path string) (fileState, error) {
	st := fileState{path: path}
	li, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	ti, err := os.Stat(path)
	if err != nil {
		return st, err
	}
	if !ti.Mode().IsRegular() {
		return st, fmt.Errorf("%s is not a regular file: %w", path, errNotRegular)
	}
	b, err := gitrepo.ReadFile(path, maxWatchedConfig)
	if err != nil {
		return st, err
	}
	st.exists, st.link, st.target, st.sum = true, idOf(li), idOf(ti), sha256.Sum256(b)
	return st, nil
}

// watchConfig records the configuration files of the repository whose
// git directory and common directory are given.
func watchConfig(gitDir, commonDir string) (*configWatch, error) {
	w := &configWatch{}
	paths := []string{filepath.Join(commonDir, "config"), filepath.Join(gitDir, "config.worktree")}
	for _, p := range slices.Compact(paths) {
		st, err := stateOf(p)
		if err != nil {
			return nil, toolset.Wrapf(err, "refused: cannot read the repository configuration (%s): %s", filepath.Base(p), pathReason(err))
		}
		w.files = append(w.files, st)
	}
	return w, nil
}

// checkKeys refuses configuration the watch cannot hold still: included
// files, and a worktree configuration in use but absent (it could appear
// and vanish while git runs).
func (w *configWatch) checkKeys(keys []string) error {
	for _, k := range keys {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "include.") || strings.HasPrefix(lk, "includeif.") {
			return toolset.Failf("refused: the repository configuration includes other files (%s); the server acts only on "+
				"a repository whose configuration is one file it can hold still during the call", k)
		}
		if lk == "extensions.worktreeconfig" && len(w.files) > 1 && !w.files[1].exists {
			return toolset.Failf("refused: the repository uses a worktree configuration (extensions.worktreeConfig) but " +
				"has none; create it (git config --worktree) or turn the extension off")
		}
	}
	return nil
}

// check reports a configuration file that changed since it was
// recorded, as a tool error.
func (w *configWatch) check() error {
	if w == nil {
		return nil
	}
	for _, old := range w.files {
		now, err := stateOf(old.path)
		if err != nil || now != old {
			return toolset.Failf("refused: the repository configuration (%s) changed while git was running; the call is "+
				"stopped and its result withheld, since git may have read settings the server did not neutralise",
				filepath.Base(old.path))
		}
	}
	return nil
}
