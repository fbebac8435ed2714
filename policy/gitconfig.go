package policy

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ironcurtain-go/ironcurtain/internal/gitrepo"
)

// Limits on what a repository's configuration may make the engine read. The
// configuration is written by whoever controls the repository — possibly
// the agent — so it is hostile input.
const (
	maxConfigBytes  = 1 << 20
	maxIncludeDepth = 10
	maxConfigFiles  = 64
)

// gitEntry is one "section.subsection.key = value" line of a git config.
type gitEntry struct {
	section, subsection, key, value string
}

// parseGitConfig parses git's configuration syntax: sections, quoted and
// dotted subsections, quoted values with escapes, line continuations and
// comments. Section and key names are lower-cased; quoted subsections keep
// their case, as in git.
func parseGitConfig(data []byte) ([]gitEntry, error) {
	// git skips a UTF-8 byte order mark at the start of a file.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var out []gitEntry
	var section, subsection string
	p := &cfgParser{data: data}
	for {
		p.skipSpaceAndComments()
		if p.eof() {
			return out, nil
		}
		if p.peek() == '[' {
			var err error
			section, subsection, err = p.header()
			if err != nil {
				return nil, err
			}
			continue
		}
		if section == "" {
			return nil, fmt.Errorf("line %d: key outside any section", p.line)
		}
		key, value, err := p.keyValue()
		if err != nil {
			return nil, err
		}
		out = append(out, gitEntry{section, subsection, key, value})
	}
}

type cfgParser struct {
	data []byte
	pos  int
	line int
}

func (p *cfgParser) eof() bool  { return p.pos >= len(p.data) }
func (p *cfgParser) peek() byte { return p.data[p.pos] }

func (p *cfgParser) skipSpaceAndComments() {
	for !p.eof() {
		switch c := p.peek(); {
		case c == '\n':
			p.line++
			p.pos++
		case c == ' ' || c == '\t' || c == '\r':
			p.pos++
		case c == '#' || c == ';':
			for !p.eof() && p.peek() != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

// name reads a run of key characters (with dots in a section's name), lower-cased.
func (p *cfgParser) name(section bool) string {
	start := p.pos
	for !p.eof() && isKeyChar(p.peek(), section) {
		p.pos++
	}
	return strings.ToLower(string(p.data[start:p.pos]))
}

// skipBlanks moves past spaces and tabs.
func (p *cfgParser) skipBlanks() {
	for !p.eof() && (p.peek() == ' ' || p.peek() == '\t') {
		p.pos++
	}
}

func (p *cfgParser) header() (section, subsection string, err error) {
	p.pos++ // '['
	section = p.name(true)
	if section == "" {
		return "", "", fmt.Errorf("line %d: empty section name", p.line)
	}
	if i := strings.IndexByte(section, '.'); i >= 0 {
		// Legacy [section.subsection]: the subsection is lower-cased.
		section, subsection = section[:i], section[i+1:]
	}
	p.skipBlanks()
	if !p.eof() && p.peek() == '"' {
		p.pos++
		var b strings.Builder
		for {
			if p.eof() || p.peek() == '\n' {
				return "", "", fmt.Errorf("line %d: unterminated subsection", p.line)
			}
			c := p.peek()
			p.pos++
			if c == '"' {
				break
			}
			if c == '\\' {
				if p.eof() || p.peek() == '\n' {
					return "", "", fmt.Errorf("line %d: bad escape", p.line)
				}
				c = p.peek()
				p.pos++
			}
			b.WriteByte(c)
		}
		subsection = b.String()
	}
	if p.eof() || p.peek() != ']' {
		return "", "", fmt.Errorf("line %d: malformed section header", p.line)
	}
	p.pos++
	return section, subsection, nil
}

func isKeyChar(c byte, section bool) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || (section && c == '.')
}

func (p *cfgParser) keyValue() (key, value string, err error) {
	key = p.name(false)
	if key == "" {
		return "", "", fmt.Errorf("line %d: invalid key", p.line)
	}
	p.skipBlanks()
	if p.eof() || p.peek() == '\n' || p.peek() == '#' || p.peek() == ';' || p.peek() == '\r' {
		return key, "true", nil // a bare key is boolean true
	}
	if p.peek() != '=' {
		return "", "", fmt.Errorf("line %d: expected '=' after %s", p.line, key)
	}
	p.pos++
	var b strings.Builder
	quoted := false
	pendingSpace := 0
	for !p.eof() {
		c := p.peek()
		if c == '\n' {
			if quoted {
				return "", "", fmt.Errorf("line %d: unterminated quote", p.line)
			}
			break
		}
		p.pos++
		switch {
		case !quoted && (c == '#' || c == ';'):
			for !p.eof() && p.peek() != '\n' {
				p.pos++
			}
		case c == '"':
			quoted = !quoted
		case c == '\\':
			if p.eof() {
				return "", "", fmt.Errorf("line %d: bad escape", p.line)
			}
			e := p.peek()
			p.pos++
			switch e {
			case '\n':
				p.line++ // continuation
				continue
			case 'n':
				e = '\n'
			case 't':
				e = '\t'
			case 'b':
				e = '\b'
			case '\\', '"':
			default:
				return "", "", fmt.Errorf("line %d: bad escape \\%c", p.line, e)
			}
			b.WriteString(strings.Repeat(" ", pendingSpace))
			pendingSpace = 0
			b.WriteByte(e)
		case !quoted && (c == ' ' || c == '\t' || c == '\r'):
			if b.Len() > 0 {
				pendingSpace++
			}
		default:
			b.WriteString(strings.Repeat(" ", pendingSpace))
			pendingSpace = 0
			b.WriteByte(c)
		}
	}
	return key, b.String(), nil
}

// gitConfig is a repository's configuration: the entries of its config
// files and everything they include, in order.
type gitConfig struct {
	entries []gitEntry
	gitDir  string
}

// all returns every value of section.subsection.key, in order.
func (c *gitConfig) all(section, subsection, key string) []string {
	var out []string
	for _, e := range c.entries {
		if e.section == section && e.subsection == subsection && e.key == key {
			out = append(out, e.value)
		}
	}
	return out
}

// rewrite applies url.<base>.<kind> (insteadOf or pushInsteadOf): the
// longest matching prefix wins, as in git. It reports false if no rule
// applies.
//
// Among equally long prefixes, git prefers the base (url.<base>) that
// appears first in the configuration, whichever entry names it.
func (c *gitConfig) rewrite(u, kind string) (string, bool) {
	best, bestLen := "", -1
	var bases []string
	for _, e := range c.entries {
		if e.section == "url" && e.key == kind && !slices.Contains(bases, e.subsection) {
			bases = append(bases, e.subsection)
		}
	}
	for _, base := range bases {
		for _, e := range c.entries {
			if e.section == "url" && e.subsection == base && e.key == kind && strings.HasPrefix(u, e.value) && len(e.value) > bestLen {
				best, bestLen = e.subsection, len(e.value)
			}
		}
	}
	if bestLen < 0 {
		return "", false
	}
	return best + u[bestLen:], true
}

// remoteURLs returns every URL a git operation on the named remote or
// explicit URL could contact: fetch and push URLs, before and after
// insteadOf and pushInsteadOf rewriting. The policy requires all of them to
// pass. It reports false when name is neither a configured remote nor
// something that looks like a URL.
func (c *gitConfig) remoteURLs(name string) []string {
	var urls []string
	add := func(u string) {
		for _, have := range urls {
			if have == u {
				return
			}
		}
		urls = append(urls, u)
	}
	expand := func(u string, push bool) {
		add(u)
		for _, r := range c.rewrites(u, "insteadof") {
			add(r)
		}
		if push {
			for _, r := range c.rewrites(u, "pushinsteadof") {
				add(r)
			}
		}
	}
	fetch := c.all("remote", name, "url")
	push := c.all("remote", name, "pushurl")
	if len(fetch) == 0 && len(push) == 0 {
		return nil
	}
	for _, u := range fetch {
		expand(u, len(push) == 0)
	}
	for _, u := range push {
		expand(u, false)
	}
	return urls
}

// defaultRemotes returns the remotes an operation without an explicit
// remote could use: the current branch's pushRemote and remote, the
// repository's pushDefault, and origin — those that are configured.
func (c *gitConfig) defaultRemotes() []string {
	var names []string
	add := func(n string) {
		if n == "" || n == "." {
			return
		}
		for _, have := range names {
			if have == n {
				return
			}
		}
		if len(c.all("remote", n, "url")) > 0 || len(c.all("remote", n, "pushurl")) > 0 {
			names = append(names, n)
		}
	}
	if branch := currentBranch(c.gitDir); branch != "" {
		for _, v := range c.all("branch", branch, "pushremote") {
			add(v)
		}
		for _, v := range c.all("branch", branch, "remote") {
			add(v)
		}
	}
	for _, v := range c.all("remote", "", "pushdefault") {
		add(v)
	}
	add("origin")
	return names
}

// currentBranch reads HEAD; a detached HEAD has no branch.
func currentBranch(gitDir string) string {
	data, err := readCapped(filepath.Join(gitDir, "HEAD"), 4096)
	if err != nil {
		return ""
	}
	ref, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "ref: refs/heads/")
	if !ok {
		return ""
	}
	return ref
}

// repoCache caches parsed configurations, keyed by file, revalidated by a
// stat of every file read (size, modification time, inode) on each use.
type repoCache struct {
	mu    sync.Mutex
	files map[string]cachedFile
}

type cachedFile struct {
	sig     fileSig
	entries []gitEntry
	err     error
}

type fileSig struct {
	size  int64
	mtime time.Time
	ino   uint64
	ok    bool
}

func statSig(path string) fileSig {
	fi, err := os.Stat(path)
	if err != nil {
		return fileSig{}
	}
	sig := fileSig{size: fi.Size(), mtime: fi.ModTime(), ok: true}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		sig.ino = uint64(st.Ino)
	}
	return sig
}

// file returns the parsed entries of one config file. A missing file has
// no entries.
func (rc *repoCache) file(path string) ([]gitEntry, error) {
	sig := statSig(path)
	if !sig.ok {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("git config %s cannot be read", path)
	}
	rc.mu.Lock()
	c, hit := rc.files[path]
	rc.mu.Unlock()
	if hit && c.sig == sig {
		return c.entries, c.err
	}
	data, err := readCapped(path, maxConfigBytes)
	var entries []gitEntry
	if err == nil {
		entries, err = parseGitConfig(data)
		if err != nil {
			err = fmt.Errorf("git config %s: %w", path, err)
		}
	}
	rc.mu.Lock()
	if rc.files == nil {
		rc.files = map[string]cachedFile{}
	}
	if len(rc.files) > 1024 {
		clear(rc.files)
	}
	rc.files[path] = cachedFile{sig: sig, entries: entries, err: err}
	rc.mu.Unlock()
	return entries, err
}

// load reads the configuration of the repository containing dir, found
// by [gitrepo.Discover] as the engine's git resolution finds it: its
// config file (in the common directory for worktrees), config.worktree,
// and every file they include — conditional includes too, since which
// condition holds at run time is not for the policy to guess. It reports
// false if dir is in no repository.
func (rc *repoCache) load(dir, home string) (*gitConfig, bool, error) {
	found, err := gitrepo.Discover(dir, "")
	if errors.Is(err, gitrepo.ErrNotRepository) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	gitDir, commonDir := found.GitDir, found.CommonDir
	cfg := &gitConfig{gitDir: gitDir}
	files := 0
	var read func(path string, depth int) error
	read = func(path string, depth int) error {
		if depth > maxIncludeDepth {
			return fmt.Errorf("git config includes nest deeper than %d", maxIncludeDepth)
		}
		if files++; files > maxConfigFiles {
			return fmt.Errorf("git config includes more than %d files", maxConfigFiles)
		}
		entries, err := rc.file(path)
		if err != nil {
			return err
		}
		for _, e := range entries {
			cfg.entries = append(cfg.entries, e)
			if e.key != "path" || (e.section != "include" && e.section != "includeif") {
				continue
			}
			inc := e.value
			switch {
			case strings.HasPrefix(inc, "~"):
				// git expands ~ with the HOME of the process that runs it
				// (the git server's own), which the engine cannot know.
				return fmt.Errorf("git config %s includes %q, relative to a home directory; refused", path, inc)
			case strings.HasPrefix(inc, "%(prefix)/"):
				return fmt.Errorf("git config %s includes %q, relative to git's install prefix; refused", path, inc)
			case !filepath.IsAbs(inc):
				inc = filepath.Join(filepath.Dir(path), inc)
			}
			if err := read(inc, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := read(filepath.Join(commonDir, "config"), 0); err != nil {
		return nil, true, err
	}
	if err := read(filepath.Join(gitDir, "config.worktree"), 0); err != nil {
		return nil, true, err
	}
	return cfg, true, nil
}

// readCapped reads a regular file of at most limit bytes, never blocking
// on a FIFO; a larger file is an error, not a truncation.
func readCapped(path string, limit int64) ([]byte, error) {
	return gitrepo.ReadFile(path, limit)
}

// remoteURLsOf returns the rewritten forms of an explicit URL (insteadOf and
// pushInsteadOf), which git would contact instead of the URL as written:
// the rewrite git picks (longest prefix) and every other matching rule,
// since conditional includes are all read and which of them git applies is
// not decided here.
func (c *gitConfig) remoteURLsOf(u string) []string {
	var out []string
	for _, kind := range []string{"insteadof", "pushinsteadof"} {
		out = append(out, c.rewrites(u, kind)...)
	}
	return out
}

// rewrites returns every rewrite of u by a url.<base>.<kind> rule whose
// prefix matches, the one git applies first.
func (c *gitConfig) rewrites(u, kind string) []string {
	var out []string
	if r, ok := c.rewrite(u, kind); ok && r != u {
		out = append(out, r)
	}
	for _, e := range c.entries {
		if e.section == "url" && e.key == kind && strings.HasPrefix(u, e.value) {
			if r := e.subsection + u[len(e.value):]; r != u && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// effectiveURL returns the URL git uses for the named remote: the first
// fetch URL rewritten by insteadOf, or for a push, the first pushurl
// rewritten by insteadOf, else the first url rewritten by pushInsteadOf or,
// failing that, insteadOf. It reports false when the remote has no URL.
func (c *gitConfig) effectiveURL(name string, push bool) (string, bool) {
	fetch := c.all("remote", name, "url")
	if push {
		if pu := c.all("remote", name, "pushurl"); len(pu) > 0 {
			return c.insteadOf(pu[0]), true
		}
		if len(fetch) > 0 {
			if r, ok := c.rewrite(fetch[0], "pushinsteadof"); ok {
				return r, true
			}
		}
	}
	if len(fetch) == 0 {
		return "", false
	}
	return c.insteadOf(fetch[0]), true
}

func (c *gitConfig) insteadOf(u string) string {
	if r, ok := c.rewrite(u, "insteadof"); ok {
		return r
	}
	return u
}
