// Package gitrepo resolves a repository the way git does — the git
// directory a directory belongs to, its common directory, its work tree and
// every object directory it borrows from — so that a policy can judge the
// locations git will really act on, not only the path it was given.
//
// Everything it reads is written by whoever controls the repository, so it
// reads little and carefully: every file is opened without following a
// final symlink and without blocking (a FIFO is refused, never waited on),
// must be a regular file, and is capped in size. Anything it cannot decide
// is an error; the caller refuses the repository.
//
// It does not follow a repository configuration's include and includeIf
// (which could set core.worktree from another file): it reports that it
// skipped them in [Repo.IncludesSkipped], and the caller must then learn the
// work tree elsewhere (from git itself) or refuse. A quoted alternates line
// is an error.
package gitrepo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ironcurtain-go/ironcurtain/internal/realpath"
)

// Limits on what a repository can make the resolver read.
const (
	maxSmallFile      = 4096    // .git files, commondir
	maxConfigFile     = 1 << 20 // a repository config
	maxAlternatesFile = 64 << 10
	maxAlternateDepth = 5 // git's own limit on nested alternates
	maxObjectDirs     = 64
	maxLevels         = 256
)

// Repo is a resolved repository. Every path is canonical (symlinks
// resolved, absolute, clean).
type Repo struct {
	// GitDir is the repository's own git directory ($GIT_DIR).
	GitDir string
	// CommonDir holds the shared parts (objects, refs, config); it differs
	// from GitDir in a linked worktree.
	CommonDir string
	// WorkTree is the top of the work tree; "" for a bare repository.
	WorkTree string
	// ObjectDirs are the object directories git reads: the repository's
	// own, then every alternate, recursively.
	ObjectDirs []string
	// IncludesSkipped is set when the repository configuration includes
	// other files, which were not read: WorkTree may then be wrong, since
	// an included file can set core.worktree.
	IncludesSkipped bool
}

// Locations returns every location of the repository: git dir, common
// dir, work tree (when any) and object directories, without duplicates.
func (r Repo) Locations() []string {
	var out []string
	add := func(p string) {
		if p == "" {
			return
		}
		for _, have := range out {
			if have == p {
				return
			}
		}
		out = append(out, p)
	}
	add(r.GitDir)
	add(r.CommonDir)
	add(r.WorkTree)
	for _, o := range r.ObjectDirs {
		add(o)
	}
	return out
}

// ErrNotRepository is returned when no repository contains the directory.
var ErrNotRepository = errors.New("gitrepo: not in a git repository")

// Discover finds the repository containing dir as git's discovery does:
// at each level from dir upward, a ".git" directory that is a valid git
// directory, a ".git" file naming one ("gitdir: <path>", relative to the
// file's directory), or the level itself being a bare repository. It does
// not look at ceiling or above it (git's GIT_CEILING_DIRECTORIES); ceiling
// "" means the file system root is the limit. dir must be absolute.
func Discover(dir, ceiling string) (Repo, error) {
	cur, _, err := realpath.Resolve(dir, nil)
	if err != nil {
		return Repo{}, err
	}
	if ceiling != "" {
		if ceiling, _, err = realpath.Resolve(ceiling, nil); err != nil {
			return Repo{}, err
		}
	}
	for range maxLevels {
		if ceiling != "" && !strictlyWithin(cur, ceiling) {
			return Repo{}, ErrNotRepository
		}
		r, found, err := atLevel(cur)
		if err != nil || found {
			return r, err
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return Repo{}, ErrNotRepository
		}
		cur = parent
	}
	return Repo{}, ErrNotRepository
}

func strictlyWithin(p, dir string) bool {
	return p != dir && realpath.Within(p, dir)
}

// atLevel checks one directory of the discovery walk.
func atLevel(dir string) (Repo, bool, error) {
	dotGit := filepath.Join(dir, ".git")
	target, _, err := realpath.Resolve(dotGit, nil)
	if err != nil {
		return Repo{}, false, err
	}
	fi, err := os.Lstat(target)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if valid, err := isGitDir(dir); err != nil || !valid {
			return Repo{}, false, err
		}
		r, err := finish(dir, "", true)
		return r, true, err
	case err != nil:
		return Repo{}, false, err
	case fi.IsDir():
		valid, err := isGitDir(target)
		if err != nil || !valid {
			return Repo{}, false, err
		}
		r, err := finish(target, dir, false)
		return r, true, err
	case fi.Mode().IsRegular():
		data, err := readFile(target, maxSmallFile)
		if err != nil {
			return Repo{}, false, err
		}
		gd, err := parseGitFile(data)
		if err != nil {
			return Repo{}, false, fmt.Errorf("gitrepo: %s: %w", dotGit, err)
		}
		if !filepath.IsAbs(gd) {
			gd = filepath.Join(dir, gd)
		}
		gd, _, err = realpath.Resolve(gd, nil)
		if err != nil {
			return Repo{}, false, err
		}
		if valid, err := isGitDir(gd); err != nil || !valid {
			return Repo{}, false, fmt.Errorf("gitrepo: %s names %s, which is not a git directory", dotGit, gd)
		}
		r, err := finish(gd, dir, false)
		return r, true, err
	default:
		return Repo{}, false, fmt.Errorf("gitrepo: %s is neither a directory nor a regular file", dotGit)
	}
}

// parseGitFile reads the "gitdir: <path>" line of a .git file.
func parseGitFile(data []byte) (string, error) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	rest, ok := bytes.CutPrefix(line, []byte("gitdir: "))
	if !ok || len(rest) == 0 || bytes.IndexByte(rest, 0) >= 0 {
		return "", errors.New("invalid gitfile format")
	}
	return string(rest), nil
}

// isGitDir reports whether dir looks like a git directory to git: HEAD,
// and objects and refs in it or in its common directory. A HEAD or
// commondir that is not a regular file is an error.
func isGitDir(dir string) (bool, error) {
	head := filepath.Join(dir, "HEAD")
	fi, err := os.Lstat(head)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() && fi.Mode()&os.ModeSymlink == 0 {
		return false, fmt.Errorf("gitrepo: %s is not a regular file", head)
	}
	common, err := commonDirOf(dir)
	if err != nil {
		return false, err
	}
	for _, d := range []string{"objects", "refs"} {
		if fi, err := os.Stat(filepath.Join(common, d)); err != nil || !fi.IsDir() {
			return false, nil
		}
	}
	return true, nil
}

// commonDirOf reads gitDir/commondir (relative to gitDir), or returns
// gitDir when there is none.
func commonDirOf(gitDir string) (string, error) {
	p := filepath.Join(gitDir, "commondir")
	data, err := readFile(p, maxSmallFile)
	if errors.Is(err, os.ErrNotExist) {
		return gitDir, nil
	}
	if err != nil {
		return "", err
	}
	c := strings.TrimRight(string(data), "\r\n")
	if c == "" || strings.ContainsAny(c, "\x00\n") {
		return "", fmt.Errorf("gitrepo: %s is malformed", p)
	}
	if !filepath.IsAbs(c) {
		c = filepath.Join(gitDir, c)
	}
	c, _, err = realpath.Resolve(c, nil)
	return c, err
}

// finish completes a repository found at gitDir, whose .git entry sits in
// top ("" for a bare repository).
func finish(gitDir, top string, bare bool) (Repo, error) {
	common, err := commonDirOf(gitDir)
	if err != nil {
		return Repo{}, err
	}
	r := Repo{GitDir: gitDir, CommonDir: common, WorkTree: top}
	wt, set, skipped, err := configWorktree(common, gitDir)
	if err != nil {
		return Repo{}, err
	}
	r.IncludesSkipped = skipped
	if set {
		if !filepath.IsAbs(wt) {
			wt = filepath.Join(gitDir, wt)
		}
		if r.WorkTree, _, err = realpath.Resolve(wt, nil); err != nil {
			return Repo{}, err
		}
	}
	if bare && !set {
		r.WorkTree = ""
	}
	if err := r.addObjects(filepath.Join(common, "objects"), 0); err != nil {
		return Repo{}, err
	}
	return r, nil
}

// addObjects adds an object directory and, recursively, its alternates.
func (r *Repo) addObjects(dir string, depth int) error {
	canon, _, err := realpath.Resolve(dir, nil)
	if err != nil {
		return err
	}
	for _, have := range r.ObjectDirs {
		if have == canon {
			return nil
		}
	}
	if len(r.ObjectDirs) >= maxObjectDirs {
		return fmt.Errorf("gitrepo: more than %d object directories", maxObjectDirs)
	}
	r.ObjectDirs = append(r.ObjectDirs, canon)
	for _, name := range []string{"alternates", "http-alternates"} {
		p := filepath.Join(canon, "info", name)
		data, err := readFile(p, maxAlternatesFile)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if name == "http-alternates" {
			return fmt.Errorf("gitrepo: %s is present; refused", p)
		}
		if depth >= maxAlternateDepth {
			return fmt.Errorf("gitrepo: alternates nest deeper than %d", maxAlternateDepth)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, maxAlternatesFile+1)
		for sc.Scan() {
			line := strings.TrimSuffix(sc.Text(), "\r")
			if line == "" || line[0] == '#' {
				continue
			}
			if line[0] == '"' || strings.ContainsRune(line, 0) {
				return fmt.Errorf("gitrepo: %s has a quoted or malformed line; refused", p)
			}
			if !filepath.IsAbs(line) {
				line = filepath.Join(canon, line)
			}
			if err := r.addObjects(line, depth+1); err != nil {
				return err
			}
		}
		if err := sc.Err(); err != nil {
			return err
		}
	}
	return nil
}

// configWorktree reads core.worktree from the repository configuration
// (common dir config, then the worktree's config.worktree; the last value
// wins, as in git). It reports whether a file includes others, which are
// not read.
func configWorktree(common, gitDir string) (value string, set, skipped bool, err error) {
	for _, p := range []string{filepath.Join(common, "config"), filepath.Join(gitDir, "config.worktree")} {
		data, err := readFile(p, maxConfigFile)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", false, false, err
		}
		v, ok, inc, err := scanWorktree(data)
		if err != nil {
			return "", false, false, fmt.Errorf("gitrepo: %s: %w", p, err)
		}
		skipped = skipped || inc
		if ok {
			value, set = v, true
		}
	}
	return value, set, skipped, nil
}

// scanWorktree finds core.worktree in a config. It reads section headers
// and keys as git does (case-insensitive, BOM skipped); a value it cannot
// read plainly is an error; includes are reported, not followed.
func scanWorktree(data []byte) (value string, set, includes bool, err error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var section string
	for raw := range strings.SplitSeq(string(data), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return "", false, false, errors.New("malformed section header")
			}
			head := strings.TrimSpace(line[1:end])
			name, _, _ := strings.Cut(head, " ")
			name, _, _ = strings.Cut(name, "\t")
			section = strings.ToLower(name)
			if strings.HasPrefix(section, "include") {
				includes = true
			}
			line = strings.TrimSpace(line[end+1:])
			if line == "" || line[0] == '#' || line[0] == ';' {
				continue
			}
		}
		key, val, _ := strings.Cut(line, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if section == "core" && key == "worktree" {
			v := strings.TrimSpace(val)
			if strings.ContainsAny(v, "\\#;") || strings.HasSuffix(strings.TrimRight(raw, "\r"), "\\") {
				return "", false, false, errors.New("core.worktree is written in a form not read here; refused")
			}
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if strings.ContainsRune(v, '"') || v == "" {
				return "", false, false, errors.New("core.worktree is written in a form not read here; refused")
			}
			value, set = v, true
		}
	}
	return value, set, includes, nil
}

// ReadFile reads a regular file of at most limit bytes without blocking on
// a FIFO or device: anything but a regular file, and a larger file, is an
// error (never a truncation). A missing file is [os.ErrNotExist].
func ReadFile(p string, limit int64) ([]byte, error) { return readFile(p, limit) }

// readFile reads a regular file of at most limit bytes without following
// a final symlink and without blocking on a FIFO or device.
func readFile(p string, limit int64) ([]byte, error) {
	fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW|syscall.O_CLOEXEC|syscall.O_NOCTTY, 0)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return nil, os.ErrNotExist
		}
		if errors.Is(err, syscall.ELOOP) {
			// A final symlink: resolve it and read its target instead.
			t, _, rerr := realpath.Resolve(p, nil)
			if rerr != nil || t == p {
				return nil, fmt.Errorf("gitrepo: %s: %v", p, err)
			}
			return readFile(t, limit)
		}
		return nil, fmt.Errorf("gitrepo: %s: %w", p, err)
	}
	f := os.NewFile(uintptr(fd), p)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("gitrepo: %s is not a regular file", p)
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("gitrepo: %s is larger than %d bytes", p, limit)
	}
	// One byte more than the size stat reported, to see a file that grew.
	buf := make([]byte, min(fi.Size(), limit)+1)
	n, err := io.ReadFull(f, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	if n == len(buf) && int64(n) <= limit {
		// It grew while being read: read on, up to the cap.
		rest, err := io.ReadAll(io.LimitReader(f, limit+1-int64(n)))
		if err != nil {
			return nil, err
		}
		buf = append(buf[:n], rest...)
		n = len(buf)
	}
	if int64(n) > limit {
		return nil, fmt.Errorf("gitrepo: %s is larger than %d bytes", p, limit)
	}
	return buf[:n], nil
}
