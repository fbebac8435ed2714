package docker

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The ownership pass gives the agent's user what a call made in the
// workspace, and nothing else: not what was there before, not what lies
// behind a link, not anything outside the workspace; a FIFO does not
// block it.
func TestChownerAdopt(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing owners needs root; the pass runs only when the process is root")
	}
	base := t.TempDir()
	ws := filepath.Join(base, "ws")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{ws, outside, filepath.Join(ws, "repo")} {
		require.NoError(t, os.Mkdir(d, 0o755))
	}
	old := filepath.Join(ws, "repo", "old")
	require.NoError(t, os.WriteFile(old, nil, 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(ws, "link")))
	c := &chowner{uid: 4242, gid: 4243, roots: []string{ws}}
	// The mark is taken once the clock has passed the old file's birth.
	var st unix.Statx_t
	require.NoError(t, unix.Statx(unix.AT_FDCWD, old, 0, unix.STATX_BTIME, &st))
	require.NotZero(t, st.Mask&unix.STATX_BTIME, "the file system keeps birth times")
	mark := c.mark()
	for mark.sec < st.Btime.Sec || (mark.sec == st.Btime.Sec && mark.nsec <= int64(st.Btime.Nsec)) {
		mark = c.mark()
	}
	made := []string{
		filepath.Join(ws, "new"), filepath.Join(ws, "new", "deep"), filepath.Join(ws, "new", "deep", "f"),
		filepath.Join(ws, "repo", "objects"), filepath.Join(ws, "repo", "objects", "ab"),
	}
	for _, p := range made {
		if filepath.Base(p) == "f" {
			require.NoError(t, os.WriteFile(p, nil, 0o644))
		} else {
			require.NoError(t, os.Mkdir(p, 0o755))
		}
	}
	require.NoError(t, syscall.Mkfifo(filepath.Join(ws, "repo", "fifo"), 0o644))
	behind := filepath.Join(outside, "made-behind-link")
	require.NoError(t, os.WriteFile(behind, nil, 0o644))
	sibling := filepath.Join(base, "ws2")
	require.NoError(t, os.Mkdir(sibling, 0o755))

	done := make(chan struct{})
	go func() {
		c.adopt(mark, []string{
			filepath.Join(ws, "new", "deep", "f"), // a new file in new directories
			"repo",                                // a directory that was there, written in
			filepath.Join(ws, "link", "made-behind-link"),
			"link/made-behind-link",
			filepath.Join(ws, "..", "outside", "made-behind-link"),
			"../ws2",
			sibling,
			filepath.Join(ws, "new\x00"),
		})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the pass blocked")
	}
	for _, p := range append(made, filepath.Join(ws, "repo", "fifo")) {
		require.Equal(t, 4242, ownerOf(t, p), p)
	}
	for _, p := range []string{old, ws, filepath.Join(ws, "repo"), filepath.Join(ws, "link"), behind, outside, sibling} {
		require.Equal(t, 0, ownerOf(t, p), p)
	}
}
