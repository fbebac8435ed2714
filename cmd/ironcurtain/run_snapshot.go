package main

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// maxSnapshotEntries bounds the entries of a sandbox snapshot: the agent
// decides how many files its sandbox holds.
const maxSnapshotEntries = 100_000

// fileState is what a snapshot keeps of one entry: enough to tell that it
// changed, without opening it.
type fileState struct {
	size  int64
	mtime time.Time
	mode  fs.FileMode
}

// tree is a snapshot of a directory tree: slash-separated paths relative
// to its root, directories with a trailing slash.
type tree struct {
	entries   map[string]fileState
	truncated bool
}

// snapshotTree records the tree under root from directory entries and
// lstat alone: no file is opened (a FIFO the agent left cannot block it)
// and no symbolic link is followed. Past limit entries it stops and marks
// the snapshot truncated. Entries it cannot read are left out.
func snapshotTree(root string, limit int) (tree, error) {
	t := tree{entries: map[string]fileState{}}
	if _, err := os.Lstat(root); err != nil {
		return t, err
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return err
			}
			return nil // unreadable: left out, on both sides alike
		}
		if path == root {
			return nil
		}
		if len(t.entries) >= limit {
			t.truncated = true
			return filepath.SkipAll
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		rel = filepath.ToSlash(rel)
		st := fileState{mode: info.Mode()}
		if d.IsDir() {
			rel += "/"
		} else {
			st.size, st.mtime = info.Size(), info.ModTime()
		}
		t.entries[rel] = st
		return nil
	})
	if errors.Is(err, filepath.SkipAll) {
		err = nil
	}
	return t, err
}

// runChanges is how a sandbox changed during a run.
type runChanges struct {
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Removed []string `json:"removed"`
	// Truncated: a snapshot held more than maxSnapshotEntries entries, so
	// the lists may be incomplete.
	Truncated bool `json:"truncated,omitempty"`
}

// diffTrees lists what was added, changed (size, modification time, mode)
// and removed between two snapshots, each list sorted.
func diffTrees(before, after tree) runChanges {
	c := runChanges{Added: []string{}, Changed: []string{}, Removed: []string{}, Truncated: before.truncated || after.truncated}
	for _, p := range slices.Sorted(maps.Keys(after.entries)) {
		old, ok := before.entries[p]
		switch {
		case !ok:
			c.Added = append(c.Added, p)
		case old.mode != after.entries[p].mode || old.size != after.entries[p].size || !old.mtime.Equal(after.entries[p].mtime):
			c.Changed = append(c.Changed, p)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(before.entries)) {
		if _, ok := after.entries[p]; !ok {
			c.Removed = append(c.Removed, p)
		}
	}
	return c
}
