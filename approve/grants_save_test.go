package approve

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// failingFile writes half of what it is given and then fails, as a full disk
// would; or fails its sync.
type failingFile struct {
	*os.File
	failWrite, failSync bool
}

func (f *failingFile) Write(b []byte) (int, error) {
	if !f.failWrite {
		return f.File.Write(b)
	}
	n, _ := f.File.Write(b[:len(b)/2])
	return n, errors.New("no space left on device")
}

func (f *failingFile) Sync() error {
	if f.failSync {
		return errors.New("input/output error")
	}
	return f.File.Sync()
}

// A write or sync that fails while grants are saved leaves the saved grants
// as they were, and the caller learns of it.
func TestGrantsSaveFailureKeepsFile(t *testing.T) {
	for _, tc := range []struct {
		name                string
		failWrite, failSync bool
	}{{"write", true, false}, {"sync", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "grants.json")
			clk := newClock()
			g, err := NewGrants(GrantsOptions{Path: path, Now: clk.Now})
			require.NoError(t, err)
			esc := escalation(pathRes("write-path", "/w/a.txt"))
			_, err = g.add(esc, ironcurtain.Grant{Scopes: []ironcurtain.Scope{dirW}, TTL: time.Hour}, "terminal")
			require.NoError(t, err)
			before, err := os.ReadFile(path)
			require.NoError(t, err)

			g.createTemp = func(dir, pattern string) (tempFile, error) {
				f, err := os.CreateTemp(dir, pattern)
				if err != nil {
					return nil, err
				}
				return &failingFile{File: f, failWrite: tc.failWrite, failSync: tc.failSync}, nil
			}
			esc.Call.ID = "c2"
			_, err = g.add(esc, ironcurtain.Grant{Scopes: []ironcurtain.Scope{dirW}, TTL: 2 * time.Hour}, "terminal")
			require.Error(t, err, "a failed save is reported")

			after, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, string(before), string(after), "the saved grants are unchanged")
			left, err := filepath.Glob(filepath.Join(dir, ".grants-*"))
			require.NoError(t, err)
			require.Empty(t, left, "no temporary file is left behind")

			reloaded, err := NewGrants(GrantsOptions{Path: path, Now: clk.Now})
			require.NoError(t, err)
			require.Len(t, reloaded.Live(), 1)
		})
	}
}
