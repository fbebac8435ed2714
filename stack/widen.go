package stack

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/ironcurtain-go/ironcurtain"
)

// rootAdder is a tool server confined to directories that can be widened,
// as the filesystem server is.
type rootAdder interface {
	AddRoot(dir string) error
}

// widen passes escalations to next and, when one is approved, widens the
// confinement of the call's server to take in the approved paths. A person
// who approved writing ~/notes/plan.md expects the write to happen; the
// filesystem server, confined beneath the policy, would otherwise refuse
// it. Widening the server grants nothing on its own: every later call is
// judged by the policy again.
type widen struct {
	next    ironcurtain.Approver
	servers map[string]ironcurtain.ToolServer
	log     *slog.Logger
}

func (w widen) Approve(ctx context.Context, esc ironcurtain.Escalation) (ironcurtain.Approval, error) {
	a, err := w.next.Approve(ctx, esc)
	if err != nil || a.Answer != ironcurtain.Approve {
		return a, err
	}
	adder, ok := w.servers[esc.Call.Server].(rootAdder)
	if !ok {
		return a, nil
	}
	for _, r := range esc.Decision.Resources {
		if r.Kind != "path" {
			continue
		}
		dir := r.Value
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			dir = filepath.Dir(dir)
		}
		if err := adder.AddRoot(dir); err != nil {
			// The call will fail at the server, which is the safe outcome.
			w.log.Warn("stack: could not widen the server after an approval", "server", esc.Call.Server, "dir", dir, "error", err)
		}
	}
	return a, nil
}
