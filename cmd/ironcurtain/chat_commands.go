package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

const chatCommandsHelp = `Commands:
  /help           this list
  /pending        escalations waiting for an answer
  /grants         the grants in force
  /revoke ID      revoke a grant
  /decisions [N]  the last N tool calls (10), with verdict and rule
  /policy         the policy in force: the principles, the rules and their reasons
  /quit           end the session (it can be resumed)
`

// defaultDecisions is how many calls /decisions lists.
const defaultDecisions = 10

// runCommand runs a slash command; in --approver signal mode its output
// is also sent back by Signal.
func (c *chat) runCommand(line string) {
	if c.notify == nil {
		c.command(c.out, line)
		return
	}
	var b strings.Builder
	c.command(&b, line)
	io.WriteString(c.out, b.String())
	if b.Len() > 0 {
		c.tell(b.String())
	}
}

// command runs a slash command, writing its output to w. It reports
// whether the session ends.
func (c *chat) command(w io.Writer, line string) (quit bool) {
	fields := strings.Fields(line)
	name, args := fields[0], fields[1:]
	switch name {
	case "/help":
		fmt.Fprint(w, chatCommandsHelp)
	case "/quit", "/exit":
		c.quit = true
		return true
	case "/pending":
		if c.broker == nil {
			fmt.Fprintf(w, "Escalations are not answered in the chat (--approver %s).\n", c.f.approver)
			return false
		}
		ps := c.broker.Pending()
		if len(ps) == 0 {
			fmt.Fprintln(w, "No escalation is waiting.")
		}
		for _, p := range ps {
			fmt.Fprintf(w, "%s  %s/%s  %s: %s (waiting %s)\n", p.ID, p.Presentation.Server, p.Presentation.Tool,
				p.Presentation.Rule, p.Presentation.Reason, time.Since(p.Since).Round(time.Second))
		}
	case "/grants":
		gs := c.st.Grants.List()
		if len(gs) == 0 {
			fmt.Fprintln(w, "No grant is in force.")
		}
		for _, g := range gs {
			fmt.Fprintf(w, "%s  %s/%s  %s  by %s, until %s\n", g.ID, g.Server, g.Tool, g.Description, g.By, g.Expires.Local().Format(time.DateTime))
		}
	case "/revoke":
		if len(args) != 1 {
			fmt.Fprintln(w, "usage: /revoke ID (see /grants)")
			return false
		}
		ok, err := c.st.Grants.Revoke(args[0])
		switch {
		case err != nil:
			fmt.Fprintf(w, "The grant could not be revoked: %s\n", termLine(err.Error()))
		case !ok:
			fmt.Fprintf(w, "No grant %s.\n", termLine(args[0]))
		default:
			fmt.Fprintf(w, "Revoked %s.\n", termLine(args[0]))
		}
	case "/decisions":
		n := defaultDecisions
		if len(args) == 1 {
			v, err := strconv.Atoi(args[0])
			if err != nil || v <= 0 {
				fmt.Fprintln(w, "usage: /decisions [N], N a positive number")
				return false
			}
			n = v
		}
		c.decisions(w, n)
	case "/policy":
		c.policy(w)
	default:
		fmt.Fprintf(w, "Unknown command %s; /help lists them.\n", termLine(name))
	}
	return false
}

// decisions lists the last n calls of the session's audit log.
func (c *chat) decisions(w io.Writer, n int) {
	b, err := os.ReadFile(c.paths.audit)
	if err != nil {
		fmt.Fprintf(w, "The audit log cannot be read: %s\n", termLine(err.Error()))
		return
	}
	// The Gate may be writing a record: only whole lines count.
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[:i+1]
	} else {
		b = nil
	}
	var calls []ironcurtain.AuditEntry
	if err := eachAuditCall(bytes.NewReader(b), func(e ironcurtain.AuditEntry) { calls = append(calls, e) }); err != nil {
		fmt.Fprintf(w, "The audit log cannot be read: %s\n", termLine(err.Error()))
		return
	}
	if len(calls) == 0 {
		fmt.Fprintln(w, "No tool call yet.")
		return
	}
	if len(calls) > n {
		calls = calls[len(calls)-n:]
	}
	for _, e := range calls {
		verdict := e.Verdict.String()
		if e.Escalated && e.Verdict == ironcurtain.Allow {
			verdict = "approved"
		}
		fmt.Fprintf(w, "%s  %-8s %s/%s  %s", e.Time.Local().Format(time.TimeOnly), verdict, termLine(e.Server), termLine(e.Tool), termLine(e.Rule))
		if e.Reason != "" && e.Verdict != ironcurtain.Allow || e.Escalated {
			fmt.Fprintf(w, ": %s", termLine(e.Reason))
		}
		if e.Approval != nil && e.Approval.By != "" {
			fmt.Fprintf(w, " [%s by %s]", termLine(e.Approval.Answer.String()), termLine(e.Approval.By))
		}
		fmt.Fprintln(w)
	}
}

// policy shows the policy in force.
func (c *chat) policy(w io.Writer) {
	fmt.Fprintf(w, "Principles:\n  %s\n", strings.ReplaceAll(termText(strings.TrimSpace(policy.DefaultConstitution())), "\n", "\n  "))
	fmt.Fprintf(w, "Before any rule: protected paths are denied (%s), calls to unknown tools are denied, paths inside the sandbox (%s) are allowed for the built-in servers, and URLs outside a server's allowed domains escalate.\n",
		termLine(strings.Join(c.st.Policy.ProtectedPaths(), ", ")), termLine(c.st.Policy.Sandbox()))
	fmt.Fprintln(w, "Rules, first match wins:")
	if p := c.st.Policy.Artifacts().Policy; p != nil {
		for _, r := range p.Rules {
			fmt.Fprintf(w, "  %-8s %s: %s\n", r.Then.String(), termLine(r.Name), termLine(r.Reason))
		}
	}
	fmt.Fprintln(w, "  deny     default-deny: nothing matched")
}
