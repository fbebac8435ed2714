package fs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// ServerName is the name the filesystem server is registered under, the
// same as the common MCP filesystem server's, so that policies written for
// that server match this one.
const ServerName = "filesystem"

// Default limits, used where an [Options] field is zero.
const (
	// DefaultMaxReadBytes is the default of Options.MaxReadBytes: 10 MiB.
	DefaultMaxReadBytes = 10 << 20
	// DefaultMaxWriteBytes is the default of Options.MaxWriteBytes: 10 MiB.
	DefaultMaxWriteBytes = 10 << 20
	// DefaultMaxEntries is the default of Options.MaxEntries: 10,000.
	DefaultMaxEntries = 10_000
)

// Options configures a [Server]. Only Roots is required; every zero limit
// means its default.
type Options struct {
	// Roots are the directories the server may act in, and nothing else.
	// At least one is required. Each is made absolute and symlink-resolved
	// once, in New. A relative path in a call is taken relative to the
	// first root.
	Roots []string

	// MaxReadBytes is the largest file read_text_file, read_file,
	// edit_file and read_media_file will read, and the most bytes one
	// read_multiple_files call returns in total. With head or tail it
	// bounds the bytes of the lines returned. Default 10 MiB.
	MaxReadBytes int64

	// MaxWriteBytes is the largest content write_file writes, the largest
	// file edit_file produces, and the largest file move_file copies
	// between two roots. Default 10 MiB.
	MaxWriteBytes int64

	// MaxEntries is the most directory entries one list_directory,
	// list_directory_with_sizes, directory_tree or search_files call
	// examines, and the most paths one read_multiple_files call takes.
	// Default 10,000.
	MaxEntries int
}

// limits are the validated, defaulted limits of a Server.
type limits struct {
	maxRead, maxWrite int64
	maxEntries        int
}

func (o Options) limits() (limits, error) {
	if o.MaxReadBytes < 0 || o.MaxWriteBytes < 0 || o.MaxEntries < 0 {
		return limits{}, errors.New("fs: limits must not be negative")
	}
	return limits{
		maxRead:    cmp.Or(o.MaxReadBytes, DefaultMaxReadBytes),
		maxWrite:   cmp.Or(o.MaxWriteBytes, DefaultMaxWriteBytes),
		maxEntries: cmp.Or(o.MaxEntries, DefaultMaxEntries),
	}, nil
}

// Server is the built-in filesystem [ironcurtain.ToolServer]: the 14 tools
// of the common MCP filesystem server, confined to a set of root
// directories by [os.Root] whatever the policy above it says.
//
// A Server is safe for concurrent use. Close releases the roots; it waits
// for calls in progress to return, and later calls fail with an error
// satisfying errors.Is(err, ironcurtain.ErrClosed).
type Server struct {
	lim limits
	set *toolset.Set

	mu     sync.RWMutex
	roots  []*root // guarded by mu; the first is the base of relative paths
	closed bool    // guarded by mu
	calls  sync.WaitGroup
}

var (
	_ ironcurtain.ToolServer = (*Server)(nil)
	_ io.Closer              = (*Server)(nil)
)

// New returns a Server confined to opts.Roots. Each root must be an
// existing directory. Roots that resolve to the same directory are kept
// once.
func New(opts Options) (*Server, error) {
	lim, err := opts.limits()
	if err != nil {
		return nil, err
	}
	if len(opts.Roots) == 0 {
		return nil, errors.New("fs: at least one root directory is required")
	}
	s := &Server{lim: lim}
	for _, dir := range opts.Roots {
		r, err := openRoot(dir)
		if err != nil {
			s.closeRoots()
			return nil, err
		}
		if !s.addRootLocked(r) {
			r.close()
		}
	}
	s.set = toolset.New(s.tools()...)
	return s, nil
}

// Tools lists the 14 filesystem tools.
func (s *Server) Tools(ctx context.Context) ([]ironcurtain.Tool, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.calls.Done()
	return s.set.Tools(ctx)
}

// Call runs one tool. A tool that fails (a missing file, a path outside the
// roots, a limit reached) returns a Result with IsError and a message fit
// for the model; an error return means the call could not run: the server
// is closed, ctx is done, or the tool is unknown
// (errors.Is(err, ironcurtain.ErrUnknownTool)).
func (s *Server) Call(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	if err := s.enter(); err != nil {
		return ironcurtain.Result{}, err
	}
	defer s.calls.Done()
	return s.set.Call(ctx, call)
}

// Close releases the roots. It waits for calls in progress to return. It is
// safe to call more than once; only the first call does anything.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.calls.Wait()
	return s.closeRoots()
}

// AddRoot widens the server by one directory, for example after a person
// approved a call outside the roots. dir must be an existing directory; it
// is made absolute and symlink-resolved. Adding a root the server already
// has is not an error. AddRoot is safe to call while calls are running.
func (s *Server) AddRoot(dir string) error {
	r, err := openRoot(dir)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		r.close()
		return fmt.Errorf("fs: %w", ironcurtain.ErrClosed)
	}
	if !s.addRootLocked(r) {
		r.close()
	}
	return nil
}

// Roots returns the absolute, symlink-resolved root directories, the first
// being the base of relative paths.
func (s *Server) Roots() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	dirs := make([]string, len(s.roots))
	for i, r := range s.roots {
		dirs[i] = r.dir
	}
	return dirs
}

// addRootLocked appends r unless a root of the same directory exists, and
// reports whether it did.
func (s *Server) addRootLocked(r *root) bool {
	if slices.ContainsFunc(s.roots, func(o *root) bool { return o.dir == r.dir }) {
		return false
	}
	s.roots = append(s.roots, r)
	return true
}

// snapshot returns the current roots. The slice is never modified in place
// (AddRoot appends under the lock), so it may be read without the lock.
func (s *Server) snapshot() []*root {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.roots[:len(s.roots):len(s.roots)]
}

// enter registers a call in progress, or fails if the server is closed.
// A successful enter must be paired with s.calls.Done().
func (s *Server) enter() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return fmt.Errorf("fs: %w", ironcurtain.ErrClosed)
	}
	s.calls.Add(1)
	return nil
}

func (s *Server) closeRoots() error {
	s.mu.Lock()
	roots := s.roots
	s.roots = nil
	s.mu.Unlock()
	var errs []error
	for _, r := range roots {
		errs = append(errs, r.close())
	}
	return errors.Join(errs...)
}
