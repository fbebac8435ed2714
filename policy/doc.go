// Package policy is the deterministic policy engine: it loads IronCurtain's
// compiled-policy artifacts, validates them, and decides tool calls —
// allow, deny or escalate — with the rule that decided, the reason, and a
// trace of every step.
//
// A policy is three artifacts: compiled rules (compiled-policy.json), the
// roles of each tool's arguments (tool-annotations.json), and dynamic lists
// (dynamic-lists.json). Policies written for IronCurtain load unchanged and
// reach the same decisions, except where IronCurtain has a known gap, and
// there this engine is stricter:
//
//   - paths are resolved as the kernel resolves them: every symlink followed
//     (a dangling one to where its target would be), ".." applied after
//     symlinks, at any depth, never falling back to the lexical path;
//   - protected paths stay protected inside the sandbox, are matched after
//     case folding, and are denied whenever a path passes through them;
//   - "*" never matches file: URLs, IP literals in any notation, localhost,
//     single-label, .local, .internal and other reserved names; ext:: and
//     fd:: git transports are refused outright;
//   - named git remotes are resolved by reading the repository's config
//     (includes, pushurl and insteadOf rewriting too), never by running git;
//   - a "@list" no file holds refuses the policy at load instead of matching
//     nothing.
//   - a call with an argument its tool's annotation does not describe is
//     denied (structural-unknown-argument), where IronCurtain's engine
//     ignores it: roles, conditional ones included, are judged on the
//     described arguments, so git_branch's delete named "operation" would
//     be judged as a list.
//
// What IronCurtain's engine loads, this one loads too: a rule without a
// reason (the agent is given one built from the rule's name), a "@list"
// without a listDefinitions entry (its type is the one its use demands, and
// its values are checked against it), and the sideEffects condition of
// IronCurtain's older engines (read in the stricter way; see
// [Condition.SideEffects]). The linter reports each. testdata/ironcurtain
// holds IronCurtain's own engine tests as fixtures, checked call by call.
//
// Annotations describe a version of a tool server; [Engine.CheckTools]
// compares them with the tools a server actually serves, and [Annotate]
// regenerates them from the served tools' schemas.
//
// Loading does all parsing, validation and canonicalisation once; a policy
// that loads never fails at request time for a reason knowable at load.
//
//	e, err := policy.Default(policy.Config{Sandbox: "/home/me/agent-sandbox"})
//	if err != nil { ... }
//	d, err := e.Evaluate(ctx, ironcurtain.ToolCall{
//		Server: "filesystem", Tool: "read_file",
//		Arguments: map[string]any{"path": "~/.ssh/id_rsa"},
//	})
//	// d.Verdict == ironcurtain.Deny, d.Rule == "structural-protected-path"
//
// See [Engine.Evaluate] for the order of evaluation, [Engine.Lint] for the
// policy linter, and [WriteExplanation] to show a decision to a person.
package policy
