package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/tools/fs"
	"github.com/ironcurtain-go/ironcurtain/tools/git"
	"github.com/ironcurtain-go/ironcurtain/tools/web"
)

// checkDrift compares the policy's annotations with the tools every server
// serves and refuses to start when the policy cannot see an argument a tool
// takes, or sees one it does not (annotations made for another version of
// the server). Tools that are only unannotated or unserved are refused call
// by call and are logged.
func (s *Stack) checkDrift(ctx context.Context, log *slog.Logger) error {
	served := make(map[string][]ironcurtain.Tool, len(s.Servers))
	for name, srv := range s.Servers {
		tools, err := srv.Tools(ctx)
		if err != nil {
			return fmt.Errorf("stack: server %s: listing its tools: %w", name, err)
		}
		served[name] = tools
	}
	drifts, err := s.Policy.CheckServed(served)
	for _, d := range drifts {
		if !d.Fatal() {
			log.Warn("stack: " + d.String())
		}
	}
	if err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	return nil
}

// BuiltinTools lists the tools of the named built-in servers (nil: all of
// [DefaultBuiltins]) without serving them: each is started on an empty
// temporary directory, asked for its tools and closed. The git server needs
// the git program.
func BuiltinTools(ctx context.Context, names []string) (_ map[string][]ironcurtain.Tool, err error) {
	if names == nil {
		names = DefaultBuiltins
	}
	root, err := os.MkdirTemp("", "ironcurtain-tools-")
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	defer func() { err = errors.Join(err, os.RemoveAll(root)) }()
	s := &Stack{Servers: map[string]ironcurtain.ToolServer{}}
	defer s.closeAll()
	out := make(map[string][]ironcurtain.Tool, len(names))
	for _, name := range names {
		var srv ironcurtain.ToolServer
		switch name {
		case Filesystem:
			srv, err = fs.New(fs.Options{Roots: []string{root}})
		case Git:
			srv, err = git.New(git.Options{Roots: []string{root}, DefaultDir: root})
		case Fetch:
			srv, err = web.New(web.Options{})
		default:
			err = fmt.Errorf("no built-in server %q (want %s)", name, strings.Join(DefaultBuiltins, ", "))
		}
		if err != nil {
			return nil, fmt.Errorf("stack: server %s: %w", name, err)
		}
		s.add(name, srv)
		if out[name], err = srv.Tools(ctx); err != nil {
			return nil, fmt.Errorf("stack: server %s: listing its tools: %w", name, err)
		}
	}
	return out, nil
}
