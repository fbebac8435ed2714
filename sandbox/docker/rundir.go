package docker

import (
	"fmt"
	"os"
	"path/filepath"
)

// maxSocketPath is the longest Unix socket path Linux and macOS accept,
// less the terminating NUL.
const maxSocketPath = 103

// runDir is one run's directory on the host, mounted read-only at RunDir:
// the sockets, the CA certificate, the task and the adapter's files. It is
// mode 0700 and belongs to the agent's user, so that the agent can reach
// the sockets in it. It sits in a directory of mode 0700 that belongs to
// this process: no other user of the host — one that happens to share the
// agent's uid, nobody, included — can get to it. The container sees only
// the run directory itself, as the root of its mount.
type runDir struct {
	root     string // the private parent, removed with everything in it
	path     string
	uid, gid int
	chown    bool
}

func newRunDir(s *settings, runID string) (*runDir, error) {
	root, err := os.MkdirTemp(s.RunDir, "ic-"+runID[:8]+"-")
	if err != nil {
		return nil, fmt.Errorf("docker: run directory: %w", err)
	}
	d := &runDir{root: root, path: filepath.Join(root, "r"), uid: s.uid, gid: s.gid, chown: s.chown}
	if n := len(d.socket(mcpSocketName)); n > maxSocketPath {
		d.remove()
		return nil, fmt.Errorf("docker: socket paths under %s would be %d bytes, over the limit of %d; set Options.RunDir to a shorter directory", s.RunDir, n, maxSocketPath)
	}
	for _, p := range []string{d.path, filepath.Join(d.path, filesDirName)} {
		if err := os.Mkdir(p, 0o700); err != nil {
			d.remove()
			return nil, err
		}
		if err := d.give(p); err != nil {
			d.remove()
			return nil, err
		}
	}
	return d, nil
}

func (d *runDir) socket(name string) string { return filepath.Join(d.path, name) }

// give hands a file to the agent's user when the process is root.
func (d *runDir) give(path string) error {
	if !d.chown {
		return nil
	}
	if err := os.Lchown(path, d.uid, d.gid); err != nil {
		return fmt.Errorf("docker: giving %s to the agent's user: %w", path, err)
	}
	return nil
}

// write stores a file the agent may read (mode 0644; the directories keep
// everyone else out).
func (d *runDir) write(rel string, data []byte) error {
	p := filepath.Join(d.path, rel)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return fmt.Errorf("docker: writing %s: %w", rel, err)
	}
	return d.give(p)
}

func (d *runDir) remove() { os.RemoveAll(d.root) }
