package approve

import (
	"context"

	"github.com/ironcurtain-go/ironcurtain"
)

// Chain asks, in order, the standing grants, an automatic approver and a
// person, and enforces what each may do:
//
//   - Grants approves a call a live grant covers, or passes.
//   - Auto (typically driven by a model) may only approve or pass: its
//     Reject, its errors and anything it says about grants are ignored, so
//     its worst case is that the person is asked.
//   - Human has the last word: approve, reject or pass. Only a Human
//     approval's Grant is kept, in Grants (when set), and only after Grants
//     checked it against the call it answers; the approval returned then
//     carries the grant as kept, with its ID, for the audit log.
//
// Any of the three may be nil. A Chain in which nobody approves passes
// (Abstain), which the Gate treats as a denial. Chain is safe for concurrent
// use if its members are.
type Chain struct {
	Grants *Grants
	Auto   ironcurtain.Approver
	Human  ironcurtain.Approver
}

// Approve asks the members in order; see [Chain].
func (c Chain) Approve(ctx context.Context, esc ironcurtain.Escalation) (ironcurtain.Approval, error) {
	if c.Grants != nil {
		if a, err := c.Grants.Approve(ctx, esc); err == nil && a.Answer == ironcurtain.Approve {
			return a, nil
		}
	}
	if c.Auto != nil {
		a, err := c.Auto.Approve(ctx, esc)
		if err == nil && a.Answer == ironcurtain.Approve && ctx.Err() == nil {
			a.Grant = nil // a model never makes a standing approval
			if a.By == "" {
				a.By = "auto"
			}
			return a, nil
		}
	}
	if c.Human == nil {
		return ironcurtain.Approval{Reason: "no approver answered"}, nil
	}
	a, err := c.Human.Approve(ctx, esc)
	if err != nil {
		return a, err
	}
	if a.By == "" {
		a.By = "human"
	}
	if a.Answer != ironcurtain.Approve || a.Grant == nil {
		a.Grant = nil
		return a, nil
	}
	if c.Grants == nil {
		a.Grant = nil
		a.Reason = joinReason(a.Reason, "the grant was not kept: no grant store is configured")
		return a, nil
	}
	kept, gerr := c.Grants.add(esc, *a.Grant, a.By)
	if gerr != nil {
		a.Grant = nil
		a.Reason = joinReason(a.Reason, "the grant was not kept: "+gerr.Error())
		return a, nil
	}
	a.Grant = &kept
	return a, nil
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
