package ironcurtain

import "github.com/ironcurtain-go/ironcurtain/internal/inert"

// ErrorResultWithCause returns a tool-level error result that shows the
// model text and nothing else, and carries cause for the operator: the
// detail behind the failure (a host path, an lstat error, a program's
// stderr). A [Gate] records the cause in the audit entry of the call
// (AuditEntry.Error) and removes it from the result before returning it,
// so no caller of the Gate (a sandbox, the MCP proxy, the Docker bridge)
// receives it; [AgentResult] drops it too. The cause is not part of the
// result's JSON, and no method reads it. A nil cause gives
// [ErrorResult](text).
func ErrorResultWithCause(text string, cause error) Result {
	r := ErrorResult(text)
	if cause != nil {
		r.cause = cause.Error()
		if r.cause == "" {
			r.cause = "(empty error)"
		}
	}
	return r
}

// maxCauseInAudit bounds how much of a tool error's cause an audit entry
// keeps: enough for a path and an errno or the head of git's stderr.
const maxCauseInAudit = 4096

// takeCause moves a tool error's cause from res into the audit trail, bounded
// and made inert (a tool's stderr can hold escape sequences and newlines
// that would forge lines when a log is printed), and returns res without it.
func (t *trail) takeCause(res Result) Result {
	if res.cause == "" {
		return res
	}
	if res.IsError {
		t.errText = auditText(res.cause, maxCauseInAudit)
	}
	res.cause = ""
	return res
}

// auditText is s cut to about n bytes and made inert.
func auditText(s string, n int) string {
	if len(s) > n {
		s = cut(s, n)
	}
	if s = inert.String(s); len(s) > n {
		s = cut(s, n)
	}
	return s
}
