// Package approve answers the Gate's escalations: standing grants a person
// chose, an automatic approver that may only approve, and a person at a
// terminal, composed by a [Chain].
//
//	grants, err := approve.NewGrants(approve.GrantsOptions{Path: "grants.json"})
//	if err != nil { ... }
//	term := &approve.Terminal{GrantTTL: time.Hour}
//	defer term.Close()
//	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{
//		Approver: approve.Chain{Grants: grants, Human: term},
//		...
//	})
//
// A grant is bound to a server and a tool and to scopes over the canonical
// resources the policy reported: the exact arguments (by hash), a directory
// for a path role (values within it, on path component boundaries), a host
// for a URL role (exact, case-insensitive), or an exact value. All its scopes
// must hold for every value of their roles, every role the policy escalated
// must be constrained (unless the grant pins the exact arguments), and it
// expires. Only a person's approval, passed through a Chain, creates one, and
// only if it covers the call it answers; nothing an agent sends can create or
// widen one. For ad-hoc approvers use [ironcurtain.ApproverFunc].
//
// Every front end that shows an escalation to a person renders it with
// [Present]: resources, rule and reason first and never cut, each other
// argument cut on its own, everything escaped, and the arguments' digest,
// to which [Presentation.Approval] binds the approval.
package approve
