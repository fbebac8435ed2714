package git

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// ServerName is the name the git server is registered under.
const ServerName = "git"

// Minimum git version: GIT_CONFIG_COUNT (2.31) carries the overrides,
// --end-of-options (2.24) protects revision arguments, and
// `worktree list -z` (2.36) lists worktrees unambiguously.
const minMajor, minMinor = 2, 36

// Server is the built-in git ToolServer. It implements
// [ironcurtain.ToolServer], [ironcurtain.CallPreparer] and io.Closer, and
// is safe for concurrent use by several sessions; each session
// (ToolCall.Session) has its own working directory.
type Server struct {
	cfg       *config
	set       *toolset.Set
	known     map[string]bool // tool names
	base      string          // SDK-owned temporary directory, removed by Close
	home      string          // HOME: empty
	hooks     string          // core.hooksPath: empty, read-only
	templates string          // GIT_TEMPLATE_DIR: empty
	env       []string
	static    []configEntry
	jail      *gitJail // nil: git runs without a sandbox
	unwatched bool     // tests only: no configuration watch, to test the jail alone

	closing   context.Context
	close     context.CancelFunc
	closeOnce sync.Once
	mu        sync.Mutex // guards sessions, closed and inflight.Add
	closed    bool
	inflight  sync.WaitGroup
	sessions  map[string]string // session → working directory
}

// New validates opts, checks the git program, and creates the server's
// private directory (its HOME, an empty hooks directory and an empty
// template directory). Close removes it.
func New(opts Options) (*Server, error) {
	cfg, err := opts.validate()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, sessions: make(map[string]string)}
	// A short base name keeps socket paths well under the 104-byte limit.
	if s.base, err = os.MkdirTemp("", "icgit"); err != nil {
		return nil, fmt.Errorf("git: %w", err)
	}
	if s.base, err = filepath.EvalSymlinks(s.base); err != nil {
		_ = os.RemoveAll(s.base)
		return nil, fmt.Errorf("git: %w", err)
	}
	s.home = filepath.Join(s.base, "h")
	s.hooks = filepath.Join(s.base, "k")
	s.templates = filepath.Join(s.base, "t")
	for _, d := range []string{s.home, s.hooks, s.templates} {
		if err := os.Mkdir(d, 0o700); err != nil {
			_ = os.RemoveAll(s.base)
			return nil, fmt.Errorf("git: %w", err)
		}
	}
	_ = os.Chmod(s.hooks, 0o500)
	if cfg.runAs != nil {
		// git, run as another user, must reach its HOME, hooks, templates
		// and templates: searchable by all (nothing in them is listed or
		// written by git), the templates readable.
		for d, mode := range map[string]os.FileMode{s.base: 0o711, s.home: 0o711, s.hooks: 0o511, s.templates: 0o755} {
			if err := os.Chmod(d, mode); err != nil {
				_ = os.RemoveAll(s.base)
				return nil, fmt.Errorf("git: %w", err)
			}
		}
		if d := unsearchable(filepath.Dir(s.base), cfg.runAs); d != "" {
			_ = os.RemoveAll(s.base)
			return nil, fmt.Errorf("git: RunAs %d:%d: the server's private directory is in %s, which that user cannot reach (%s is not searchable by it); set TMPDIR to a directory it can reach",
				cfg.runAs.UID, cfg.runAs.GID, filepath.Dir(s.base), d)
		}
	}
	s.env = s.baseEnv()
	s.static = s.staticConfig()
	s.closing, s.close = context.WithCancel(context.Background())
	table := s.tools()
	s.set = toolset.New(table...)
	s.known = make(map[string]bool, len(table))
	for _, t := range table {
		s.known[t.Def.Name] = true
	}

	if err := s.setupJail(opts.Jail); err != nil {
		s.Close()
		return nil, err
	}
	if s.jail == nil { // a jailed git is checked at its first call
		if err := s.checkVersion(context.Background()); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

var versionRE = regexp.MustCompile(`^git version (\d+)\.(\d+)`)

// parseVersion reads "git version 2.39.5" (and vendor suffixes).
func parseVersion(out string) (major, minor int, ok bool) {
	m := versionRE.FindStringSubmatch(out)
	if m == nil {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(m[1])
	minor, err2 := strconv.Atoi(m[2])
	return major, minor, err1 == nil && err2 == nil
}

func (s *Server) checkVersion(ctx context.Context) error {
	out, err := s.exec(ctx, invocation{dir: s.home, ceiling: s.base, args: []string{"version"}})
	if err != nil {
		return fmt.Errorf("git: running %s: %w", s.cfg.git, err)
	}
	major, minor, ok := parseVersion(string(out.stdout))
	if !ok || !out.ok() {
		return fmt.Errorf("git: %s does not look like git (%q)", s.cfg.git, out.stdout)
	}
	if major < minMajor || (major == minMajor && minor < minMinor) {
		return fmt.Errorf("git: git %d.%d is too old; %d.%d or newer is required", major, minor, minMajor, minMinor)
	}
	return nil
}

// Tools lists the 28 git tools.
func (s *Server) Tools(ctx context.Context) ([]ironcurtain.Tool, error) {
	return s.set.Tools(ctx)
}

// sessionKey carries ToolCall.Session to the handlers.
type sessionKey struct{}

// Call runs one git tool. Failures the model should see (git errors,
// refused arguments, time limits, output caps) are Results with IsError;
// an error means the call could not be run: an unknown tool
// (ironcurtain.ErrUnknownTool), a cancelled ctx, or a closed server
// (ironcurtain.ErrClosed).
func (s *Server) Call(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ironcurtain.Result{}, ironcurtain.ErrClosed
	}
	s.inflight.Add(1)
	s.mu.Unlock()
	defer s.inflight.Done()
	res, err := s.set.Call(context.WithValue(ctx, sessionKey{}, call.Session), call)
	return s.redactResult(res), err
}

// Close stops running git invocations, waits for the calls in flight and
// removes the server's private directory. It is idempotent.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.close()
		s.inflight.Wait()
		_ = os.Chmod(s.hooks, 0o700)
		err = os.RemoveAll(s.base)
	})
	return err
}

// workingDir returns the session's working directory: the one set with
// git_set_working_dir, else DefaultDir.
func (s *Server) workingDir(session string) (string, error) {
	s.mu.Lock()
	wd, ok := s.sessions[session]
	s.mu.Unlock()
	if ok {
		return wd, nil
	}
	if s.cfg.defaultDir == "" {
		return "", errNoWorkingDir
	}
	return s.cfg.defaultDir, nil
}

var errNoWorkingDir = toolset.Failf("no working directory is set: call git_set_working_dir first, or pass an absolute path")

func (s *Server) rememberDir(session, dir string) {
	s.mu.Lock()
	s.sessions[session] = dir
	s.mu.Unlock()
}

func (s *Server) forgetDir(session string) {
	s.mu.Lock()
	delete(s.sessions, session)
	s.mu.Unlock()
}

func sessionOf(ctx context.Context) string {
	v, _ := ctx.Value(sessionKey{}).(string)
	return v
}
