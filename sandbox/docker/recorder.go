package docker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// recorder passes calls to the backend and keeps a CallRecord of each,
// for Report.Calls.
type recorder struct {
	backend ironcurtain.Backend
	mu      sync.Mutex
	records []ironcurtain.CallRecord
}

// maxCallRecords bounds Report.Calls; later calls are still made, not
// recorded.
const maxCallRecords = 10000

func (r *recorder) Tools(ctx context.Context) ([]ironcurtain.ServerTool, error) {
	return r.backend.Tools(ctx)
}

func (r *recorder) Call(ctx context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	start := time.Now()
	res, err := r.backend.Call(ctx, call)
	cr := ironcurtain.CallRecord{Server: call.Server, Tool: call.Tool, Verdict: ironcurtain.Allow, Duration: time.Since(start)}
	var de *ironcurtain.DeniedError
	switch {
	case errors.As(err, &de):
		cr.Verdict, cr.Rule, cr.Reason = de.Decision.Verdict, de.Decision.Rule, de.Decision.Reason
		cr.Error = de.AgentMessage()
	case err != nil:
		cr.Verdict = ironcurtain.Deny
		cr.Error = ironcurtain.AgentResult(res, err).Text()
	case res.IsError:
		cr.Error = res.Text()
	}
	r.mu.Lock()
	if len(r.records) < maxCallRecords {
		r.records = append(r.records, cr)
	}
	r.mu.Unlock()
	return res, err
}

func (r *recorder) calls() []ironcurtain.CallRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ironcurtain.CallRecord(nil), r.records...)
}
