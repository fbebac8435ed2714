package policy

import (
	"fmt"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/realpath"
)

// roleResult is the outcome of evaluating one role.
type roleResult struct {
	verdict ironcurtain.Verdict
	rule    string
	reason  string
	// placeholder: the structural sandbox allow for values inside the
	// sandbox, which a compiled rule of equal severity replaces.
	placeholder bool
}

func ruleResult(r *rule) roleResult {
	return roleResult{verdict: r.then, rule: r.name, reason: r.reason}
}

var defaultDeny = roleResult{verdict: ironcurtain.Deny, rule: RuleDefaultDeny, reason: "no policy rule matches this call; denied by default"}

// compiledRules evaluates each resource role not resolved by sandbox
// containment: a deny ends the evaluation; otherwise the strictest result
// wins, the earliest role on ties.
func (ev *evaluation) compiledRules(sandboxed roleMask) ironcurtain.Decision {
	order := ev.rr.order
	if len(order) == 0 {
		res := ev.unscoped()
		return ev.decide(res.verdict, res.rule, res.reason)
	}
	var best roleResult
	var escalated []string
	evaluated := 0
	for _, id := range order {
		if sandboxed.has(id) {
			continue
		}
		evaluated++
		res := ev.role(id)
		if res.verdict == ironcurtain.Deny {
			return ev.decide(res.verdict, res.rule, res.reason)
		}
		if res.verdict == ironcurtain.Escalate {
			escalated = append(escalated, id.String())
		}
		if evaluated == 1 || res.verdict.Stricter(best.verdict) {
			best = res
		}
	}
	if evaluated == 0 {
		return ev.decide(ironcurtain.Allow, RuleSandboxAllow, "every path is inside the sandbox directory")
	}
	d := ev.decide(best.verdict, best.rule, best.reason)
	if best.verdict == ironcurtain.Escalate {
		d.EscalatedRoles = escalated
	}
	return d
}

// unscoped is the evaluation of a tool with no resource roles: the first
// rule that matches, considering every rule.
func (ev *evaluation) unscoped() roleResult {
	for _, r := range ev.t.candidates {
		if ev.matchUnscoped(r) {
			ev.ruleStep(r, "", "", outMatch, "")
			return ruleResult(r)
		}
	}
	ev.step(ironcurtain.TraceStep{Check: RuleDefaultDeny, Outcome: ironcurtain.TraceVerdict(ironcurtain.Deny), Detail: "no rule matches"})
	return defaultDeny
}

func (ev *evaluation) matchUnscoped(r *rule) bool {
	if r.only {
		return false
	}
	if r.hasRoles && ev.rr.mask&r.roles == 0 {
		return false
	}
	// Paths and domains need resource values, which this tool has none of.
	if r.paths != nil || r.domains != nil {
		return false
	}
	return ev.listsHold(r, 0, false)
}

func (ev *evaluation) ruleStep(r *rule, role, value string, outcome ironcurtain.TraceOutcome, detail string) {
	ev.step(ironcurtain.TraceStep{Check: "rule", Rule: r.name, Role: role, Value: value, Outcome: outcome, Detail: detail})
}

// valueStep records a step about the i-th value of role id.
func (ev *evaluation) valueStep(check string, r *rule, id roleID, i int, outcome ironcurtain.TraceOutcome, detail string) {
	s := ironcurtain.TraceStep{Check: check, Argument: ev.valueArgs[id][i], Role: id.String(), Value: ev.values[id][i], Outcome: outcome, Detail: detail}
	if r != nil {
		s.Rule = r.name
	}
	ev.step(s)
}

// role evaluates one resource role: each value is discharged by the first
// rule that matches it; the strictest discharge wins; a value no rule
// matches denies the role.
func (ev *evaluation) role(id roleID) roleResult {
	vals := ev.values[id]
	name := id.String()
	if len(vals) == 0 {
		// The annotation gives the tool this role but the call has no value
		// for it: the first relevant rule whose conditions hold decides.
		for _, r := range ev.t.candidates {
			if !r.relevant.has(id) || r.only {
				continue
			}
			if ev.matchSingle(r, id) {
				ev.ruleStep(r, name, "", outMatch, "the call has no value for this role")
				return ruleResult(r)
			}
			ev.ruleStep(r, name, "", outNoMatch, "")
		}
		ev.step(ironcurtain.TraceStep{Check: RuleDefaultDeny, Role: name, Outcome: ironcurtain.TraceVerdict(ironcurtain.Deny), Detail: "no rule matches"})
		return defaultDeny
	}
	var resultBuf [4]roleResult
	var doneBuf [4]bool
	results, done := resultBuf[:], doneBuf[:]
	if len(vals) > len(resultBuf) {
		results, done = make([]roleResult, len(vals)), make([]bool, len(vals))
	}
	results, done = results[:len(vals)], done[:len(vals)]
	left := len(vals)
	e := ev.e
	if e.sandbox != "" && e.sandboxServers[ev.call.Server] && pathRoles.has(id) {
		for i, v := range vals {
			if realpath.Within(v, e.sandbox) {
				if r := ev.sandboxRule(id, v); r != nil {
					results[i], done[i] = ruleResult(r), true
					left--
					ev.valueStep("rule", r, id, i, outMatch, "the rule reaches inside the sandbox")
					continue
				}
				results[i] = roleResult{verdict: ironcurtain.Allow, rule: RuleSandboxAllow, reason: "the path is inside the sandbox directory", placeholder: true}
				done[i] = true
				left--
				ev.valueStep(RuleSandboxAllow, nil, id, i, outMatch, "inside the sandbox")
			}
		}
	}
	for _, r := range ev.t.candidates {
		if left == 0 {
			break
		}
		if !r.relevant.has(id) || r.only {
			continue
		}
		if r.hasRoles && ev.rr.mask&r.roles == 0 {
			ev.ruleStep(r, name, "", outSkip, "the tool has no argument with the rule's roles")
			continue
		}
		if (r.domains != nil || len(r.lists) > 0) && !ev.condsHold(r, id) {
			continue
		}
		matched := false
		for i, v := range vals {
			if done[i] {
				continue
			}
			if r.paths != nil && !realpath.Within(v, r.paths.within) {
				continue
			}
			results[i], done[i], matched = ruleResult(r), true, true
			left--
			detail := ""
			if r.paths != nil {
				detail = r.paths.detail
			}
			ev.valueStep("rule", r, id, i, outMatch, detail)
		}
		if !matched && r.paths != nil {
			ev.ruleStep(r, name, "", outNoMatch, "no value is within "+r.paths.within)
		}
	}
	if left > 0 {
		for i := range vals {
			if !done[i] {
				ev.valueStep(RuleDefaultDeny, nil, id, i, ironcurtain.TraceVerdict(ironcurtain.Deny), "no rule matches this value")
				break
			}
		}
		return defaultDeny
	}
	best := results[0]
	for _, res := range results[1:] {
		if res.verdict.Stricter(best.verdict) || (res.verdict == best.verdict && best.placeholder && !res.placeholder) {
			best = res
		}
	}
	return best
}

// matchSingle is a rule's full condition for role id, all values at once.
func (ev *evaluation) matchSingle(r *rule, id roleID) bool {
	if r.hasRoles && ev.rr.mask&r.roles == 0 {
		return false
	}
	if r.paths != nil {
		vals := ev.values[id]
		if len(vals) == 0 {
			return false
		}
		for _, v := range vals {
			if !realpath.Within(v, r.paths.within) {
				return false
			}
		}
	}
	return ev.condsHold(r, id)
}

// condsHold checks a rule's domains and lists conditions for role id.
func (ev *evaluation) condsHold(r *rule, id roleID) bool {
	if d := r.domains; d != nil {
		us := ev.urls[id]
		if len(us) == 0 {
			ev.ruleStep(r, id.String(), "", outNoMatch, "no URL to check against the allowed domains")
			return false
		}
		for _, u := range us {
			if bad, ok := ev.urlAllowed(u, d.set); !ok {
				ev.ruleStep(r, id.String(), u.v.canonical, outNoMatch, fmt.Sprintf("domain %q is not allowed by the rule", bad))
				return false
			}
		}
	}
	return ev.listsHold(r, id, true)
}

// listsHold checks every lists condition: all values of the roles named —
// only the evaluated role when the condition names it — must match.
func (ev *evaluation) listsHold(r *rule, id roleID, scoped bool) bool {
	for _, lc := range r.lists {
		var vals []string
		if scoped && lc.roles.has(id) {
			vals = ev.values[id]
		} else {
			for j := range registry {
				if lc.roles.has(roleID(j)) {
					vals = append(vals, ev.values[j]...)
				}
			}
		}
		if len(vals) == 0 {
			ev.ruleStep(r, "", "", outNoMatch, "no value for the list condition")
			return false
		}
		for _, v := range vals {
			if !lc.match(v) {
				ev.ruleStep(r, "", v, outNoMatch, "value is not in the rule's list")
				return false
			}
		}
	}
	return true
}

func (lc listCond) match(v string) bool {
	switch lc.matchType {
	case "domains":
		return lc.domains.matchRaw(v)
	case "emails":
		return lc.values[strings.ToLower(v)]
	}
	return lc.values[v]
}
