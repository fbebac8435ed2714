package jail

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain/internal/realpath"
)

// daemonSockets are the sockets (and socket directories) of container
// daemons: connecting to any of them is root on the host. No grant of a
// jail with Unix sockets may be, contain or lie inside one; see
// checkDaemonSockets.
var daemonSockets = []string{
	"/run/docker.sock", "/var/run/docker.sock", "/run/docker", "/var/run/docker",
	"/run/containerd", "/var/run/containerd", "/run/podman", "/var/run/podman",
	"/run/crio", "/var/run/crio", "/run/buildkit", "/var/run/buildkit",
	"/run/user/0/docker.sock", "/run/user/0/podman",
}

// DaemonSockets returns the container daemons' sockets and socket
// directories that no grant of a jail with UnixSockets may expose:
// Docker's, containerd's, Podman's, CRI-O's and BuildKit's standard
// locations, the rootless ones of the running user, and the socket
// DOCKER_HOST names. The list is a copy.
func DaemonSockets() []string {
	out := slices.Clone(daemonSockets)
	if rt := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(rt) {
		out = append(out, filepath.Join(rt, "docker.sock"), filepath.Join(rt, "podman"), filepath.Join(rt, "containerd"))
	}
	out = append(out, fmt.Sprintf("/run/user/%d/docker.sock", os.Getuid()), fmt.Sprintf("/run/user/%d/podman", os.Getuid()))
	if h, ok := strings.CutPrefix(os.Getenv("DOCKER_HOST"), "unix://"); ok && filepath.IsAbs(h) {
		out = append(out, filepath.Clean(h))
	}
	return out
}

// canonicalSockets checks the UnixSockets entries: absolute paths of a
// socket or a directory, returned with symbolic links resolved and
// without duplicates.
func canonicalSockets(in []string) ([]string, error) {
	out, err := canonicalPaths("UnixSockets", in)
	if err != nil {
		return nil, err
	}
	for _, p := range out {
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, fmt.Errorf("%w: UnixSockets entry %q: %v", ErrPolicy, p, err)
		}
		if t := fi.Mode().Type(); t != fs.ModeSocket && t != fs.ModeDir {
			return nil, fmt.Errorf("%w: UnixSockets entry %q is neither a socket nor a directory", ErrPolicy, p)
		}
	}
	return out, nil
}

// socketDirs are the directories among canonical socket grants.
func socketDirs(unix []string) []string {
	var out []string
	for _, p := range unix {
		if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
			out = append(out, p)
		}
	}
	return out
}

// checkDaemonSockets refuses a grant that is, contains or lies inside a
// daemon's socket or a Protected path, compared as written and with
// symbolic links resolved (/var/run is usually a link to /run), case
// folded.
func checkDaemonSockets(p Policy, granted []string) error {
	var guards []string
	for _, d := range append(DaemonSockets(), p.Protected...) {
		guards = append(guards, filepath.Clean(d))
		if c, err := filepath.EvalSymlinks(d); err == nil {
			guards = append(guards, c)
		} else if c, err := filepath.EvalSymlinks(filepath.Dir(d)); err == nil {
			guards = append(guards, filepath.Join(c, filepath.Base(d)))
		}
	}
	for _, g := range granted {
		fg := realpath.Fold(g)
		for _, d := range guards {
			fd := realpath.Fold(d)
			if realpath.Within(fd, fg) || realpath.Within(fg, fd) {
				return fmt.Errorf("%w: %q would expose the socket %s to a jail that may connect by path", ErrPolicy, g, d)
			}
		}
	}
	return nil
}
