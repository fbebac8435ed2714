package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
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

// maxGuarded bounds the tools a driftGuard remembers; past it, it forgets
// them all and judges each again.
const maxGuarded = 4096

// driftGuard serves a server's tools less those its annotations no longer
// describe. A server's tools may change after the stack started (a
// list_changed notification, a restart with another version): a tool that
// gains an argument no annotation gives a role would let the agent pass a
// value the policy never sees, so it is withdrawn — calls to it are refused
// as calls to an unknown tool — until it matches again. The start-up check
// refuses such a server outright; this guard covers the time after.
type driftGuard struct {
	ironcurtain.ToolServer
	name   string
	policy *policy.Engine
	log    *slog.Logger

	mu     sync.Mutex
	judged map[string]judgedTool
}

type judgedTool struct {
	schema []byte
	ok     bool
}

var _ ironcurtain.CallPreparer = (*driftGuard)(nil)

func newDriftGuard(name string, srv ironcurtain.ToolServer, e *policy.Engine, log *slog.Logger) *driftGuard {
	return &driftGuard{ToolServer: srv, name: name, policy: e, log: log, judged: map[string]judgedTool{}}
}

// Tools lists the server's tools that its annotations describe.
func (g *driftGuard) Tools(ctx context.Context) ([]ironcurtain.Tool, error) {
	tools, err := g.ToolServer.Tools(ctx)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []ironcurtain.Tool // nil while every tool is admitted
	for i, t := range tools {
		switch ok := g.admit(t); {
		case !ok && out == nil:
			out = append(make([]ironcurtain.Tool, 0, len(tools)), tools[:i]...)
		case ok && out != nil:
			out = append(out, t)
		}
	}
	if out == nil {
		return tools, nil
	}
	return out, nil
}

// admit judges a tool once per schema it is served with. g.mu is held.
func (g *driftGuard) admit(t ironcurtain.Tool) bool {
	if j, ok := g.judged[t.Name]; ok && bytes.Equal(j.schema, t.InputSchema) {
		return j.ok
	}
	ok := true
	for _, d := range g.policy.CheckTools(g.name, []ironcurtain.Tool{t}) {
		if d.Tool == t.Name && d.Fatal() {
			ok = false
			g.log.Warn("stack: " + d.String() + "; the tool is withdrawn until its annotation describes it")
		}
	}
	if len(g.judged) >= maxGuarded {
		clear(g.judged)
	}
	g.judged[t.Name] = judgedTool{schema: bytes.Clone(t.InputSchema), ok: ok}
	return ok
}

// PrepareCall passes the call to the server's own PrepareCall, if it has
// one.
func (g *driftGuard) PrepareCall(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.ToolCall, error) {
	if cp, ok := g.ToolServer.(ironcurtain.CallPreparer); ok {
		return cp.PrepareCall(ctx, call)
	}
	return call, nil
}

// Close closes the server, if it can be closed.
func (g *driftGuard) Close() error {
	if c, ok := g.ToolServer.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
