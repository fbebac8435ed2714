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
//
// Every front end — the [Terminal], the web page in package approve/web,
// the Signal approver in approve/signal, a program of your own — is built on
// a [Broker]: the Chain's Human, it holds each escalation under a random id
// until a front end decides (the first answer wins, and the others see the
// escalation resolved), refuses an approval that does not carry the digest of what was
// presented, and denies when the deadline passes. [Broker.Serve] offers the
// same on a Unix socket, one JSON object a line:
//
//	→ {"op":"subscribe"}
//	← {"reply":"subscribe","ok":true}
//	← {"event":"escalation","escalation":{"id":"9f…","presentation":{"Server":"filesystem",…,"Digest":"5e…"},"exact":true,"scoped":"write-path within /w","maxTTL":"24h0m0s",…}}
//	→ {"op":"decide","id":"9f…","decision":"approve","scope":"scoped","ttl":"1h","digest":"5e…"}
//	← {"reply":"decide","ok":true}
//	← {"event":"resolved","id":"9f…","outcome":"approved","by":"socket"}
//	→ {"op":"grants"}  → {"op":"revoke","id":"…"}  → {"op":"pending"}
package approve
