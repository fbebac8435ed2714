package stack_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/audit"
	"github.com/ironcurtain-go/ironcurtain/stack"
)

// given is a server given to the stack from outside: its Tools runs the
// test's hook, and it counts its Closes.
type given struct {
	tools  func(context.Context) ([]ironcurtain.Tool, error)
	closed atomic.Int32
}

func (g *given) Tools(ctx context.Context) ([]ironcurtain.Tool, error) { return g.tools(ctx) }
func (g *given) Call(context.Context, ironcurtain.ToolCall) (ironcurtain.Result, error) {
	return ironcurtain.Result{}, nil
}
func (g *given) Close() error { g.closed.Add(1); return nil }

// hookVault is a vault with no secrets whose Secrets, which the audit log
// reads when it opens, runs the test's hook.
type hookVault struct{ secrets func(context.Context) error }

func (v hookVault) Credential(context.Context, string) (ironcurtain.Secret, error) {
	return ironcurtain.Secret{}, errors.New("no credentials")
}
func (v hookVault) Secrets(ctx context.Context) ([]ironcurtain.Secret, error) {
	return nil, v.secrets(ctx)
}

var trustedTools = []ironcurtain.Tool{{Name: "ping", InputSchema: json.RawMessage(`{"type":"object"}`)}}

// TestNewOpensTheLogWhileServing: the audit log is opened while the
// servers start and their tools are listed, not after. The given server's
// tool listing waits for the log to begin opening, and the log's opening
// waits for the listing to begin: one after the other, New would wait
// until its deadline.
func TestNewOpensTheLogWhileServing(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	listing, opening := make(chan struct{}), make(chan struct{})
	wait := func(ctx context.Context, mine, other chan struct{}) error {
		close(mine)
		select {
		case <-other:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	srv := &given{tools: func(ctx context.Context) ([]ironcurtain.Tool, error) {
		return trustedTools, wait(ctx, listing, opening)
	}}
	s, err := stack.New(ctx, stack.Options{
		Sandbox:  filepath.Join(dir, "sandbox"),
		Audit:    filepath.Join(dir, "audit.jsonl"),
		Vault:    hookVault{secrets: func(ctx context.Context) error { return wait(ctx, opening, listing) }},
		Builtins: []string{},
		Servers:  map[string]ironcurtain.ToolServer{"srv": srv},
		Trusted:  []string{"srv"},
	})
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

// TestNewFailsClosed: when one of the steps New runs at once fails, New
// fails, and what the other step opened is closed: the given servers, and
// the audit log, which is sealed and unlocked (it can be opened again).
func TestNewFailsClosed(t *testing.T) {
	for _, tt := range []struct {
		name                string
		badAudit, badServer bool
		want                []string
		logSealed           bool
	}{
		{name: "the log fails while the servers start", badAudit: true, want: []string{"stack: audit"}},
		{name: "a server fails while the log opens", badServer: true, want: []string{"listing its tools"}, logSealed: true},
		{name: "both fail", badAudit: true, badServer: true, want: []string{"stack: audit", "listing its tools"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			logPath := filepath.Join(dir, "audit.jsonl")
			if tt.badAudit { // a log that does not verify is never appended to
				require.NoError(t, os.WriteFile(logPath, []byte("not a log\n"), 0o600))
			}
			srv := &given{tools: func(context.Context) ([]ironcurtain.Tool, error) {
				if tt.badServer {
					return nil, errors.New("the server is gone")
				}
				return trustedTools, nil
			}}
			_, err := stack.New(context.Background(), stack.Options{
				Sandbox: filepath.Join(dir, "sandbox"),
				Audit:   logPath,
				Servers: map[string]ironcurtain.ToolServer{"srv": srv},
				Trusted: []string{"srv"},
			})
			require.Error(t, err)
			for _, w := range tt.want {
				require.ErrorContains(t, err, w)
			}
			require.Equal(t, int32(1), srv.closed.Load(), "the given server is closed")
			if !tt.logSealed {
				return
			}
			f, err := os.Open(logPath)
			require.NoError(t, err)
			rep, err := audit.Verify(f)
			require.NoError(t, f.Close())
			require.NoError(t, err)
			require.True(t, rep.Sealed, "the log is closed with its close record")
			l, err := audit.Open(context.Background(), logPath, audit.Options{NoSync: true})
			require.NoError(t, err, "the log is unlocked")
			require.NoError(t, l.Close())
		})
	}
}
