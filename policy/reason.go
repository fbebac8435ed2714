package policy

import (
	"fmt"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
)

// ruleReason is what a rule tells the agent: its own reason, or for a rule
// without one (IronCurtain loads those) a reason built from its name and
// description, so that no decision reaches the agent unexplained. The
// linter reports the missing reason.
func ruleReason(r Rule) string {
	if strings.TrimSpace(r.Reason) != "" {
		return r.Reason
	}
	return builtReason(r)
}

// builtReason is the reason given for a rule that has none.
func builtReason(r Rule) string {
	verb := "escalated for approval"
	switch r.Then {
	case ironcurtain.Allow:
		verb = "allowed"
	case ironcurtain.Deny:
		verb = "denied"
	}
	s := fmt.Sprintf("%s by rule %s", verb, r.Name)
	if d := strings.Join(strings.Fields(r.Description), " "); d != "" {
		s += ": " + d
	}
	return s
}
