package compile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ironcurtain-go/ironcurtain/policy"
)

// The prompts are part of every cache key (through the request) and of the
// policy's input hash (through promptsDigest).

const systemPrompt = `You help compile a security constitution for an AI agent into rules for a deterministic policy engine. The agent is untrusted; every tool call it makes is judged by the engine, and nothing you write is consulted at run time except the JSON you return. Be exact and conservative: when a sentence is vague, choose the stricter reading.

Answer with one JSON object and nothing else: no prose, no code fence.`

const engineNotes = `How the engine judges a call:
- Built in, before any rule: paths inside the agent's sandbox are allowed for the filesystem and git servers; protected paths (credentials, the policy itself) are always denied; unknown tools are denied. Never write rules for these.
- Each argument of a tool has roles (below). The engine judges each resource role of the call on its own: the first rule, in order, that is consulted for that role and whose conditions all hold decides it. The call's verdict is the strictest over its roles (deny > escalate > allow). A role no rule decides is denied.
- A rule's "if" may hold: "roles" (the rule is consulted only for these roles), "tool" (tool names), "paths" {"roles", "within"} (every path of the role lies in the directory; write "~/..." or an absolute path), "domains" {"roles", "allowed"} (every URL of the role has a host matching "example.com", "*.example.com", "*" for any public name, or "@list"), "lists" [{"roles", "allowed", "matchType"}] (every value of the roles is in the allowed values; matchType is "emails" or "identifiers"). A rule with none of roles, paths, domains and lists is consulted for every role.
- "then" is "allow", "escalate" (a person must approve) or "deny".`

const rulesTask = `Write the rules for the server %q that the sentences below need. The rules already compiled from the constitution's other sentences are fixed; yours are placed among them by specificity, and may not repeat their names. If no sentence concerns this server, answer {"rules": [], "lists": []}.

Answer:
{"rules": [{"name": "kebab-case, unique", "line": <the line of the sentence it implements>, "description": "...", "then": "allow|escalate|deny", "reason": "one sentence the agent is shown", "if": {...}}],
 "lists": [{"name": "kebab-case", "type": "domains|emails|identifiers", "description": "what the list holds"}]}
A list you reference as "@name" must be defined in "lists" unless it is one of the known lists. Do not put "server" in "if": it is set to %q for you.`

const scenariosTask = `Write test calls for the server %q that check the sentences below, from the sentences alone: for each sentence that concerns this server, calls it allows, calls it escalates or forbids, and calls just outside what it says. Use only the tools and argument names listed. Write paths starting with "~/" (the home directory); never use the sandbox. Give every argument that has a path or URL role a value. The expected decision is what the constitution says; anything it does not permit is "deny".

Answer:
{"scenarios": [{"line": <the sentence's line>, "description": "...", "tool": "tool name", "arguments": {...}, "expect": "allow|escalate|deny"}]}
If no sentence concerns this server, answer {"scenarios": []}.`

const repairTask = `The rules you wrote for the server %q fail scenarios on the engine. The engine's verdicts are final. Change only your own rules, as little as possible, so that every scenario passes.

Answer with a patch:
{"operations": [
  {"op": "add", "rule": {...}, "before": "<name of one of your rules, or omit to append>"},
  {"op": "remove", "name": "..."},
  {"op": "replace", "name": "...", "rule": {...}},
  {"op": "move", "name": "...", "before": "<name, or omit to move to the end>"}]}
A rule has the same form as before: name, line, description, then, reason, if.`

const listTask = `Give the values of the list @%s (%s): %s

Answer: {"values": ["..."]}
%s`

const annotateTask = `Give every argument of each tool of the server %q its roles: what the policy engine should treat the argument's value as. Roles:
%s
An argument that is none of these is ["none"]. An argument may have several roles of one kind (a move's source is read and deleted: ["read-path", "delete-path"]) but never mix paths, URLs and identifiers. Annotate every argument of every tool, and nothing else.

Answer:
{"tools": [{"tool": "name", "comment": "what the tool does, in one sentence", "args": {"argument": ["role", ...]}}]}`

const retryTask = `That answer cannot be used: %v
Answer again, with only the corrected JSON object.`

var roleMeanings = []string{
	"read-path: a file or directory that is read",
	"write-path: a file or directory that is written or created",
	"delete-path: a file or directory that is deleted (also a move's source)",
	"write-history: a repository whose history or refs are changed",
	"delete-history: a repository whose branches, tags or stashes are deleted",
	"fetch-url: a URL fetched over HTTP",
	"git-remote-url: a git remote, by URL or name",
	"github-owner, github-repo: a GitHub owner or repository name",
	"branch-name, commit-message, email-address, email-body, share-permission: opaque values",
}

var listFormats = map[string]string{
	"domains":     `Each value is a domain name such as "example.com" (which admits its subdomains too) or "*.example.com"; no schemes, paths or IP addresses.`,
	"emails":      `Each value is an email address.`,
	"identifiers": `Each value is an identifier without spaces.`,
}

// promptsDigest hashes every prompt template, for the input hash.
var promptsDigest = func() string {
	h := sha256.New()
	for _, s := range []string{systemPrompt, engineNotes, rulesTask, scenariosTask, repairTask, listTask, annotateTask, retryTask} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}()

// header names the stage and server first in every user message, for
// logs and for scripted test servers alike.
func header(stage, server string) string {
	if server == "" {
		return fmt.Sprintf("[stage: %s]\n\n", stage)
	}
	return fmt.Sprintf("[stage: %s] [server: %s]\n\n", stage, server)
}

// describeTools lists a server's tools with their arguments' roles.
func describeTools(tools []*toolInfo) string {
	var b strings.Builder
	for _, t := range tools {
		fmt.Fprintf(&b, "- %s(", t.name)
		for i, a := range t.ann.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			spec, _ := json.Marshal(a.Spec)
			fmt.Fprintf(&b, "%s: %s", a.Name, spec)
		}
		b.WriteString(")")
		if t.ann.Comment != "" {
			b.WriteString(": " + t.ann.Comment)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// compactRules renders rules one JSON object per line.
func compactRules(rules []policy.Rule) string {
	var b strings.Builder
	for _, r := range rules {
		j, _ := json.Marshal(r)
		b.Write(j)
		b.WriteString("\n")
	}
	if b.Len() == 0 {
		return "(none)\n"
	}
	return b.String()
}
