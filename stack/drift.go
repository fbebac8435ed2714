package stack

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/ironcurtain-go/ironcurtain"
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
